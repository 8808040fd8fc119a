/**
 * CPU time of a process tree by role, read from `/proc/<pid>/stat` (user + system), so a benchmark
 * can print what each part of glia spent per request. Linux only; elsewhere it reads nothing.
 */
import { readdirSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

/** The parts of `glia up` a benchmark tells apart. `gateway` is the `glia up` process itself (the platform and its gateway). */
export type Role = "gateway" | "worker" | "runtime" | "nats-server";
export const ROLES: readonly Role[] = ["gateway", "worker", "nats-server", "runtime"];

const TICKS_PER_SECOND = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, in seconds. */
  cpu: number;
}

/** One process's parent and CPU time; null when it is gone (or this is not Linux). */
function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: fields count from after it.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return { pid, ppid: Number(fields[1]), cpu: ticks / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

function roleOf(pid: number, root: number): Role | null {
  if (pid === root) return "gateway";
  const cmd = commandLine(pid);
  if (/nats-server/.test(cmd)) return "nats-server";
  if (/glia_runtime/.test(cmd)) return "runtime";
  if (/worker-main/.test(cmd)) return "worker";
  return null;
}

/**
 * Seconds of CPU each role of the tree under `root` has used so far. A process of no known role
 * (e.g. a compiler service a Node process starts) counts for its nearest ancestor's role.
 */
export function cpuByRole(root: number): Record<Role, number> {
  const stats = new Map<number, Stat>();
  for (const entry of safeReaddir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.set(stat.pid, stat);
  }
  const totals: Record<Role, number> = { gateway: 0, worker: 0, "nats-server": 0, runtime: 0 };
  for (const stat of stats.values()) {
    const role = roleInTree(stat, root, stats);
    if (role) totals[role] += stat.cpu;
  }
  return totals;
}

/** The role of `stat`'s nearest ancestor (itself first) that has one, if the chain reaches `root`; else null. */
function roleInTree(stat: Stat, root: number, stats: Map<number, Stat>): Role | null {
  let role: Role | null = null;
  for (let p: Stat | undefined = stat; p; p = stats.get(p.ppid)) {
    role ??= roleOf(p.pid, root);
    if (p.pid === root) return role;
    if (p.ppid === p.pid || p.ppid === 0) return null;
  }
  return null;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** This process's own CPU time so far (the benchmark's client), in seconds. */
export function clientCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
