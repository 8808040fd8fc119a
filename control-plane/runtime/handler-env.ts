/**
 * @module
 * What a handler's process inherits from glia's own environment: an allowlist of ordinary
 * variables, never the platform's secrets (API keys, NATS credentials, cloud keys, anything else
 * glia was started with). A handler gets the rest of what it needs from its project's `.env` and
 * `handler.env`, as in Cortex.
 */
import { THREAD_VARIABLES } from "./threads.ts";

/** Ordinary variables passed on as they are: paths, locale, proxies, CA bundles, GPU libraries. */
const PASSED = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TERM",
  "TMPDIR",
  "PYENV_ROOT", // where a pyenv interpreter finds its versions
  "PYENV_VERSION",
  "PYTHONDONTWRITEBYTECODE",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
  "LD_LIBRARY_PATH",
  "CUDA_HOME",
  "CUDA_VISIBLE_DEVICES", // in a cluster, the devices the pod was given (glia sets it per runtime locally)
  "NVIDIA_VISIBLE_DEVICES",
  "NVIDIA_DRIVER_CAPABILITIES",
  ...THREAD_VARIABLES, // a value the user set for glia is kept (see threads.ts)
]);

/** Variables passed on by prefix: the locale categories. */
const PASSED_PREFIXES = ["LC_"];

/** `pip` reads its configuration from `PIP_*` variables (index URL, trusted hosts, constraints). */
const PIP_PREFIX = "PIP_";

/**
 * The variables of `env` a handler (or its `dependencies.sh`) may see; with `forPip`, pip's own
 * settings too, for the environment build.
 */
export function inheritedEnvironment(
  env: NodeJS.ProcessEnv,
  options: { forPip?: boolean } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const passed =
      PASSED.has(name) ||
      PASSED_PREFIXES.some((p) => name.startsWith(p)) ||
      (options.forPip === true && name.startsWith(PIP_PREFIX));
    if (passed) out[name] = value;
  }
  return out;
}
