import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect, type NodeConnectionOptions } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { checkNatsServerVersion, natsServerBinary } from "../../control-plane/platform/index.ts";
import { freePort } from "./ports.ts";

export interface TestCluster {
  /** All client URLs, comma-separated, as `--nats-url` takes them. */
  url: string;
  nodes: ChildProcess[];
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** More configuration for every node (e.g. `max_payload` and an `authorization` block). */
  config?: string;
  /** How the readiness check connects, when the configuration asks for credentials. */
  connect?: Partial<NodeConnectionOptions>;
}

/** A three-node JetStream cluster on loopback, each node with its own folder; resolves once JetStream answers. */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const binary = natsServerBinary();
  await checkNatsServerVersion(binary);
  const dir = await mkdtemp(join(tmpdir(), "glia-cluster-"));
  const ports = await Promise.all([0, 1, 2].map(async () => ({ client: await freePort(), route: await freePort() })));
  const nodes: ChildProcess[] = [];
  for (const [i, p] of ports.entries()) {
    const routes = ports.filter((_, j) => j !== i).map((o) => `nats://127.0.0.1:${o.route}`);
    const conf = join(dir, `n${i}.conf`);
    await mkdir(join(dir, `n${i}`), { recursive: true });
    await writeFile(
      conf,
      `server_name: n${i}\nlisten: 127.0.0.1:${p.client}\njetstream { store_dir: ${JSON.stringify(join(dir, `n${i}`))} }\n` +
        `cluster { name: glia-test\n listen: 127.0.0.1:${p.route}\n routes: ${JSON.stringify(routes)} }\n` +
        (options.config ?? ""),
    );
    nodes.push(spawn(binary, ["-c", conf], { stdio: "ignore" }));
  }
  const url = ports.map((p) => `nats://127.0.0.1:${p.client}`).join(",");
  const stop = async (): Promise<void> => {
    await Promise.all(
      nodes
        .filter((n) => n.exitCode === null && n.signalCode === null)
        .map(async (n) => {
          const exited = once(n, "exit");
          n.kill("SIGTERM");
          await exited;
        }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForJetStream(url, options.connect ?? {});
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, nodes, stop };
}

async function waitForJetStream(url: string, auth: Partial<NodeConnectionOptions>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const nc = await connect({ ...auth, servers: url.split(","), timeout: 2_000 });
      try {
        await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`the test cluster's JetStream did not come up: ${(err as Error).message}`, { cause: err });
      await sleep(250);
    }
  }
}
