/**
 * What each role may publish and subscribe to on NATS: least privilege, derived here because only
 * `jobs/` knows the subjects, streams and buckets. `platform/` turns these into the authorization
 * block of the nats-server it starts. Every role but the platform replies to JetStream and
 * requests on an inbox prefix of its own, so no role can read another's answers.
 *
 * Subjects of the JetStream API are listed as the NATS client uses them (direct gets with the
 * subject in the request subject, consumers created with their filter in it), so a permission can
 * name one stream or one key range.
 */
import {
  APIS_BUCKET,
  BUNDLES_STORE as BUNDLES,
  isApiName,
  LARGE_RESULTS_STORE,
  PAYLOADS_STORE as PAYLOADS,
  requestStream,
  RESULTS_BUCKET,
  STATUS_BUCKET,
  WORKER_CONSUMER,
} from "./names.ts";

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** May answer requests it received (one reply each), e.g. metrics scrapes. */
  allowResponses?: boolean;
}

/** The roles of a platform's processes. `worker` is one API's worker; `cli` is `glia deploy/get/logs/delete/requeue`. */
export type NatsRole = { kind: "platform" } | { kind: "gateway" } | { kind: "cli" } | { kind: "worker"; api: string };

const API = "$JS.API";

/** The inbox prefix a role's connection uses (`_INBOX_<role>`); its subscribe permission covers it alone. */
export function inboxPrefix(role: NatsRole): string {
  if (role.kind === "worker") return `_INBOX_worker_${checkedApi(role.api)}`;
  return `_INBOX_${role.kind}`;
}

/** Where the permissions apply. */
export interface PermissionScope {
  /**
   * A server with streams replicated over several nodes. There records are read from the results
   * stream's leader (see ResultStore.open), and a leader read's subject names the stream, not the
   * key: every role that reads records may then read any API's records (it still writes only what
   * its role may). A single server answers direct gets, whose subject names the key. @default false
   */
  clustered?: boolean;
}

export function permissionsFor(role: NatsRole, scope: PermissionScope = {}): NatsPermissions {
  if (role.kind === "platform") return { publish: [">"], subscribe: [">"] };
  const inbox = `${inboxPrefix(role)}.>`;
  const granted = role.kind === "worker" ? worker(role.api) : role.kind === "gateway" ? gateway() : cli();
  const leaderReads = scope.clustered ? [`${API}.STREAM.MSG.GET.KV_${RESULTS_BUCKET}`] : [];
  return { ...granted, publish: [...granted.publish, ...leaderReads], subscribe: [inbox, ...granted.subscribe] };
}

/** Reads of a KV bucket: its stream's info, direct gets of `keys`, and watches or listings over them. */
function kvRead(bucket: string, keys = ">"): string[] {
  return [
    `${API}.STREAM.INFO.KV_${bucket}`,
    `${API}.DIRECT.GET.KV_${bucket}.$KV.${bucket}.${keys}`,
    `${API}.CONSUMER.CREATE.KV_${bucket}.*.$KV.${bucket}.${keys}`,
    `${API}.CONSUMER.INFO.KV_${bucket}.*`,
    `${API}.CONSUMER.DELETE.KV_${bucket}.*`,
    `$JS.FC.KV_${bucket}.>`, // flow control of the push consumer a watch or listing uses
  ];
}

/**
 * Queue depths of every API: stream and worker-consumer info. Wildcards cover whole tokens only,
 * so `GLIA_REQ_<api>` cannot be matched by prefix; stream info holds counts, never messages.
 */
const queueDepths = [`${API}.STREAM.INFO.*`, `${API}.CONSUMER.INFO.*.${WORKER_CONSUMER}`];

/** Opening (creating if missing) a bucket or store; never updating or deleting it. */
function open(stream: string): string[] {
  return [`${API}.STREAM.INFO.${stream}`, `${API}.STREAM.CREATE.${stream}`];
}

/**
 * Reads of an object store: the object's metadata and a consumer over one object's chunks. The
 * client reads metadata with a stream message get, whose subject names no object, so a reader of
 * a store can read every object's metadata in it: the stores are shared by every API.
 */
function objectRead(store: string): string[] {
  return [
    `${API}.STREAM.INFO.OBJ_${store}`,
    `${API}.STREAM.MSG.GET.OBJ_${store}`,
    `${API}.DIRECT.GET.OBJ_${store}.$O.${store}.M.*`,
    `${API}.CONSUMER.CREATE.OBJ_${store}.*.$O.${store}.C.*`,
    `${API}.CONSUMER.INFO.OBJ_${store}.*`,
    `${API}.CONSUMER.MSG.NEXT.OBJ_${store}.*`,
    `${API}.CONSUMER.DELETE.OBJ_${store}.*`,
  ];
}

/** Writing objects: chunks and metadata, and purging an object's chunks when it is replaced or deleted. */
function objectWrite(store: string): string[] {
  return [`$O.${store}.C.*`, `$O.${store}.M.*`, `${API}.STREAM.PURGE.OBJ_${store}`];
}

/**
 * One API's worker: its queue's consumer, its own records, its dead letters, its logs, and the
 * payload and large-result stores (shared by every API: objects there are read by exact name).
 */
function worker(api: string): NatsPermissions {
  const stream = requestStream(api);
  return {
    publish: [
      `${API}.INFO`,
      `${API}.CONSUMER.INFO.${stream}.${WORKER_CONSUMER}`,
      `${API}.CONSUMER.MSG.NEXT.${stream}.${WORKER_CONSUMER}`,
      `$JS.ACK.${stream}.${WORKER_CONSUMER}.>`,
      `$JS.ACK.*.*.${stream}.${WORKER_CONSUMER}.>`, // the acknowledgement subject's newer form
      `${API}.STREAM.INFO.KV_${RESULTS_BUCKET}`,
      `${API}.DIRECT.GET.KV_${RESULTS_BUCKET}.$KV.${RESULTS_BUCKET}.${api}.>`,
      `$KV.${RESULTS_BUCKET}.${api}.>`,
      `${API}.STREAM.INFO.GLIA_DLQ_${api}`,
      `glia.dlq.${api}.*`,
      ...objectRead(PAYLOADS),
      ...objectWrite(PAYLOADS),
      ...objectRead(LARGE_RESULTS_STORE),
      ...objectWrite(LARGE_RESULTS_STORE),
      `glia.logs.${api}`,
    ],
    subscribe: ["glia.metrics.scrape"],
    allowResponses: true,
  };
}

/** A gateway: queues requests, creates and reads records, stores large payloads, reads the registry. */
function gateway(): NatsPermissions {
  return {
    publish: [
      `${API}.INFO`,
      ...queueDepths,
      "glia.req.*",
      ...open(`KV_${RESULTS_BUCKET}`),
      ...kvRead(RESULTS_BUCKET),
      `$KV.${RESULTS_BUCKET}.>`,
      ...open(`OBJ_${PAYLOADS}`),
      ...objectRead(PAYLOADS),
      ...objectWrite(PAYLOADS),
      ...open(`OBJ_${LARGE_RESULTS_STORE}`),
      ...objectRead(LARGE_RESULTS_STORE),
      ...open(`KV_${APIS_BUCKET}`),
      ...kvRead(APIS_BUCKET),
      ...open(`KV_${STATUS_BUCKET}`),
      ...kvRead(STATUS_BUCKET),
      ...open(`OBJ_${BUNDLES}`),
      "glia.metrics.scrape",
    ],
    subscribe: [],
  };
}

/** `glia deploy`, `get`, `logs`, `delete`, `requeue`: the registry and bundles, and reading and requeueing requests. */
function cli(): NatsPermissions {
  return {
    publish: [
      `${API}.INFO`,
      ...open(`KV_${APIS_BUCKET}`),
      ...kvRead(APIS_BUCKET),
      `$KV.${APIS_BUCKET}.>`,
      ...open(`KV_${STATUS_BUCKET}`),
      ...kvRead(STATUS_BUCKET),
      ...open(`OBJ_${BUNDLES}`),
      ...objectRead(BUNDLES),
      ...objectWrite(BUNDLES),
      ...queueDepths,
      "glia.req.*",
      ...kvRead(RESULTS_BUCKET),
      `$KV.${RESULTS_BUCKET}.>`,
      // Dead letters of any API (wildcards cover whole tokens only, so these name no stream).
      `${API}.STREAM.MSG.GET.*`,
      `${API}.STREAM.PURGE.*`,
      ...objectRead(PAYLOADS),
      ...objectRead(LARGE_RESULTS_STORE),
    ],
    subscribe: ["glia.logs.*"],
  };
}

/** A user of a nats-server's `authorization.users`: its NKey's public key and its role's permissions. */
export interface ServerUser {
  nkey: string;
  permissions: { publish: { allow: string[] }; subscribe: { allow: string[] }; allow_responses?: true };
}

/** `role`'s user in a nats-server configuration (as JSON, which the configuration format reads as written). */
export function serverUser(publicKey: string, role: NatsRole, scope: PermissionScope = {}): ServerUser {
  const p = permissionsFor(role, scope);
  return {
    nkey: publicKey,
    permissions: {
      publish: { allow: p.publish },
      subscribe: { allow: p.subscribe },
      ...(p.allowResponses ? { allow_responses: true as const } : {}),
    },
  };
}

function checkedApi(api: string): string {
  if (!isApiName(api)) throw new TypeError(`not an API name: ${JSON.stringify(api)}`);
  return api;
}
