import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "../../control-plane/platform/index.ts";

export interface TestNats extends AsyncDisposable {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A fresh `nats-server` with JetStream on 127.0.0.1, a free port and its own temporary store,
 * so tests never touch a server that was already running on the machine.
 */
export async function startTestNats(): Promise<TestNats> {
  const dir = await mkdtemp(join(tmpdir(), "glia-test-nats-"));
  const server = await startNatsServer({ dataDir: dir });
  const stop = async (): Promise<void> => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { url: server.url, pid: server.pid, stop, [Symbol.asyncDispose]: stop };
}
