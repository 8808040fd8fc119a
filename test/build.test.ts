/**
 * `glia build` as a user runs it, on machines without a Docker engine: a missing `docker`, one
 * whose engine does not answer, and a stand-in `docker` that records what it is asked to run.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { runCli } from "./support/cli.ts";
import { FIXTURES } from "./support/platform.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "glia-build-"));
  dirs.push(dir);
  return dir;
}

/** A copy of examples/hello to build (the command writes into the project's .glia/). */
function helloCopy(): string {
  const dir = join(tempDir(), "hello");
  cpSync(join(ROOT, "examples/hello"), dir, { recursive: true });
  return dir;
}

/** A stand-in `docker`: logs each command line, answers `info` and `build` with the given statuses. */
function fakeDocker(statuses: { info: number; build: number }): { docker: string; log: string } {
  const dir = tempDir();
  const docker = join(dir, "docker");
  const log = join(dir, "calls.log");
  writeFileSync(
    docker,
    [
      "#!/bin/sh",
      `echo "$@" >> '${log}'`,
      `if [ "$1" = info ] && [ ${statuses.info} -ne 0 ]; then echo 'Cannot connect to the Docker daemon' >&2; fi`,
      `[ "$1" = info ] && exit ${statuses.info}`,
      `[ "$1" = build ] && exit ${statuses.build}`,
      "exit 0",
    ].join("\n"),
  );
  chmodSync(docker, 0o755);
  return { docker, log };
}

function sitePackages(python: string): string {
  return execFileSync(python, ["-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).toString().trim();
}

const calls = (log: string): string[] => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);

describe("glia build", { timeout: 60_000 }, () => {
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("without Docker: writes the Dockerfile, prints the docker build command, says it did not build, exits 0", async () => {
    const hello = helloCopy();
    const missing = join(tempDir(), "docker");
    const cli = runCli(["build", hello], { GLIA_DOCKER: missing });
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    const dockerfile = join(hello, ".glia", "Dockerfile");
    assert.deepEqual(cli.stdoutLines, [`${missing} build -t glia-hello -f ${dockerfile} ${hello}`]);
    assert.match(readFileSync(dockerfile, "utf8"), /^ARG BASE_IMAGE=glia-cpu:0\.1\.0$/m);
    assert.match(readFileSync(`${dockerfile}.dockerignore`, "utf8"), /^\.glia$/m);
    const said = cli.stderr.join("\n");
    assert.match(
      said,
      /wrote .*\.glia\/Dockerfile and its \.dockerignore \(base glia-cpu:0\.1\.0: no API asks for a GPU\)/,
    );
    assert.match(said, /not building: Docker is not installed \(no `.*docker` command\); run the command above/);
  });

  it("with a docker whose engine does not answer: says why it did not build, exits 0", async () => {
    const { docker, log } = fakeDocker({ info: 1, build: 0 });
    const cli = runCli(["build", helloCopy()], { GLIA_DOCKER: docker });
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    assert.match(
      cli.stderr.join("\n"),
      /not building: no Docker engine answers \(`.*docker info` exited with 1: Cannot connect/,
    );
    assert.deepEqual(calls(log), ["info"], "nothing is built");
  });

  it("with a Docker engine: runs exactly the printed command, then says how to serve the image", async () => {
    const { docker, log } = fakeDocker({ info: 0, build: 0 });
    const hello = helloCopy();
    const output = join(tempDir(), "out", "Dockerfile");
    const cli = runCli(["build", hello, "--tag", "hello:1", "--output", output], { GLIA_DOCKER: docker });
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    assert.deepEqual(cli.stdoutLines, [`${docker} build -t hello:1 -f ${output} ${hello}`]);
    assert.deepEqual(calls(log), ["info", `build -t hello:1 -f ${output} ${hello}`]);
    assert.ok(existsSync(output) && existsSync(`${output}.dockerignore`));
    assert.match(cli.stderr.join("\n"), /built hello:1; serve it with: docker run --rm -p 8080:8080 hello:1/);
  });

  it("a failed docker build exits 1, naming the command", async () => {
    const { docker } = fakeDocker({ info: 0, build: 3 });
    const cli = runCli(["build", helloCopy()], { GLIA_DOCKER: docker });
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr.join("\n"), /error: `.*docker build -t glia-hello .*` failed with status 3/);
  });

  it("--no-build does not call docker; a compute.gpu project gets the GPU base, --base another", async () => {
    const { docker, log } = fakeDocker({ info: 0, build: 0 });
    const dir = tempDir();
    writeFileSync(join(dir, "handler.py"), "class Handler: ...\n");
    const api = {
      name: "vision",
      kind: "AsyncAPI",
      handler: { type: "python", path: "handler.py" },
      compute: { gpu: 1 },
    };
    writeFileSync(join(dir, "cortex.yaml"), stringify([api]));
    const gpu = runCli(["build", dir, "--no-build"], { GLIA_DOCKER: docker });
    assert.equal(await gpu.exited, 0, gpu.stderr.join("\n"));
    assert.match(readFileSync(join(dir, ".glia", "Dockerfile"), "utf8"), /^ARG BASE_IMAGE=glia-gpu:0\.1\.0$/m);
    assert.match(gpu.stderr.join("\n"), /base glia-gpu:0\.1\.0: API vision asks for compute\.gpu: 1/);
    assert.match(gpu.stderr.join("\n"), /not building \(--no-build\)/);
    const based = runCli(["build", dir, "--no-build", "--base", "glia-pytorch:0.1.0"], { GLIA_DOCKER: docker });
    assert.equal(await based.exited, 0);
    assert.match(readFileSync(join(dir, ".glia", "Dockerfile"), "utf8"), /^ARG BASE_IMAGE=glia-pytorch:0\.1\.0$/m);
    assert.deepEqual(calls(log), []);
  });

  it("refuses a missing project and an invalid cortex.yaml with the config errors glia up gives", async () => {
    const missing = runCli(["build", join(tempDir(), "nowhere")]);
    assert.equal(await missing.exited, 1);
    assert.match(missing.stderr.join("\n"), /^error: .*nowhere: no such file or directory \(looked for /m);
    const invalid = runCli(["build", `${FIXTURES}invalid-config`, "--no-build"]);
    assert.equal(await invalid.exited, 1);
    assert.match(invalid.stderr.join("\n"), /invalid-config\/cortex\.yaml: broken \(AsyncAPI\): handler\.path: /);
    assert.ok(!existsSync(`${FIXTURES}invalid-config/.glia`), "nothing is written for an invalid project");
  });

  it("--prepare builds the environment glia up will find, seeing the image's packages after its own", async () => {
    const cache = tempDir();
    const hello = helloCopy();
    // A stand-in for the image's venv (/opt/glia/venv): a module of its own, and a grpc that must not win.
    const imageVenv = join(tempDir(), "venv");
    execFileSync("python3", ["-m", "venv", "--without-pip", imageVenv]);
    const site = sitePackages(join(imageVenv, "bin", "python"));
    writeFileSync(join(site, "glia_image_marker.py"), "");
    writeFileSync(join(site, "grpc.py"), "raise ImportError('the image venv shadows the environment')\n");
    const env = { GLIA_CACHE_DIR: cache, GLIA_IMAGE_VENV: imageVenv };
    const cli = runCli(["build", "--prepare", hello], env);
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    const dir = /^Python environment for hello built: (\S+)$/m.exec(cli.stderr.join("\n"))?.[1] ?? "";
    assert.ok(dir.startsWith(join(cache, "venvs")), cli.stderr.join("\n"));
    const code = "import grpc, glia_image_marker as m; print(grpc.__file__); print(m.__file__)";
    const [grpc, marker] = execFileSync(join(dir, "bin", "python"), ["-c", code])
      .toString()
      .trim()
      .split("\n");
    assert.ok(grpc!.startsWith(dir), "its own packages come first");
    assert.ok(marker!.startsWith(site), "the image's fill in the rest");
    assert.equal(realpathSync(join(cache, "apis", "hello")), realpathSync(dir), "linked by API name for glia worker");
    const again = runCli(["build", "--prepare", hello], env);
    assert.equal(await again.exited, 0);
    assert.match(again.stderr.join("\n"), /^Python environment for hello reused: /m);
  });
});
