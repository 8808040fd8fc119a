/**
 * The one place that derives NATS stream, subject, consumer, bucket and key names. Nothing
 * outside `jobs/` knows them. API names are DNS-1035 labels (validated by `config/`), which are
 * valid in every NATS name used here.
 */

/** The KV bucket holding one record per request. */
export const RESULTS_BUCKET = "glia-results";

/** The object store holding results too large for a record, named like their records. */
export const LARGE_RESULTS_STORE = "glia-large-results";

/** The KV bucket of deployed APIs, one entry per API. */
export const APIS_BUCKET = "glia-apis";

/** What the platform made of each deployed API (live, updating, error), for `glia get`. */
export const STATUS_BUCKET = "glia-api-status";

/** Project bundles (gzipped tarballs), named by the hash of their contents. */
export const BUNDLES_STORE = "glia-bundles";

/** Payloads too large to travel inside a queued message, named like their records. */
export const PAYLOADS_STORE = "glia-payloads";

/** The durable pull consumer shared by all workers of one API. */
export const WORKER_CONSUMER = "workers";

/**
 * The largest message glia's nats-servers take (`max_payload`), local or a cluster's: 8 MiB, the
 * most the server recommends. Messages glia writes stay far below it (larger payloads and results
 * go to the object stores in chunks); the room is for headers and clients of the operator's own.
 */
export const NATS_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

/** Request ids are the UUIDs the gateway makes; anything else is refused before touching NATS. */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** API names as `config/` accepts them; checked again here because names become subjects. */
const API_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function isRequestId(id: string): boolean {
  return REQUEST_ID.test(id);
}

export function isApiName(name: string): boolean {
  return name.length <= 63 && API_NAME.test(name);
}

/** Work-queue stream of one API, e.g. `GLIA_REQ_text-generator`. */
export function requestStream(api: string): string {
  return `GLIA_REQ_${assertApi(api)}`;
}

/** Subject the gateway publishes an API's requests on. */
export function requestSubject(api: string): string {
  return `glia.req.${assertApi(api)}`;
}

/** Key of a request's record in {@link RESULTS_BUCKET}: `<api>.<id>`. */
export function recordKey(api: string, id: string): string {
  if (!isRequestId(id)) throw new TypeError(`not a request id: ${JSON.stringify(id)}`);
  return `${assertApi(api)}.${id}`;
}

/** Wildcard over every record key of an API, for listing. */
export function recordKeys(api: string): string {
  return `${assertApi(api)}.>`;
}

function assertApi(api: string): string {
  if (!isApiName(api)) throw new TypeError(`not an API name: ${JSON.stringify(api)}`);
  return api;
}
