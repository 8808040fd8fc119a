import { Command, Option } from "commander";
import { GliaError } from "../errors.ts";
import { runUp } from "./up.ts";
import { runWorker } from "./worker.ts";
import { runGateway } from "./gateway.ts";
import { runDelete, runDeploy, runGet, runLogs, runRequeue } from "./control.ts";
import { runBuild } from "./build.ts";
import { runRenderK8s } from "./render.ts";
import { CPU_BASE_IMAGE, GPU_BASE_IMAGE } from "./image.ts";
import { say, UsageError } from "./flags.ts";

/** `--cors-origin`, repeatable, each a comma-separated list; checked by parseCorsOrigins. */
function corsOption(): Option {
  return new Option(
    "--cors-origin <origin>",
    "let browser pages from this origin read the public listener's answers (repeatable or comma-separated; * for any; default: none)",
  )
    .env("GLIA_CORS_ORIGINS")
    .argParser((value: string, previous: string[] = []) => [...previous, value]);
}

const program = new Command()
  .name("glia")
  .description("Run asynchronous Python model APIs (Cortex AsyncAPI handlers) on NATS JetStream.")
  .showHelpAfterError();

program
  .command("up")
  .description("serve one or more projects (folders holding a cortex.yaml) until Ctrl-C")
  .argument("[projects...]", "project folders or cortex.yaml files", [])
  .option("-p, --port <port>", "public HTTP port (0 picks a free one)", "8080")
  .option("--host <host>", "address the public listener binds to", "127.0.0.1")
  .option("--internal-port <port>", "loopback port handlers reach as http://api-<name>:8888/", "8888")
  .addOption(new Option("--nats-url <url>", "use this NATS server instead of starting one").env("NATS_URL"))
  .option("--data-dir <dir>", "where the started NATS server keeps its data (default: <project>/.glia)")
  .option("--request-timeout <seconds>", "deadline of one handler call", "3600")
  .option("--replicas <n>", "replicas of every stream, bucket and object store (a clustered NATS, e.g. 3)", "1")
  .option(
    "--api-keys-file <file>",
    "require Authorization: Bearer <key> on the public listener; one key a line, <api>:<key> for one API (also GLIA_API_KEYS, comma-separated)",
  )
  .addOption(corsOption())
  .option(
    "--run-as <user>",
    "when glia runs as root: run handlers and dependencies.sh as this unprivileged user (e.g. nobody)",
  )
  .option("--result-ttl <duration>", "how long request records and results are kept (e.g. 7d, 168h)", "7d")
  .addOption(
    new Option("--log-level <level>", "log level")
      .choices(["debug", "info", "warn", "error"])
      .default("info")
      .env("GLIA_LOG_LEVEL"),
  )
  .action(runUp);

program
  .command("worker")
  .description("run one API's worker and Python runtimes (glia up starts one per API; a cluster's worker pods run it)")
  .requiredOption("--project <dir>", "the project folder holding cortex.yaml")
  .requiredOption("--api <name>", "the API to serve")
  .addOption(new Option("--nats-url <url>", "the NATS server").env("NATS_URL").makeOptionMandatory())
  .option("--python <path>", "the Python interpreter of the API's environment", "python3")
  .option("--request-timeout <seconds>", "deadline of one handler call (default: 3600)")
  .option("--ack-wait-ms <ms>", "how long a delivery may go unacknowledged before it is redelivered")
  .option("--result-ttl-ms <ms>", "max age of queued requests and results")
  .option("--replicas <n>", "replicas of streams and stores on a clustered NATS")
  .option(
    "--gpus <lists>",
    'CUDA devices of each runtime, e.g. "0,1;2,3" (default: the environment\'s CUDA_VISIBLE_DEVICES)',
  )
  .option("--spec-file <file>", "the API's resolved spec as JSON (for a project folder without cortex.yaml)")
  .option("--chain-address <host:port>", "where handlers reach http://api-<name>:8888/ locally (default: DNS)")
  .option("--provisioned", "the API's streams exist already: use them, do not create or update them")
  .option("--run-as <user>", "run the Python runtimes as this unprivileged user (glia must run as root)")
  .option("--grace <seconds>", "on SIGTERM, how long running requests may take to finish", "30")
  .addOption(
    new Option("--log-level <level>", "log level")
      .choices(["silent", "debug", "info", "warn", "error"])
      .default("info")
      .env("GLIA_LOG_LEVEL"),
  )
  .action(runWorker);

program
  .command("gateway")
  .description("run the HTTP gateway alone, routing every deployed API (a cluster's gateway pods run it)")
  .addOption(
    new Option(
      "--nats-url <url>",
      "the platform's NATS server(s) (default: the one glia up started, with the gateway's own key)",
    ).env("NATS_URL"),
  )
  .option("-p, --port <port>", "public HTTP port (0 picks a free one)", "8080")
  .option("--host <host>", "address the public listener binds to", "127.0.0.1")
  .option("--internal-port <port>", "port other APIs' handlers reach as http://api-<name>:8888/", "8888")
  .option(
    "--internal-host <host>",
    "address the internal listener binds to (only other APIs should reach it)",
    "127.0.0.1",
  )
  .option("--replicas <n>", "replicas of streams and stores on a clustered NATS", "1")
  .option("--result-ttl <duration>", "how long request records and results are kept (default: as the platform set it)")
  .option("--api-keys-file <file>", "require Authorization: Bearer <key> on the public listener (also GLIA_API_KEYS)")
  .addOption(corsOption())
  .addOption(
    new Option("--log-level <level>", "log level")
      .choices(["debug", "info", "warn", "error"])
      .default("info")
      .env("GLIA_LOG_LEVEL"),
  )
  .action(runGateway);

const natsOption = (): Option =>
  new Option("--nats-url <url>", "the platform's NATS server (default: the running glia up)").env("NATS_URL");
const outputOption = (): Option =>
  new Option("-o, --output <format>", "output format").choices(["pretty", "json"]).default("pretty");

program
  .command("deploy")
  .description("validate a cortex.yaml, bundle its project and deploy its APIs to the running platform")
  .argument("[config]", "a cortex.yaml file or the folder holding it", ".")
  .option("--wait", "wait until the APIs serve (exit 1 if one cannot start)")
  .option(
    "--provision",
    "also create the APIs' queues, for workers started with --provisioned (a cluster's; needs --nats-url)",
  )
  .option("--replicas <n>", "replicas of the streams and stores it creates, on a clustered NATS", "1")
  .addOption(natsOption())
  .addOption(outputOption())
  .action(runDeploy);

program
  .command("get")
  .description("list deployed APIs (status, replicas, queued requests, endpoint), or show one")
  .argument("[name]", "one API")
  .addOption(natsOption())
  .addOption(outputOption())
  .action(runGet);

program
  .command("logs")
  .description("follow an API's runtime output live (Ctrl-C stops)")
  .argument("<name>", "the API")
  .addOption(natsOption())
  .addOption(outputOption())
  .action(runLogs);

program
  .command("delete")
  .description("stop an API and drop its queued requests (stored results stay until they expire)")
  .argument("<name>", "the API")
  .addOption(natsOption())
  .addOption(outputOption())
  .action(runDelete);

program
  .command("requeue")
  .description("put failed requests back in the queue with their original payload and id")
  .argument("<name>", "the API")
  .argument("[id]", "one failed request")
  .option("--all-failed", "every failed request the API still holds")
  .addOption(natsOption())
  .addOption(outputOption())
  .action(runRequeue);

program
  .command("build")
  .description("write a Dockerfile that puts a project on glia's image, and build it with Docker when there is one")
  .argument("[project]", "the project folder or its cortex.yaml", ".")
  .option("-t, --tag <name>", "the image's name (default: glia-<project folder>)")
  .option("-o, --output <file>", "where to write the Dockerfile (default: <project>/.glia/Dockerfile)")
  .option("--base <image>", `base image (default: ${CPU_BASE_IMAGE}, or ${GPU_BASE_IMAGE} when an API asks for a GPU)`)
  .option("--no-build", "write the Dockerfile and print the docker build command without running it")
  .option("--prepare", "inside an image (the Dockerfile runs it): build the project's Python environments now")
  .action(runBuild);

program
  .command("render")
  .description("write manifests that run glia elsewhere")
  .command("k8s")
  .description("write Kubernetes manifests (a kustomization) for the gateway and the projects' APIs")
  .argument("[projects...]", "project folders or cortex.yaml files (default: the current folder)", [])
  .requiredOption("--out <dir>", "the folder to write them to (apply with kubectl apply -k <dir>)")
  .option(
    "--image-prefix <prefix>",
    "registry path before each image name, ending with / (e.g. registry.example.com/team/)",
  )
  .option("--image-tag <tag>", "the tag of the projects' images (default: the name glia build tags, :latest)")
  .option("--gateway-image <image>", `the gateway's image (default: <image-prefix>${CPU_BASE_IMAGE})`)
  .option("--gateway-replicas <n>", "gateway pods", "2")
  .option("--nats-url <url>", "the cluster's NATS, without credentials", "nats://nats:4222")
  .option("--nats-monitoring <host:port>", "NATS's monitoring endpoint, where KEDA reads the queue lag", "nats:8222")
  .option("--nats-account <account>", "the NATS account of glia's streams", "$G")
  .option("--nats-release <name>", "the NATS chart's Helm release (its pods' NetworkPolicy selects it)", "nats")
  .option("--nats-storage <size>", "each NATS node's JetStream volume", "10Gi")
  .option("--keda-namespace <namespace>", "the namespace of KEDA's operator (let to NATS's monitoring port)", "keda")
  .option("--nats-replicas <n>", "replicas of streams and stores, and the NATS nodes nats-values.yaml asks for", "3")
  .option("--request-timeout <seconds>", "deadline of one handler call where an API sets none", "3600")
  .option("--namespace <namespace>", "the namespace kustomization.yaml sets (default: kubectl's)")
  .option("--aws-secret <name>", "a Secret of AWS_* settings for the workers of APIs with s3:// models")
  .action(runRenderK8s);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof GliaError || err instanceof UsageError) {
    say(`error: ${err.message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
  throw err;
}
