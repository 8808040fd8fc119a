import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadProject, type LoadedProject } from "../config/index.ts";
import { chooseBase, CPU_BASE_IMAGE, GPU_BASE_IMAGE, renderDockerignore, renderProjectDockerfile } from "./image.ts";

const dirs: string[] = [];

/** A project folder with a handler and `apis` as its config file (`cortex.yaml` unless named). */
async function project(apis: Array<Record<string, unknown>>, configName = "cortex.yaml"): Promise<LoadedProject> {
  const dir = mkdtempSync(join(tmpdir(), "glia-image-"));
  dirs.push(dir);
  writeFileSync(join(dir, "handler.py"), "class Handler: ...\n");
  const entries = apis.map((api) => ({ kind: "AsyncAPI", handler: { type: "python", path: "handler.py" }, ...api }));
  writeFileSync(join(dir, configName), stringify(entries));
  return loadProject(configName === "cortex.yaml" ? dir : join(dir, configName));
}

describe("the Dockerfile glia build writes", { timeout: 30_000 }, () => {
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("puts a CPU project on the CPU base, prepares its environments at build time and serves it by default", async () => {
    const cpu = await project([{ name: "iris" }]);
    const base = chooseBase(cpu);
    assert.deepEqual(base, { image: CPU_BASE_IMAGE, gpu: false, reason: "no API asks for a GPU" });
    const lines = renderProjectDockerfile(cpu, base).split("\n");
    const instructions = lines.filter((l) => l !== "" && !l.startsWith("#"));
    assert.deepEqual(instructions, [
      `ARG BASE_IMAGE=${CPU_BASE_IMAGE}`,
      "FROM ${BASE_IMAGE}",
      "USER root",
      "COPY . /srv/project",
      'RUN glia build --prepare /srv/project && chown -R 10001:10001 "$GLIA_CACHE_DIR"',
      "USER 10001:10001",
      "WORKDIR /srv/project",
      "EXPOSE 8080",
      'CMD ["up", "/srv/project", "--host", "0.0.0.0", "--port", "8080", "--data-dir", "/var/lib/glia"]',
    ]);
    assert.match(lines[0]!, /^# Written by `glia build` for iris;/);
  });

  it("puts a project with compute.gpu: 1 on the GPU base, and says which API asked", async () => {
    const gpu = await project([{ name: "text" }, { name: "vision", compute: { gpu: 1 } }]);
    const base = chooseBase(gpu);
    assert.deepEqual(base, { image: GPU_BASE_IMAGE, gpu: true, reason: "API vision asks for compute.gpu: 1" });
    const text = renderProjectDockerfile(gpu, base);
    assert.match(text, new RegExp(`^ARG BASE_IMAGE=${GPU_BASE_IMAGE}$`, "m"));
    assert.match(text, /^# Base: glia-gpu:0\.1\.0 \(API vision asks for compute\.gpu: 1\)/m);
  });

  it("takes --base over either default, keeping whether a GPU is needed", async () => {
    const gpu = await project([{ name: "vision", compute: { gpu: 2 } }]);
    assert.deepEqual(chooseBase(gpu, "glia-pytorch:0.1.0"), {
      image: "glia-pytorch:0.1.0",
      gpu: true,
      reason: "--base",
    });
    const text = renderProjectDockerfile(gpu, chooseBase(gpu, "glia-pytorch:0.1.0"));
    assert.match(text, /^ARG BASE_IMAGE=glia-pytorch:0\.1\.0$/m);
  });

  it("names a config file that is not cortex.yaml to the commands in the image", async () => {
    const other = await project([{ name: "iris" }], "serving.yaml");
    const text = renderProjectDockerfile(other, chooseBase(other));
    assert.match(text, /^RUN glia build --prepare \/srv\/project\/serving\.yaml /m);
    assert.match(text, /^CMD \["up", "\/srv\/project\/serving\.yaml",/m);
  });

  it("leaves glia's data folder, .git and bytecode out of the image, then the project's own .dockerignore", () => {
    const text = renderDockerignore("data/\n*.ckpt\n", ["Dockerfile.glia", "Dockerfile.glia.dockerignore"]);
    assert.deepEqual(text.split("\n").slice(1), [
      ".glia",
      ".git",
      "**/__pycache__",
      "**/*.py[cod]",
      "Dockerfile.glia",
      "Dockerfile.glia.dockerignore",
      "# The project's own .dockerignore:",
      "data/",
      "*.ckpt",
      "",
    ]);
  });
});
