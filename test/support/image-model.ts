/**
 * @module
 * What an image built from a Dockerfile holds, as far as the image tests need to know: the commands
 * on its PATH, the paths its instructions made (and, for copies, which repository file each came
 * from), its variables and its entry point. Walking a Dockerfile with it reports every instruction
 * that uses something nothing before it provides, every unpinned install and every missing COPY
 * source, without a Docker engine.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import type { Ignore } from "ignore";
import {
  assignments,
  execForm,
  expand,
  simpleCommands,
  splitFlags,
  type Instruction,
  type Stage,
} from "./dockerfile.ts";

export interface ImageState {
  /** Commands found on PATH. */
  commands: Set<string>;
  /** Absolute paths the image has → the repository path copied there, or null for one made in the image. */
  paths: Map<string, string | null>;
  /** ARG and ENV values in force. */
  vars: Map<string, string>;
  /** Only ENV (what a container sees). */
  env: Map<string, string>;
  workdir: string;
  user: string | null;
  entrypoint: string[] | null;
  cmd: string[] | null;
  expose: string[];
}

/** What every Debian or Ubuntu base image has, of what glia's Dockerfiles run. */
const BASE_COMMANDS = [
  "sh",
  "bash",
  "apt-get",
  "rm",
  "mkdir",
  "chown",
  "chmod",
  "ln",
  "cp",
  "mv",
  "cat",
  "echo",
  "groupadd",
  "useradd",
  "grep",
  "sha256sum",
  "tar",
  "install",
];
const SHELL_BUILTINS = ["test", "true", "exit", "set", "cd", "printf"];
/** The executables of the apt packages the Dockerfiles rely on (python3.X is handled by name). */
const APT_EXECUTABLES: Record<string, string> = { tini: "/usr/bin/tini", curl: "/usr/bin/curl" };
const PATH_DIRS = ["/usr/local/bin", "/usr/bin", "/usr/local/sbin", "/usr/sbin"];
/** The note a RUN with unpinned apt packages must carry in the comment above it. */
export const APT_UNPINNED_NOTE = /apt packages are not version-pinned: \S/;

/** An image from a registry: what it is known to hold. */
export function registryImage(reference: string): ImageState {
  const state = emptyState();
  [...BASE_COMMANDS, ...SHELL_BUILTINS].forEach((c) => state.commands.add(c));
  if (/^node:/.test(reference)) {
    ["node", "npm", "npx"].forEach((c) => state.commands.add(c));
    state.paths.set("/usr/local/bin/node", null);
  }
  return state;
}

function emptyState(): ImageState {
  return {
    commands: new Set(),
    paths: new Map(),
    vars: new Map(),
    env: new Map(),
    workdir: "/",
    user: null,
    entrypoint: null,
    cmd: null,
    expose: [],
  };
}

/** The state a stage starts from: the base's, where only ENV (not a stage's ARGs) carries over. */
export function copyState(state: ImageState): ImageState {
  return {
    ...state,
    commands: new Set(state.commands),
    paths: new Map(state.paths),
    vars: new Map(state.env),
    env: new Map(state.env),
    expose: [...state.expose],
  };
}

/** Whether the image has `path` (it, or a folder above it, was made or copied). */
export function hasPath(state: ImageState, path: string): boolean {
  return ancestors(path).some((p) => state.paths.has(p));
}

/** The repository file an image path was copied from, or null when it was made in the image. */
export function repoPathOf(state: ImageState, path: string): string | null {
  for (const p of ancestors(path)) {
    if (!state.paths.has(p)) continue;
    const origin = state.paths.get(p);
    return origin == null ? null : posix.join(origin, posix.relative(p, path));
  }
  return null;
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = posix.normalize(path); ; p = posix.dirname(p)) {
    out.push(p);
    if (p === "/") return out;
  }
}

/** What the walk of one Dockerfile needs around it. */
export interface WalkContext {
  /** The Dockerfile, for messages. */
  file: string;
  /** The repository root, absolute. */
  root: string;
  /** The build context, relative to the root ("" for the root). */
  context: string;
  /** The context's .dockerignore rules, if it has one. */
  ignored: Ignore | null;
  /** Earlier stages of this Dockerfile, by name. */
  stages: Map<string, ImageState>;
  /** `glia` subcommands and the flags main.ts declares. */
  glia: { commands: Set<string>; flags: Set<string> };
  problems: string[];
}

/** Applies a stage's instructions to `base`, recording every problem in `ctx.problems`. */
export function walkStage(
  stage: Stage,
  base: ImageState,
  globalArgs: Map<string, string>,
  ctx: WalkContext,
): ImageState {
  const state = copyState(base);
  for (const ins of stage.instructions) {
    const say = (message: string): void => void ctx.problems.push(`${ctx.file}:${ins.line}: ${message}`);
    const args = expand(ins.args, state.vars);
    switch (ins.keyword) {
      case "ARG":
        for (const [k, v] of assignments(ins.args)) state.vars.set(k, v === undefined ? (globalArgs.get(k) ?? "") : v);
        break;
      case "ENV":
        for (const [k, v] of assignments(args)) {
          state.vars.set(k, v ?? "");
          state.env.set(k, v ?? "");
        }
        break;
      case "WORKDIR":
        state.workdir = posix.resolve(state.workdir, args); // a folder, not what is in it: not a path it provides
        break;
      case "USER":
        state.user = args;
        break;
      case "COPY":
      case "ADD":
        copy(ins, args, state, say, ctx);
        break;
      case "RUN":
        run(ins, args, state, say, ctx);
        break;
      case "ENTRYPOINT":
      case "CMD": {
        const words = execForm(args);
        if (!words) say(`${ins.keyword} must use the exec form (["..."]) so that tini is PID 1 and signals arrive`);
        if (ins.keyword === "ENTRYPOINT") state.entrypoint = words;
        else state.cmd = words;
        break;
      }
      case "EXPOSE":
        state.expose.push(...args.split(/\s+/));
        break;
    }
  }
  return state;
}

function copy(ins: Instruction, args: string, state: ImageState, say: (m: string) => void, ctx: WalkContext): void {
  if (ins.keyword === "ADD") say("ADD fetches and unpacks implicitly; use COPY");
  const { flags, rest } = splitFlags(args);
  const dest = posix.resolve(state.workdir, rest.at(-1)!);
  const sources = rest.slice(0, -1);
  const from = flags.get("from");
  const fromState = from === undefined ? null : ctx.stages.get(from);
  if (fromState === undefined) return say(`COPY --from=${from}: no stage of that name before it`);
  for (const src of sources) {
    const target = sources.length > 1 || rest.at(-1)!.endsWith("/") ? posix.join(dest, posix.basename(src)) : dest;
    let origin: string | null;
    if (fromState) {
      const inStage = posix.resolve("/", src);
      if (!hasPath(fromState, inStage)) say(`COPY --from=${from} ${src}: that stage has no such path`);
      origin = repoPathOf(fromState, inStage);
    } else {
      origin = posix.normalize(posix.join(ctx.context, src)).replace(/\/$/, "") || ".";
      const relative = posix.relative(ctx.context, origin);
      if (!existsSync(join(ctx.root, origin))) say(`COPY ${src}: no such file in the build context (${origin})`);
      else if (relative !== "" && ctx.ignored?.ignores(relative)) say(`COPY ${src}: the .dockerignore leaves it out`);
    }
    state.paths.set(target, origin);
    if (PATH_DIRS.includes(posix.dirname(target))) state.commands.add(posix.basename(target));
  }
}

function run(ins: Instruction, script: string, state: ImageState, say: (m: string) => void, ctx: WalkContext): void {
  const commands = simpleCommands(script);
  commands.forEach((words, index) => {
    const [command, ...rest] = words as [string, ...string[]];
    const known = command.startsWith("/") ? hasPath(state, command) : state.commands.has(command);
    if (!known) say(`runs ${command}, which neither the base image nor an instruction before provides`);
    for (const word of rest) {
      if (!/^[\w.-]+\/[\w./-]*$/.test(word)) continue; // a relative path, e.g. python-runtime/scripts/gen_proto.py
      const inImage = posix.resolve(state.workdir, word);
      const origin = repoPathOf(state, inImage);
      if (!hasPath(state, inImage) || (origin !== null && !existsSync(join(ctx.root, origin))))
        say(`${command} uses ${word}, which is not in the image at ${inImage}`);
    }
    if (command === "apt-get" && rest[0] === "install") aptInstall(ins, rest, commands.slice(0, index), state, say);
    if (command === "tar" && /^-?[a-z]*x/.test(rest[0] ?? "")) state.paths.set(state.workdir, null); // unpacks here
    if (command === "install") made(posix.resolve(state.workdir, rest.at(-1)!), state);
    if (rest.includes("venv") && rest[rest.indexOf("venv") - 1] === "-m") {
      const dir = rest.slice(rest.indexOf("venv") + 1).find((w) => !w.startsWith("-"));
      if (dir) state.paths.set(posix.resolve(state.workdir, dir), null);
    }
    if (/(^|\/)pip3?$/.test(command) && rest[0] === "install") pipInstall(rest.slice(1), state, say, ctx);
    if (command === "npm") npm(rest, state, say);
    if (command === "glia") gliaCommand(rest, ctx.glia, say);
  });
  const usesApt = commands.some((w) => w[0] === "apt-get" && w[1] === "install");
  const cleans = commands.some((w) => w[0] === "rm" && w.some((a) => a.startsWith("/var/lib/apt/lists")));
  if (usesApt && !cleans) say("apt-get install leaves /var/lib/apt/lists in the layer: rm -rf it in the same RUN");
}

/** A file a command made: a command too when it is in a PATH folder. */
function made(path: string, state: ImageState): void {
  state.paths.set(path, null);
  if (PATH_DIRS.includes(posix.dirname(path))) state.commands.add(posix.basename(path));
}

function aptInstall(
  ins: Instruction,
  words: string[],
  before: string[][],
  state: ImageState,
  say: (m: string) => void,
): void {
  const packages = words.slice(1).filter((w) => !w.startsWith("-"));
  if (!before.some((w) => w[0] === "apt-get" && w[1] === "update")) say("apt-get install without apt-get update first");
  const unpinned = packages.filter((p) => !p.includes("="));
  if (unpinned.length > 0 && !APT_UNPINNED_NOTE.test(ins.comments.join(" ")))
    say(`apt packages ${unpinned.join(", ")} are not pinned and the comment above does not say why`);
  for (const name of packages.map((p) => p.split("=")[0]!)) {
    const executable = APT_EXECUTABLES[name] ?? (/^python3\.\d+$/.test(name) ? `/usr/bin/${name}` : null);
    if (!executable) continue;
    state.commands.add(posix.basename(executable));
    state.paths.set(executable, null);
  }
}

const PIN = /^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==[^=\s]+$/;
const NAME = /^([A-Za-z0-9_.-]+)(\[[^\]]*\])?/;
const canonical = (name: string): string => name.toLowerCase().replace(/[_.]+/g, "-");

function pipInstall(words: string[], state: ImageState, say: (m: string) => void, ctx: WalkContext): void {
  const constrained = new Set<string>();
  const specs: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (["-r", "--requirement", "-c", "--constraint"].includes(word)) {
      const file = words[++i]!;
      const lines = lockLines(file, state, say, ctx);
      for (const line of lines) {
        if (PIN.test(line)) constrained.add(canonical(NAME.exec(line)![1]!));
        else if (word === "-r" || word === "--requirement") say(`pip install -r ${file}: "${line}" is not pinned (==)`);
      }
    } else if (["-i", "--index-url", "--extra-index-url", "-f", "--find-links"].includes(word)) {
      say(`pip install ${word}: packages come from PyPI only`);
      i++;
    } else if (!word.startsWith("-")) {
      specs.push(word);
    }
  }
  for (const spec of specs) {
    const name = NAME.exec(spec)?.[1];
    if (!PIN.test(spec) && !(name && constrained.has(canonical(name))))
      say(`pip install ${spec}: not pinned (name==version, or in a -c/-r lock file)`);
  }
}

function lockLines(file: string, state: ImageState, say: (m: string) => void, ctx: WalkContext): string[] {
  const origin = repoPathOf(state, posix.resolve(state.workdir, file));
  if (origin === null || !existsSync(join(ctx.root, origin))) {
    say(`pip install reads ${file}, which is not a repository file copied into the image`);
    return [];
  }
  return readFileSync(join(ctx.root, origin), "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}

function npm(words: string[], state: ImageState, say: (m: string) => void): void {
  if (["install", "i", "add", "update"].includes(words[0] ?? "")) say(`npm ${words[0]}: use npm ci (the lock file)`);
  if (words[0] !== "ci") return;
  if (!words.includes("--omit=dev")) say("npm ci without --omit=dev puts dev tools in the image");
  if (!hasPath(state, posix.join(state.workdir, "package-lock.json")))
    say("npm ci with no package-lock.json copied in");
  state.paths.set(posix.join(state.workdir, "node_modules"), null);
}

/** `glia <command> --flags…` in a RUN or CMD: the command and its flags must exist. */
export function gliaCommand(words: string[], glia: WalkContext["glia"], say: (m: string) => void): void {
  if (!glia.commands.has(words[0] ?? "")) say(`glia ${words[0]}: no such glia command`);
  for (const flag of words.filter((w) => w.startsWith("--")).map((w) => w.split("=")[0]!)) {
    if (!glia.flags.has(flag)) say(`glia ${words[0]} ${flag}: no such option in control-plane/cli/main.ts`);
  }
}
