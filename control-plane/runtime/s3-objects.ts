/**
 * @module
 * Reading a prefix of an S3 bucket: the client (credentials, region, endpoint from the standard
 * AWS settings), the listing, one object's download, and what a failure means for the user.
 */
import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";

/** The region asked when neither the environment nor the profile names one (S3 redirects to the bucket's). */
export const DEFAULT_S3_REGION = "us-east-1";

/** How glia talks to S3, resolved from the standard AWS variables and profile files. */
export interface S3Settings {
  region: string;
  /** `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` or the profile's `endpoint_url`; null for AWS itself. */
  endpoint: string | null;
  /** null: no credentials were found, so requests go unsigned (public buckets). */
  credentials: S3Credentials | null;
  /** Where the credentials came from, for messages (never the keys). */
  credentialSource: string;
}

/** Keys that sign requests (never logged). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One object of a listing, as the cache keys a version by it. */
export interface ListedObject {
  key: string;
  size: number;
  etag: string;
}

/**
 * Resolves region, endpoint and credentials from `env` and the profile files it names
 * (`AWS_PROFILE`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, else `~/.aws`). Credentials come
 * from the SDK's default chain (the variables, the profile files, SSO, `credential_process`, web
 * identity, the container and instance metadata services); the sources after the profile files read
 * `process.env`, as the SDK does. No credentials found (and no profile asked for): null, anonymous.
 */
export async function resolveS3Settings(env: NodeJS.ProcessEnv): Promise<S3Settings> {
  const profileName = nonEmpty(env["AWS_PROFILE"]);
  const profile = readProfile(env, profileName ?? "default");
  const region = nonEmpty(env["AWS_REGION"]) ?? nonEmpty(env["AWS_DEFAULT_REGION"]) ?? profile["region"];
  const ignoreEndpoints = env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.toLowerCase() === "true";
  const endpoint = ignoreEndpoints
    ? null
    : (nonEmpty(env["AWS_ENDPOINT_URL_S3"]) ?? nonEmpty(env["AWS_ENDPOINT_URL"]) ?? profile["endpoint_url"] ?? null);
  const found = await findCredentials(env, profileName);
  return { region: region ?? DEFAULT_S3_REGION, endpoint, ...found };
}

async function findCredentials(
  env: NodeJS.ProcessEnv,
  profile: string | null,
): Promise<{ credentials: S3Credentials | null; credentialSource: string }> {
  const keyId = nonEmpty(env["AWS_ACCESS_KEY_ID"]);
  const secret = nonEmpty(env["AWS_SECRET_ACCESS_KEY"]);
  if (keyId && secret && !profile) {
    const sessionToken = nonEmpty(env["AWS_SESSION_TOKEN"]) ?? undefined;
    return {
      credentials: { accessKeyId: keyId, secretAccessKey: secret, sessionToken },
      credentialSource: "AWS_ACCESS_KEY_ID",
    };
  }
  const chain = fromNodeProviderChain({
    profile: profile ?? undefined,
    filepath: nonEmpty(env["AWS_SHARED_CREDENTIALS_FILE"]) ?? undefined,
    configFilepath: nonEmpty(env["AWS_CONFIG_FILE"]) ?? undefined,
    ignoreCache: true,
  });
  try {
    const credentials = await chain();
    return { credentials, credentialSource: profile ? `profile ${profile}` : "the AWS default credential chain" };
  } catch (err) {
    // A profile asked for by name that gives nothing is a mistake to report, not a reason to go anonymous.
    if (profile)
      throw new S3AccessError(
        `the AWS profile ${JSON.stringify(profile)} gave no credentials: ${(err as Error).message}`,
        "credentials",
        { cause: err },
      );
    return { credentials: null, credentialSource: "none (anonymous requests)" };
  }
}

/** The `[default]` or `[profile NAME]` section of the AWS config file, as key → value. */
function readProfile(env: NodeJS.ProcessEnv, name: string): Record<string, string> {
  const file = nonEmpty(env["AWS_CONFIG_FILE"]) ?? join(env["HOME"] ?? homedir(), ".aws", "config");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return {};
  }
  const wanted = name === "default" ? ["default", "profile default"] : [`profile ${name}`];
  const values: Record<string, string> = {};
  let inside = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) inside = wanted.includes(section[1]!.replace(/\s+/g, " "));
    const pair = inside ? /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line) : null;
    if (pair && pair[2]) values[pair[1]!.toLowerCase()] = pair[2];
  }
  return values;
}

/** An S3 client for `settings`: path-style addressing at a custom endpoint, unsigned without credentials. */
export function s3Client(settings: S3Settings): S3Client {
  const custom = settings.endpoint !== null;
  return new S3Client({
    region: settings.region,
    ...(custom ? { endpoint: settings.endpoint!, forcePathStyle: true } : { followRegionRedirects: true }),
    credentials: settings.credentials ?? { accessKeyId: "", secretAccessKey: "" },
    // Anonymous requests carry no signature at all, as a public bucket expects.
    ...(settings.credentials === null ? { signer: { sign: async (request) => request } } : {}),
    // Checksums only where S3 requires them: S3-compatible servers do not all know the newer headers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
}

/** Every object under `prefix` (which ends with `/`, or is empty for the whole bucket). */
export async function listObjects(client: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      objects.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? "" });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/**
 * Writes the object to `file` (created, 0600), calling `onBytes` per chunk. `If-Match` its listed
 * ETag, so an object replaced during the fetch fails it instead of mixing two versions.
 * @throws S3AccessError when fewer or more bytes arrive than the listing said.
 */
export async function downloadObject(
  client: S3Client,
  bucket: string,
  object: ListedObject,
  file: string,
  onBytes: (count: number) => void,
  signal: AbortSignal,
): Promise<void> {
  const command = new GetObjectCommand({
    Bucket: bucket,
    Key: object.key,
    ...(object.etag ? { IfMatch: object.etag } : {}),
  });
  const response = await client.send(command, { abortSignal: signal }).catch((err: unknown) => {
    throw classifyS3Error(err, `GET ${object.key}`);
  });
  const body = response.Body as AsyncIterable<Uint8Array> | undefined;
  const handle = await open(file, "wx", 0o600);
  let written = 0;
  try {
    for await (const chunk of body ?? []) {
      await handle.write(chunk);
      written += chunk.length;
      onBytes(chunk.length);
    }
  } finally {
    await handle.close();
  }
  if (written !== object.size) {
    throw new S3AccessError(`${object.key}: got ${written} bytes, the listing said ${object.size}`, "transfer");
  }
}

/** What a failure was about, which decides the advice and whether a cached copy may stand in. */
export type S3FailureKind =
  "unreachable" | "credentials" | "bucket" | "region" | "transfer" | "empty" | "key" | "other";

/** A failure of the S3 side, classified. */
export class S3AccessError extends Error {
  readonly kind: S3FailureKind;

  constructor(message: string, kind: S3FailureKind, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "S3AccessError";
    this.kind = kind;
  }
}

const CREDENTIAL_ERRORS = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AllAccessDisabled",
]);
const REGION_ERRORS = new Set([
  "PermanentRedirect",
  "AuthorizationHeaderMalformed",
  "IllegalLocationConstraintException",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

/** Classifies an SDK error (the error's name is S3's code; `$metadata` holds the HTTP status). */
export function classifyS3Error(err: unknown, doing?: string): S3AccessError {
  if (err instanceof S3AccessError) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const known = name !== "Unknown" && name !== "UnknownError";
  const said = known ? `${name}: ${e.message ?? String(err)}` : "S3 gave no reason";
  const detail = status ? `HTTP ${status}, ${said}` : said;
  const kind: S3FailureKind =
    name === "NoSuchBucket" || name === "InvalidBucketName"
      ? "bucket"
      : REGION_ERRORS.has(name) || status === 301
        ? "region"
        : CREDENTIAL_ERRORS.has(name) || status === 403 || status === 401 || name === "CredentialsProviderError"
          ? "credentials"
          : NETWORK_CODES.has(e.code ?? "") ||
              NETWORK_CODES.has(name) ||
              name === "TimeoutError" ||
              (status !== undefined && status >= 500)
            ? "unreachable"
            : name === "PreconditionFailed" || status === 412 || name === "NoSuchKey"
              ? "transfer"
              : "other";
  return new S3AccessError(doing ? `${doing}: ${detail}` : detail, kind, { cause: err });
}

/** What the user can do about a failure. */
export function s3Advice(failure: S3AccessError, bucket: string, settings: S3Settings | null): string {
  const where = settings?.endpoint ? `the S3 endpoint ${settings.endpoint}` : "AWS S3";
  switch (failure.kind) {
    case "credentials":
      if (settings === null)
        return "check AWS_PROFILE and the profile files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, ~/.aws)";
      return settings.credentials === null
        ? "glia found no AWS credentials and asked anonymously, which only public objects allow: set " +
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (with ~/.aws/credentials or " +
            "AWS_SHARED_CREDENTIALS_FILE), for an identity allowed s3:ListBucket and s3:GetObject there"
        : `the credentials (${settings.credentialSource}) were refused: check that they are valid ` +
            `and allowed s3:ListBucket on ${bucket} and s3:GetObject under the prefix`;
    case "bucket":
      return `the bucket ${JSON.stringify(bucket)} does not exist at ${where}: check the bucket name`;
    case "region":
      return `the bucket is not in region ${settings?.region ?? "?"}: set AWS_REGION to the bucket's region`;
    case "unreachable":
      return (
        `${where} could not be reached and no complete cached copy of this URL exists: check the network ` +
        "and, for an S3-compatible server, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL"
      );
    case "empty":
      return "check the path: it must name the folder holding the model (e.g. saved_model.pb and variables/)";
    case "key":
      return "rename the object, or point the path at a prefix without it";
    case "transfer":
      return "the objects changed or vanished during the fetch: deploy again once the upload is complete";
    default:
      return `check the URL, the credentials and the region (${settings?.region ?? "?"})`;
  }
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === "" ? null : value;
}
