/**
 * @module
 * Models given as `s3://bucket/prefix` in `handler.models` are fetched into a local cache before a
 * runtime starts, so the Python runtime only ever sees local folders.
 *
 * Layout, under `<cache>/models/` (`<cache>/users/<user>/models/` for `runAs`):
 *
 *     <url-key>/               sha256 of the endpoint, bucket and prefix (first 20 hex digits)
 *       url                    the URL, for people looking at the cache
 *       .lock                  held while one process fetches (one fetcher at a time)
 *       .tmp-XXXXXX/           a fetch in progress; renamed into place only once complete
 *       <version>/             sha256 of the listing (keys, sizes, ETags): a changed model is a new version
 *         .glia-ready          written before the rename; a version without it is never used
 *         listing.json         what was fetched
 *         model/               the objects, keys relative to the prefix: the folder the runtime gets
 */
import { createHash } from "node:crypto";
import { access, chmod, chown, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { gliaEnvironment } from "../config/index.ts";
import type { Logger } from "../observability/index.ts";
import { ModelFetchError } from "./errors.ts";
import { holdFileLock } from "./file-lock.ts";
import { defaultCacheDir } from "./python-env.ts";
import { chownTree, type RunAs } from "./run-as.ts";
import {
  classifyS3Error,
  downloadObject,
  listObjects,
  resolveS3Settings,
  s3Advice,
  s3Client,
  S3AccessError,
  type ListedObject,
  type S3Settings,
} from "./s3-objects.ts";
import { modelLocations, parseModelUrl, replaceLocations, type ModelUrl } from "./model-urls.ts";
import { ProgressMeter } from "./model-progress.ts";

/** Bump when the layout of a cached model changes, so old ones are not reused. */
const FORMAT = "glia-models-1";
const READY_MARK = ".glia-ready";
/** Objects downloaded at once. */
const PARALLEL_DOWNLOADS = 4;
/** Versions of one URL kept: the newest and the one before (a replica may still be starting on it). */
const VERSIONS_KEPT = 2;

export interface ModelCacheOptions {
  /** Where models are cached. @default $GLIA_CACHE_DIR, else $XDG_CACHE_HOME/glia, else ~/.cache/glia */
  cacheDir?: string;
  /** The user the runtime runs as: its models go to `<cache>/users/<user>/models`, owned by it. */
  runAs?: RunAs;
  /** Receives progress lines: a start line, files and bytes at most about once a second, a done line. */
  onProgress?: (line: string) => void;
  /** Gets a warning when a cached copy stands in for an S3 that cannot be reached. */
  logger?: Logger;
  /**
   * The variables AWS settings are read from: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
   * `AWS_SESSION_TOKEN`, `AWS_PROFILE`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, `AWS_REGION`/
   * `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`. @default process.env
   */
  env?: NodeJS.ProcessEnv;
}

export interface EnsuredModels {
  /** `handler.models` with every `s3://` location replaced by an absolute local folder. */
  models: unknown;
  /** The URLs downloaded by this call (those found in the cache are not listed). */
  fetched: string[];
}

/**
 * Makes every `s3://` location of `models` (`path`, each `paths[i].path`, `dir`; a dir's
 * sub-folders are its models) a local folder, downloading what the cache does not hold yet. The
 * prefix is listed each time; an unchanged listing reuses the cached copy without a download. When
 * S3 cannot be reached (network, 5xx), the newest complete copy of the same URL is used with a
 * warning, so a restart during an outage does not take an API down; a refusal (credentials, no such
 * bucket) is never papered over.
 * @throws ModelFetchError naming the field, the URL and what to do.
 * @example
 * const { models } = await ensureModels(spec.handler.models, { onProgress: (l) => log.info(l) });
 */
export async function ensureModels(models: unknown, options: ModelCacheOptions = {}): Promise<EnsuredModels> {
  const locations = modelLocations(models); // throws for a scheme glia cannot fetch
  const remote = locations.filter((l) => l.url !== null);
  if (remote.length === 0) return { models: structuredClone(models), fetched: [] };
  const env = options.env ?? process.env;
  const first = remote[0]!;
  const settings = await resolveS3Settings(env).catch((err: unknown) => {
    throw fetchError(first.field, first.value, classifyS3Error(err), null);
  });
  const client = s3Client(settings);
  const local = new Map<string, string>();
  const fetched: string[] = [];
  try {
    for (const { field, value, url } of remote) {
      if (local.has(value)) continue;
      const context: FetchContext = { field, url: url!, client, settings, options, fetched };
      local.set(value, await ensureOne(context));
    }
  } finally {
    client.destroy();
  }
  return { models: replaceLocations(models, local), fetched };
}

interface FetchContext {
  field: string;
  url: ModelUrl;
  client: S3Client;
  settings: S3Settings;
  options: ModelCacheOptions;
  fetched: string[];
}

async function ensureOne(ctx: FetchContext): Promise<string> {
  const { url, options } = ctx;
  const root = userCache(options.cacheDir ?? defaultCacheDir(options.runAs), options.runAs);
  // The same bucket and prefix at another endpoint is another model; `a/b` and `a/b/` are one.
  const where = `${ctx.settings.endpoint ?? "aws"}\0s3://${url.bucket}/${url.prefix}`;
  const base = join(root, "models", sha256(where).slice(0, 20));
  const listing = await listOrFallBack(ctx, base);
  if (typeof listing === "string") return listing; // the cached copy, S3 unreachable
  const files = checkedFiles(ctx, listing);
  const version = join(base, versionOf(where, files));
  if (await exists(join(version, READY_MARK))) {
    progress(options, `${url.text}: unchanged, using the cached copy in ${join(version, "model")}`);
    return join(version, "model");
  }
  await prepareBase(root, base, url.text, options.runAs);
  const python = gliaEnvironment().python;
  const release = await holdFileLock(
    join(base, ".lock"),
    python,
    () => exists(join(version, READY_MARK)),
    (m) => fetchError(ctx.field, url.text, new S3AccessError(m, "other"), null),
  );
  try {
    if (!(await exists(join(version, READY_MARK)))) {
      await fetchVersion(ctx, base, version, files);
      ctx.fetched.push(url.text);
    }
  } finally {
    await release();
  }
  return join(version, "model");
}

/** The listing; or, when S3 cannot be reached, the newest complete cached copy's folder. */
async function listOrFallBack(ctx: FetchContext, base: string): Promise<ListedObject[] | string> {
  try {
    return await listObjects(ctx.client, ctx.url.bucket, ctx.url.prefix);
  } catch (err) {
    const failure = classifyS3Error(err, `listing ${ctx.url.text}`);
    const cached = failure.kind === "unreachable" ? await newestReady(base) : null;
    if (cached === null) throw fetchError(ctx.field, ctx.url.text, failure, ctx.settings);
    const warning = `${ctx.field}: S3 could not be reached for ${ctx.url.text} (${failure.message}); using the cached copy in ${cached}, which may be out of date`;
    ctx.options.logger?.warn({ url: ctx.url.text, field: ctx.field, err: failure }, warning);
    progress(ctx.options, `warning: ${warning}`);
    return cached;
  }
}

/** A file to fetch: the object and where it goes, relative to the model folder. */
interface PlannedFile {
  object: ListedObject;
  relative: string;
}

/**
 * The objects as files of the model folder, keys checked as untrusted input: each must lie under
 * the prefix and its remainder must not be absolute, empty, or hold a `.`, `..` or empty segment.
 * Zero-byte "folder" objects (keys ending in `/`) are skipped.
 */
function checkedFiles(ctx: FetchContext, objects: ListedObject[]): PlannedFile[] {
  const files: PlannedFile[] = [];
  const folders = new Set<string>();
  for (const object of objects) {
    const relative = object.key.startsWith(ctx.url.prefix) ? object.key.slice(ctx.url.prefix.length) : null;
    if (relative === "" || (relative?.endsWith("/") && object.size === 0)) continue;
    const segments = relative?.split("/") ?? [];
    if (relative === null || segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\0"))) {
      throw badKey(ctx, object.key);
    }
    segments.slice(0, -1).forEach((_, i) => folders.add(segments.slice(0, i + 1).join("/")));
    files.push({ object, relative });
  }
  const clash = files.find((f) => folders.has(f.relative));
  if (clash) throw badKey(ctx, clash.object.key, "it is both an object and a folder of other objects");
  if (files.length === 0) {
    const problem = new S3AccessError(`there are no objects under ${ctx.url.text}`, "empty");
    throw fetchError(ctx.field, ctx.url.text, problem, ctx.settings);
  }
  return files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

function badKey(ctx: FetchContext, key: string, why?: string): ModelFetchError {
  const reason = why ?? "its path would leave the model folder (an absolute path, or a `..`, `.` or empty segment)";
  const problem = new S3AccessError(`the object key ${JSON.stringify(key)} is refused: ${reason}`, "key");
  return fetchError(ctx.field, ctx.url.text, problem, ctx.settings);
}

function versionOf(where: string, files: PlannedFile[]): string {
  const hash = createHash("sha256").update(FORMAT).update("\0").update(where).update("\0");
  for (const f of files) hash.update(`${f.relative}\0${f.object.size}\0${f.object.etag}\n`);
  return hash.digest("hex").slice(0, 20);
}

/** Downloads into a temporary folder, then renames it into place: only a complete copy is ever found. */
async function fetchVersion(ctx: FetchContext, base: string, version: string, files: PlannedFile[]): Promise<void> {
  await removeLeftovers(base); // fetches that were killed; none runs now, we hold the lock
  const tmp = await mkdtemp(join(base, ".tmp-"));
  try {
    await downloadAll(ctx, files, join(tmp, "model"));
    const listing = files.map((f) => ({ key: f.object.key, size: f.object.size, etag: f.object.etag }));
    await writeFile(
      join(tmp, "listing.json"),
      `${JSON.stringify({ url: ctx.url.text, objects: listing }, null, 1)}\n`,
      {
        mode: 0o600,
      },
    );
    await writeFile(join(tmp, READY_MARK), `${new Date().toISOString()}\n`, { mode: 0o600 });
    await makePrivate(tmp);
    if (ctx.options.runAs) await chownTree(tmp, ctx.options.runAs);
    await rename(tmp, version);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (err instanceof ModelFetchError) throw err;
    throw fetchError(ctx.field, ctx.url.text, classifyS3Error(err), ctx.settings);
  }
  await pruneVersions(base, version);
}

async function downloadAll(ctx: FetchContext, files: PlannedFile[], dir: string): Promise<void> {
  const totalBytes = files.reduce((n, f) => n + f.object.size, 0);
  const meter = new ProgressMeter((line) => progress(ctx.options, line), ctx.url.text, files.length, totalBytes);
  meter.start(dir);
  const abort = new AbortController();
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined && !abort.signal.aborted; next = queue.shift()) {
      const file = resolve(dir, next.relative);
      if (!file.startsWith(dir + sep)) throw badKey(ctx, next.object.key); // cannot happen after the checks
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await downloadObject(ctx.client, ctx.url.bucket, next.object, file, (n) => meter.bytes(n), abort.signal);
      meter.file();
    }
  };
  // The first failure stops the other downloads; it, not their "aborted", is what went wrong.
  let first: { err: unknown } | null = null;
  const workers = Array.from({ length: Math.min(PARALLEL_DOWNLOADS, files.length) }, () =>
    worker().catch((err: unknown) => {
      if (first === null) first = { err };
      abort.abort();
    }),
  );
  await Promise.all(workers);
  if (first !== null) throw (first as { err: unknown }).err;
  meter.done();
}

function progress(options: ModelCacheOptions, line: string): void {
  options.onProgress?.(line);
}

/** The URL's folder, made private: with `runAs`, its cache root and the folders down to it are its own. */
async function prepareBase(root: string, base: string, url: string, runAs: RunAs | undefined): Promise<void> {
  // The folders above a user's cache root stay enterable (0755, as for Python environments).
  if (runAs) await mkdir(root, { recursive: true, mode: 0o755 });
  await mkdir(base, { recursive: true, mode: 0o700 });
  await writeFile(join(base, "url"), `${url}\n`, { mode: 0o600 });
  if (!runAs) return;
  for (const dir of [root, join(root, "models"), base]) await chown(dir, runAs.uid, runAs.gid);
  await chown(join(base, "url"), runAs.uid, runAs.gid);
  await chmod(root, 0o700);
}

async function removeLeftovers(base: string): Promise<void> {
  for (const name of await readdir(base)) {
    if (name.startsWith(".tmp-")) await rm(join(base, name), { recursive: true, force: true });
  }
}

/** Complete versions of one URL, newest first. */
async function readyVersions(base: string): Promise<Array<{ dir: string; at: number }>> {
  const names = await readdir(base).catch(() => [] as string[]);
  const found: Array<{ dir: string; at: number }> = [];
  for (const name of names.filter((n) => !n.startsWith(".") && n !== "url")) {
    const mark = await stat(join(base, name, READY_MARK)).catch(() => null);
    if (mark !== null) found.push({ dir: join(base, name), at: mark.mtimeMs });
  }
  return found.sort((a, b) => b.at - a.at);
}

async function newestReady(base: string): Promise<string | null> {
  const newest = (await readyVersions(base))[0];
  return newest === undefined ? null : join(newest.dir, "model");
}

async function pruneVersions(base: string, keep: string): Promise<void> {
  const others = (await readyVersions(base)).filter((v) => v.dir !== keep);
  for (const old of others.slice(VERSIONS_KEPT - 1)) await rm(old.dir, { recursive: true, force: true });
}

/** Folders 0700 and files 0600, below and including `dir`. */
async function makePrivate(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makePrivate(path);
    else await chmod(path, 0o600);
  }
}

function userCache(cacheDir: string, runAs: RunAs | undefined): string {
  return runAs ? join(cacheDir, "users", runAs.user) : cacheDir;
}

function fetchError(field: string, url: string, failure: S3AccessError, settings: S3Settings | null): ModelFetchError {
  return new ModelFetchError(
    field,
    url,
    `${failure.message}; ${s3Advice(failure, parseModelUrl(url)?.bucket ?? url, settings)}`,
    { cause: failure },
  );
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
