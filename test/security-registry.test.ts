import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { ConfigError, loadProject } from "../control-plane/config/index.ts";
import { ApiRegistry, type ApiStatus, type DeployedApi } from "../control-plane/jobs/index.ts";
import { deployProject, Reconciler } from "../control-plane/platform/index.ts";
import { FIXTURES, startPlatform, type TestPlatform } from "./support/platform.ts";
import { get, isFinal, submit, waitFor } from "./support/http.ts";

/**
 * Registry entries written straight into the `glia-apis` bucket with the platform's own NATS
 * connection (the credentials that can write anything there): each is refused and reported, and
 * changes nothing, while the APIs already deployed keep answering.
 */
describe("hostile registry entries", { timeout: 300_000 }, () => {
  let stack: TestPlatform;
  let registry: ApiRegistry;
  let apis: KV;
  let echo: DeployedApi;
  let work: string;
  const traffic = { stop: false, answered: 0, failures: [] as string[], done: Promise.resolve() };

  /** One request to each fixture API after another, until stopped (at most 2,000 rounds). */
  async function keepAsking(): Promise<void> {
    for (let round = 0; round < 2_000 && !traffic.stop; round++) {
      for (const api of ["echo", "versioned"]) {
        try {
          const done = await waitFor(stack.url(api), await submit(stack.url(api), "{}", "application/json"), isFinal);
          if (done.body["status"] === "completed") traffic.answered++;
          else traffic.failures.push(`${api}: ${JSON.stringify(done.body)}`);
        } catch (err) {
          traffic.failures.push(`${api}: ${(err as Error).message}`);
        }
      }
    }
  }

  /** Writes `value` as the registry entry `name`, bypassing `glia deploy` and its checks. */
  const writeRaw = async (name: string, value: unknown): Promise<void> => {
    await apis.put(name, JSON.stringify(value));
  };

  /** An entry like echo's (a real bundle, a valid spec) for `name` at `endpoint`, then `patch`ed. */
  function like(name: string, endpoint: string, patch: (e: DeployedApi) => void = () => {}): DeployedApi {
    const entry = structuredClone(echo);
    entry.spec.name = name;
    entry.spec.endpoint = endpoint;
    entry.deployedAt = new Date().toISOString();
    patch(entry);
    return entry;
  }

  /** Claims `endpoint` for `api` as `glia deploy` would (so only the entry's own fault can refuse it). */
  async function claim(api: string, endpoint: string): Promise<void> {
    await registry.claimEndpoints((claims) => claims.set(api, endpoint));
  }

  /** The status the platform reports for `name` once it refused it. */
  async function refusal(name: string): Promise<ApiStatus> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await registry.status(name);
      if (status?.state === "error") return status;
      assert.ok(Date.now() < deadline, `${name} was not refused; status ${JSON.stringify(status)}`);
      await sleep(50);
    }
  }

  before(async () => {
    stack = await startPlatform(["echo-payloads", "versioned"]);
    registry = await ApiRegistry.open(stack.platform.nc);
    apis = await new Kvm(jetstream(stack.platform.nc)).open("glia-apis");
    echo = (await registry.get("echo"))!.api!;
    work = await mkdtemp(join(tmpdir(), "glia-security-"));
    traffic.done = keepAsking();
  });

  after(async () => {
    traffic.stop = true;
    await traffic.done;
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("a bundle id that is a path unpacks nothing and removes nothing", async () => {
    // `../../<name>/victim` from the data folder's bundles/ is a folder beside the data folder.
    const victimName = `glia-victim-${process.pid}`;
    const victim = join(stack.dataDir, "..", victimName, "victim");
    await mkdir(victim, { recursive: true });
    await writeFile(join(victim, "keep.txt"), "sentinel");
    try {
      const bundle = `../../${victimName}/victim`;
      // The bundle object exists too, so nothing but the check stops the unpack.
      await registry.putBundle(bundle, await registry.getBundle(echo.bundle));
      await claim("victim-bundle", "/victim-bundle");
      await writeRaw(
        "victim-bundle",
        like("victim-bundle", "/victim-bundle", (e) => (e.bundle = bundle)),
      );
      const status = await refusal("victim-bundle");
      assert.deepEqual(await readdir(join(victim, "..")), ["victim"]);
      assert.deepEqual(await readdir(victim), ["keep.txt"]);
      assert.equal(await readFile(join(victim, "keep.txt"), "utf8"), "sentinel");
      assert.match(status.message ?? "", /bundle: "\.\.\/\.\.\/glia-victim-\d+\/victim" is not a bundle id/);
      assert.equal((await get(`${stack.platform.url}/victim-bundle`)).status, 404);
    } finally {
      await rm(join(victim, ".."), { recursive: true, force: true });
    }
  });

  it("a handler path outside the bundle is never loaded", async () => {
    const outside = join(work, "outside");
    await mkdir(outside);
    const marker = join(outside, "ran");
    await writeFile(
      join(outside, "outside.py"),
      `open(${JSON.stringify(marker)}, "w").write("loaded")\n\nclass Handler:\n    def handle_async(self, payload, request_id):\n        return {}\n`,
    );
    const path = `${"../".repeat(12)}${outside.slice(1)}/outside.py`;
    await claim("evil-path", "/evil-path");
    await writeRaw(
      "evil-path",
      like("evil-path", "/evil-path", (e) => (e.spec.handler.path = path)),
    );
    const status = await refusal("evil-path");
    assert.match(status.message ?? "", /spec\.handler\.path: .*must be inside the project directory/);
    await sleep(1_000); // what would have started it had the time to
    assert.deepEqual(await readdir(outside), ["outside.py"]);
    assert.equal(stack.platform.workers.has("evil-path"), false);
  });

  it("an entry taking another API's endpoint is refused, and the owner keeps serving", async () => {
    await writeRaw("evil-takeover", like("evil-takeover", "/echo"));
    const status = await refusal("evil-takeover");
    assert.match(status.message ?? "", /evil-takeover holds no endpoint claim/);
    await assert.rejects(
      deployProject(registry, {
        ...(await loadProject(join(FIXTURES, "echo-payloads"))),
        apis: [like("evil-takeover", "/echo").spec],
      }),
      (err: unknown) => err instanceof ConfigError && /\/echo` is already used by `echo`/.test(err.message),
    );
    const done = await waitFor(
      stack.url("echo"),
      await submit(stack.url("echo"), '"mine"', "application/json"),
      isFinal,
    );
    assert.equal(done.body["status"], "completed");
    assert.deepEqual((done.body["result"] as Record<string, unknown>)["config"], { greeting: "hello" });
    assert.equal(stack.platform.workers.has("evil-takeover"), false);
  });

  it("reserved and nested endpoints are refused", async () => {
    await writeRaw("evil-reserved", like("evil-reserved", "/metrics"));
    assert.match((await refusal("evil-reserved")).message ?? "", /spec\.endpoint: `\/metrics` is not allowed/);
    await writeRaw("evil-nested", like("evil-nested", "/echo/healthz"));
    assert.match((await refusal("evil-nested")).message ?? "", /evil-nested holds no endpoint claim/);
    const echoProject = await loadProject(join(FIXTURES, "echo-payloads"));
    await assert.rejects(
      deployProject(registry, { ...echoProject, apis: [like("evil-nested", "/echo/healthz").spec] }),
      (err: unknown) => err instanceof ConfigError && /lies inside `\/echo`, the endpoint of `echo`/.test(err.message),
    );
    const health = await get(`${stack.url("echo")}/healthz`);
    assert.equal(health.status, 200, JSON.stringify(health.body));
    assert.equal((await get(`${stack.platform.url}/metrics`)).status, 200);
  });

  it("of two deploys racing for one endpoint under different names, exactly one wins", async () => {
    for (let round = 0; round < 3; round++) {
      const projects = await Promise.all(
        ["a", "b"].map(async (side) => {
          const dir = join(work, `race-${round}-${side}`);
          await cp(join(FIXTURES, "versioned"), dir, { recursive: true });
          await writeFile(
            join(dir, "cortex.yaml"),
            `- name: race-${round}-${side}\n  kind: AsyncAPI\n  networking:\n    endpoint: /race-${round}\n  handler:\n    type: python\n    path: handler.py\n`,
          );
          return loadProject(dir);
        }),
      );
      const results = await Promise.allSettled(projects.map((p) => deployProject(registry, p)));
      const won = results.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
      const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
      assert.equal(won.length, 1, `round ${round}: ${won.length} deploys won`);
      assert.equal(lost.length, 1);
      assert.ok(lost[0] instanceof ConfigError, String(lost[0]));
      assert.match(lost[0].message, new RegExp(`endpoint \`/race-${round}\` is already used by \`${won[0]!.name}\``));
      const loser = won[0]!.name.endsWith("a") ? `race-${round}-b` : `race-${round}-a`;
      assert.equal(await registry.get(loser), null);
      if (round === 0) {
        const live = await Reconciler.waitForStatus(registry, won[0]!.name, won[0]!.deployedAt, 120_000);
        assert.equal(live.state, "live", live.message);
      }
      await registry.remove(won[0]!.name);
    }
  });

  it("a handler writing to its own files leaves the bundle as deployed", async () => {
    const [deployed] = await deployProject(registry, await loadProject(join(FIXTURES, "edits-own-files")));
    const live = await Reconciler.waitForStatus(registry, deployed!.name, deployed!.deployedAt, 120_000);
    assert.equal(live.state, "live", live.message);
    const cached = join(stack.dataDir, "bundles", deployed!.bundle, "handler.py");
    const before = await readFile(cached, "utf8");
    const url = `${stack.platform.url}/edits-own-files`;
    const done = await waitFor(url, await submit(url, "{}", "application/json"), isFinal);
    assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
    assert.equal(await readFile(cached, "utf8"), before);
    await registry.remove(deployed!.name);
  });

  it("bundles are private to glia's user, and specs are never written to disk", async () => {
    const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;
    assert.equal(await mode(stack.dataDir), 0o700);
    const bundle = join(stack.dataDir, "bundles", echo.bundle);
    assert.deepEqual([await mode(join(stack.dataDir, "bundles")), await mode(bundle)], [0o700, 0o700]);
    assert.equal(await mode(join(bundle, "handler.py")), 0o600);
    // A spec (handler.env may hold secrets) reaches its worker in the plan sent over the IPC channel.
    assert.deepEqual(
      (await readdir(stack.dataDir)).filter((name) => name === "specs"),
      [],
    );
  });

  it("the other APIs answered every request throughout", async () => {
    traffic.stop = true;
    await traffic.done;
    assert.deepEqual(traffic.failures, []);
    assert.ok(traffic.answered > 0, "no request was answered");
    console.log(`# ${traffic.answered} requests answered while hostile entries were written`);
  });
});
