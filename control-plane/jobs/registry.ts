import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, KvWatchInclude, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { ResolvedApiSpec } from "../config/index.ts";
import { StoreUnavailableError } from "./errors.ts";
import { readObject } from "./object-reader.ts";

/** One entry per deployed API: its validated spec and the bundle of its project files. */
const APIS_BUCKET = "glia-apis";
/** What the platform made of each deployed API (live, updating, error), for `glia get`. */
const STATUS_BUCKET = "glia-api-status";
/** Project bundles (gzipped tarballs), named by the hash of their contents. */
const BUNDLES = "glia-bundles";

export interface DeployedApi {
  spec: ResolvedApiSpec;
  /** Name of the project bundle in the object store (the hash of the project's files). */
  bundle: string;
  /** The config file it came from, for messages. */
  configFile: string;
  deployedAt: string;
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
  /** Why the last deploy could not start, when state is `error`. */
  message?: string;
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

  async get(name: string): Promise<DeployedApi | null> {
    const entry = await this.#apis.get(name);
    return entry && entry.operation === "PUT" ? entry.json<DeployedApi>() : null;
  }

  async list(): Promise<DeployedApi[]> {
    const names = new Set<string>(); // a key written while the listing runs can be named twice
    for await (const key of await this.#apis.keys()) names.add(key);
    const apis = await Promise.all([...names].sort().map((n) => this.get(n)));
    return apis.filter((a): a is DeployedApi => a !== null);
  }

  async put(api: DeployedApi): Promise<void> {
    await this.#apis.put(api.spec.name, JSON.stringify(api));
  }

  async remove(name: string): Promise<void> {
    await this.#apis.delete(name);
  }

  /** Calls `onChange` with every deployed API now, then with each change (`null`: deleted). */
  async watch(onChange: (name: string, api: DeployedApi | null) => void): Promise<() => void> {
    const updates = await this.#apis.watch({ include: KvWatchInclude.LastValue });
    void (async () => {
      for await (const e of updates) onChange(e.key, e.operation === "PUT" ? e.json<DeployedApi>() : null);
    })();
    return () => updates.stop();
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
