import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, KvWatchInclude, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import {
  checkRegistryEntry,
  RegistryEntryError,
  standingClaims,
  type ClaimProblem,
  type DeployedApi,
} from "../config/index.ts";
import { RecordConflictError, StoreUnavailableError } from "./errors.ts";
import { readObject } from "./object-reader.ts";
import { APIS_BUCKET, BUNDLES_STORE as BUNDLES, STATUS_BUCKET } from "./names.ts";

/**
 * The key, in the APIs bucket, of the document holding every API's endpoint claim (`{api:
 * endpoint}`). It is not an API name, so no API's entry can take it. Endpoints are claimed in one
 * document rather than one key per endpoint because the rule is about pairs of keys: `/hello` and
 * `/hello/healthz` may not both be served. With every claim in one document, a deploy checks its
 * endpoints against all the others and writes its claims in one compare-and-set on the document's
 * revision, so of two deploys racing for one endpoint (or for nested ones) exactly one write lands;
 * the other re-reads, sees the winner's claim and is refused. A project's APIs are claimed together
 * or not at all. Written only by deploys and deletes, so its contention is that of deploys.
 */
const CLAIMS_KEY = "_endpoints";
/** Compare-and-set tries of one claim change before giving up (each follows a write that landed). */
const CLAIM_TRIES = 20;

export type { DeployedApi };

/** An entry read from the registry: checked, or refused with every problem found. */
export type RegistryEntry =
  { name: string; api: DeployedApi; error: null } | { name: string; api: null; error: RegistryEntryError };

/** The endpoint claims that stand (API → endpoint), and those that do not with why. */
export interface EndpointClaims {
  held: ReadonlyMap<string, string>;
  problems: readonly ClaimProblem[];
}

/** Why `api` may not be served by its claim; null when it holds the claim to its endpoint. */
export function claimProblem(api: DeployedApi, claims: EndpointClaims): string | null {
  const { name, endpoint } = api.spec;
  const held = claims.held.get(name);
  if (held === endpoint) return null;
  const contested = claims.problems.find((p) => p.api === name);
  if (contested) return contested.message;
  const which = held === undefined ? "holds no endpoint claim" : `holds the claim to ${held}, not ${endpoint}`;
  return `${name} ${which}: an entry written around \`glia deploy\` is not served; deploy the API again`;
}

export type ApiState = "live" | "updating" | "error";

export interface ApiStatus {
  state: ApiState;
  /** Which deploy (its `deployedAt`) this status is about: the one rolling out, failed, or live. */
  deployedAt: string;
  /** The bundle the running workers serve (the deployed one once live). */
  bundle: string | null;
  replicas: number;
  /** The CUDA devices of each runtime, for an API with `compute.gpu` (where the platform hands them out). */
  gpus?: string[][];
  /** Why the last deploy could not start (`error`), or what it is doing (`updating`, e.g. fetching models). */
  message?: string;
  /** Runtimes serving now (idle or busy), of the `replicas` asked for. */
  ready?: number;
  /** The autoscaler's last word: its recommendation, why the count is what it is, and what holds it below. */
  autoscaler?: { recommendation: number | null; reason: string; heldBy: string | null };
  updatedAt: string;
}

/** The API registry in JetStream: specs in a KV bucket, project bundles in an object store. */
export class ApiRegistry {
  readonly #apis: KV;
  readonly #status: KV;
  readonly #bundles: ObjectStore;
  readonly #js: JetStreamClient;

  private constructor(apis: KV, status: KV, bundles: ObjectStore, js: JetStreamClient) {
    this.#apis = apis;
    this.#status = status;
    this.#bundles = bundles;
    this.#js = js;
  }

  static async open(nc: NatsConnection, options: { replicas?: number } = {}): Promise<ApiRegistry> {
    const js = jetstream(nc);
    const common = { history: 1, storage: StorageType.File, replicas: options.replicas ?? 1 };
    try {
      const apis = await new Kvm(js).create(APIS_BUCKET, common);
      const status = await new Kvm(js).create(STATUS_BUCKET, common);
      const bundles = await new Objm(js).create(BUNDLES, {
        storage: StorageType.File,
        replicas: options.replicas ?? 1,
      });
      return new ApiRegistry(apis, status, bundles, js);
    } catch (err) {
      throw new StoreUnavailableError(`could not open the API registry: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The entry of `name`, checked; null when none is deployed under that name. */
  async get(name: string): Promise<RegistryEntry | null> {
    if (name === CLAIMS_KEY) return null;
    const entry = await this.#apis.get(name);
    return entry && entry.operation === "PUT" ? checked(name, entry.string()) : null;
  }

  /** Every entry, checked, in name order. */
  async list(): Promise<RegistryEntry[]> {
    const names = new Set<string>(); // a key written while the listing runs can be named twice
    for await (const key of await this.#apis.keys()) if (key !== CLAIMS_KEY) names.add(key);
    const apis = await Promise.all([...names].sort().map((n) => this.get(n)));
    return apis.filter((a): a is RegistryEntry => a !== null);
  }

  /** Writes an entry; its endpoint must be claimed first ({@link claimEndpoints}) or it is not served. */
  async put(api: DeployedApi): Promise<void> {
    await this.#apis.put(api.spec.name, JSON.stringify(api));
  }

  /** Removes the entry of `name` and releases its endpoint claim. */
  async remove(name: string): Promise<void> {
    await this.#apis.delete(name);
    await this.claimEndpoints((claims) => {
      claims.delete(name);
      return claims;
    });
  }

  /**
   * Calls `onChange` with every deployed API now, then with each change (`null`: deleted), each
   * entry checked; and `onClaims` with the endpoint claims whenever they change. Both come from one
   * watch, in the order they were written: a deploy's claim arrives before its entry.
   */
  async watch(
    onChange: (name: string, entry: RegistryEntry | null) => void,
    onClaims: (claims: EndpointClaims) => void = () => {},
  ): Promise<() => void> {
    const updates = await this.#apis.watch({ include: KvWatchInclude.LastValue });
    void (async () => {
      for await (const e of updates) {
        const put = e.operation === "PUT";
        if (e.key === CLAIMS_KEY) onClaims(standing(put ? e.string() : null));
        else onChange(e.key, put ? checked(e.key, e.string()) : null);
      }
    })();
    return () => updates.stop();
  }

  /** The endpoint claims as they stand now. */
  async claims(): Promise<EndpointClaims> {
    const entry = await this.#apis.get(CLAIMS_KEY);
    return standing(entry && entry.operation === "PUT" ? entry.string() : null);
  }

  /**
   * Changes the endpoint claims with compare-and-set: `change` gets every stored claim (API →
   * endpoint) and returns the new ones, or throws to refuse. A write that lost a race re-reads
   * and calls `change` again, so it always decides on the claims it replaces.
   * @throws RecordConflictError when the claims kept changing under it ({@link CLAIM_TRIES} times).
   */
  async claimEndpoints(change: (claims: Map<string, string>) => Map<string, string>): Promise<void> {
    for (let tries = 0; tries < CLAIM_TRIES; tries++) {
      const entry = await this.#apis.get(CLAIMS_KEY);
      const stored = storedClaims(entry && entry.operation === "PUT" ? entry.string() : null);
      const text = JSON.stringify(Object.fromEntries(change(stored)));
      try {
        if (entry) await this.#apis.update(CLAIMS_KEY, text, entry.revision);
        else await this.#apis.create(CLAIMS_KEY, text);
        return;
      } catch (err) {
        if (!isWrongSequence(err)) {
          throw new StoreUnavailableError(`could not write the endpoint claims: ${(err as Error).message}`, {
            cause: err,
          });
        }
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (tries + 1)));
      }
    }
    throw new RecordConflictError(`${APIS_BUCKET}/${CLAIMS_KEY}`);
  }

  async hasBundle(name: string): Promise<boolean> {
    return (await this.#bundles.info(name)) !== null;
  }

  async putBundle(name: string, bytes: Uint8Array): Promise<void> {
    await this.#bundles.putBlob({ name }, bytes);
  }

  async getBundle(name: string): Promise<Uint8Array> {
    const bytes = await readObject(this.#js, this.#bundles, BUNDLES, name);
    if (!bytes)
      throw new StoreUnavailableError(`the project bundle ${name} is missing from the object store; deploy again`);
    return bytes;
  }

  async setStatus(name: string, status: ApiStatus): Promise<void> {
    await this.#status.put(name, JSON.stringify(status));
  }

  async clearStatus(name: string): Promise<void> {
    await this.#status.delete(name);
  }

  async status(name: string): Promise<ApiStatus | null> {
    const entry = await this.#status.get(name);
    return entry && entry.operation === "PUT" ? entry.json<ApiStatus>() : null;
  }
}

/** An entry's stored text, checked; text that is not JSON is refused like any other bad entry. */
function checked(name: string, text: string): RegistryEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const error = new RegistryEntryError(name, [{ path: "", message: "the entry is not JSON" }]);
    return { name, api: null, error };
  }
  const result = checkRegistryEntry(name, value);
  return result instanceof RegistryEntryError ? { name, api: null, error: result } : { name, api: result, error: null };
}

/** The stored claims, API → endpoint; pairs that are not two strings are dropped (they claim nothing). */
function storedClaims(text: string | null): Map<string, string> {
  let value: unknown;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch {
    value = null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return new Map();
  return new Map(Object.entries(value).filter((pair): pair is [string, string] => typeof pair[1] === "string"));
}

function standing(text: string | null): EndpointClaims {
  return standingClaims(storedClaims(text));
}

function isWrongSequence(err: unknown): boolean {
  const text = String((err as Error)?.message ?? err);
  return text.includes("wrong last sequence") || (err as { code?: number })?.code === 10071;
}
