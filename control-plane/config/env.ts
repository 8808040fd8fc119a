/**
 * @module
 * Every environment variable glia reads, in one place, with its default. Modules take settings from
 * here instead of reading `process.env` themselves, so a setting has one name, one default and one
 * description. Two families are read elsewhere, by the conventions that define them: the AWS
 * settings (`AWS_*`, read by the model cache from the environment it is given, as the AWS SDKs do)
 * and the variables a handler inherits (runtime/handler-env.ts's allowlist). Command-line options
 * that fall back to a variable (`--nats-url`/`NATS_URL`, `--log-level`/`GLIA_LOG_LEVEL`,
 * `--cors-origin`/`GLIA_CORS_ORIGINS`) say so where the CLI defines them (cli/main.ts).
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export interface GliaEnvironment {
  /** `GLIA_PYTHON`: the interpreter API environments are made from. @default "python3" */
  python: string;
  /** `GLIA_CACHE_DIR`: where environments and models are cached; null: see {@link cacheDir}. */
  cacheDir: string | null;
  /** `GLIA_STATE_FILE`: where `glia up` records how the CLI finds it; null: see {@link stateFilePath}. */
  stateFile: string | null;
  /** `GLIA_NATS_SERVER`: the nats-server binary `glia up` starts; null: the tools environment's, else PATH's. */
  natsServer: string | null;
  /** `GLIA_GPUS` (`0,1`; empty for none), else `CUDA_VISIBLE_DEVICES`; null: ask nvidia-smi. */
  gpus: string | null;
  /** `GLIA_API_KEYS`: keys the public listener requires, apart by ",". */
  apiKeys: string | undefined;
  /** `GLIA_DOCKER`: the docker-compatible command `glia build` runs. @default "docker" */
  docker: string;
  /** `GLIA_IMAGE_VENV`: inside an image, the folder `glia build --prepare` builds environments in. */
  imageVenv: string | null;
  /** `INIT_CWD` (set by npm to the folder `npm start`/`npm run glia` was typed in), else the working directory. */
  invocationDir: string;
  /** NATS credentials for a server given by URL: `NATS_TOKEN`, `NATS_CREDS` (a .creds file), `NATS_NKEY` (a seed file), `NATS_INBOX_PREFIX`. */
  nats: { token?: string; creds?: string; nkeyFile?: string; inboxPrefix?: string };
  /** The XDG base folders, each defaulting as the XDG spec says. */
  xdg: { cache: string; state: string; data: string };
}

const text = (value: string | undefined): string | undefined => (value === "" ? undefined : value);

/** The settings in `env` (the process's environment by default). */
export function gliaEnvironment(env: NodeJS.ProcessEnv = process.env): GliaEnvironment {
  const home = env["HOME"] || homedir();
  return {
    python: text(env["GLIA_PYTHON"]) ?? "python3",
    cacheDir: text(env["GLIA_CACHE_DIR"]) ?? null,
    stateFile: text(env["GLIA_STATE_FILE"]) ?? null,
    natsServer: text(env["GLIA_NATS_SERVER"]) ?? null,
    gpus: env["GLIA_GPUS"] ?? env["CUDA_VISIBLE_DEVICES"] ?? null, // "" means none, on purpose
    apiKeys: env["GLIA_API_KEYS"],
    docker: text(env["GLIA_DOCKER"]) ?? "docker",
    imageVenv: text(env["GLIA_IMAGE_VENV"]) ?? null,
    invocationDir: text(env["INIT_CWD"]) ?? process.cwd(),
    nats: {
      token: text(env["NATS_TOKEN"]),
      creds: text(env["NATS_CREDS"]),
      nkeyFile: text(env["NATS_NKEY"]),
      inboxPrefix: text(env["NATS_INBOX_PREFIX"]),
    },
    xdg: {
      cache: text(env["XDG_CACHE_HOME"]) ?? join(home, ".cache"),
      state: text(env["XDG_STATE_HOME"]) ?? join(home, ".local", "state"),
      data: text(env["XDG_DATA_HOME"]) ?? join(home, ".local", "share"),
    },
  };
}

/** The shared cache for environments built as another user (`--run-as`): root's own is in its home, which that user cannot enter. */
export const SHARED_CACHE_DIR = "/var/cache/glia";

/** `GLIA_CACHE_DIR`, else the shared cache for another user's environments, else `$XDG_CACHE_HOME/glia`. */
export function cacheDir(forAnotherUser: boolean, env: GliaEnvironment = gliaEnvironment()): string {
  if (env.cacheDir) return resolve(env.cacheDir);
  return forAnotherUser ? SHARED_CACHE_DIR : join(env.xdg.cache, "glia");
}

/** `GLIA_STATE_FILE`, else `$XDG_STATE_HOME/glia/platform.json`. */
export function stateFilePath(env: GliaEnvironment = gliaEnvironment()): string {
  return env.stateFile ?? join(env.xdg.state, "glia", "platform.json");
}

/** Where a platform started without a project keeps its data: `$XDG_DATA_HOME/glia`. */
export function defaultDataDir(env: GliaEnvironment = gliaEnvironment()): string {
  return resolve(env.xdg.data, "glia");
}
