/**
 * @module
 * How many threads each runtime's maths libraries use. PyTorch, XGBoost, NumPy's BLAS and
 * TensorFlow each start one thread per core by default, in every process: two runtimes on a
 * two-core machine then run four busy threads on two cores and slow each other down. glia gives
 * each runtime its share of the cores instead, through the variables the libraries read at start-up.
 */
import { availableParallelism } from "node:os";
import { parseQuantity, quantityToNumber } from "../config/index.ts";

/** The variables that set the size of the libraries' thread pools. */
export const THREAD_VARIABLES = [
  "OMP_NUM_THREADS", // PyTorch, XGBoost, scikit-learn's OpenMP code, MKL and OpenBLAS built with OpenMP
  "MKL_NUM_THREADS",
  "OPENBLAS_NUM_THREADS",
  "VECLIB_MAXIMUM_THREADS", // NumPy on macOS (Accelerate)
  "NUMEXPR_NUM_THREADS",
  "TF_NUM_INTRAOP_THREADS",
  "TF_NUM_INTEROP_THREADS",
] as const;

export interface ThreadShare {
  /** `compute.cpu` as written (a quantity), or null. */
  cpu: string | null;
  /** The runtimes of the API on this machine. */
  replicas: number;
  /** @default os.availableParallelism() */
  cores?: number;
}

/**
 * The threads one runtime gets: the machine's cores shared among the API's runtimes, and no more
 * than the whole cores `compute.cpu` asks for when it asks for at least one (a request below one
 * core, such as the default `200m`, is a scheduling hint and does not cut the share). Never below 1.
 *
 * @example threadsPerRuntime({ cpu: "200m", replicas: 2, cores: 8 }) // 4
 * @example threadsPerRuntime({ cpu: "2", replicas: 1, cores: 8 }) // 2
 */
export function threadsPerRuntime({ cpu, replicas, cores = availableParallelism() }: ThreadShare): number {
  const share = Math.floor(cores / Math.max(1, replicas));
  const parsed = cpu === null ? null : parseQuantity(cpu);
  const asked = parsed ? Math.floor(quantityToNumber(parsed)) : 0;
  return Math.max(1, asked >= 1 ? Math.min(share, asked) : share);
}

/**
 * The thread variables set to `threads`, leaving out each one `inherited` already sets: a value the
 * user gave, in `handler.env`, `.env` or glia's own environment, wins.
 */
export function threadEnvironment(
  threads: number,
  ...inherited: Record<string, string | undefined>[]
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of THREAD_VARIABLES)
    if (!inherited.some((vars) => vars[name] !== undefined && vars[name] !== "")) env[name] = String(threads);
  return env;
}
