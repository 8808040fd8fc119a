import { spawn, execFile } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { S3Client } from "@aws-sdk/client-s3";

const PYTHON = fileURLToPath(new URL("../../.venv/bin/python", import.meta.url));

/** Why S3 tests cannot run here, or null: moto's server lives in the project's .venv. */
export function s3Unavailable(): string | null {
  return existsSync(PYTHON) ? null : `${PYTHON} is missing: run \`bash scripts/setup.sh\` to install moto`;
}

/** Keys moto accepts while it does not check signatures; setup uses them. */
export const MOTO_KEYS = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" } as const;

export interface TestS3 extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A client for setting the server up (signed with `MOTO_KEYS`, path-style). */
  admin: S3Client;
  /** One line per request moto served, e.g. `"GET /bucket/key?x-id=GetObject HTTP/1.1" 200 -`. */
  requests: string[];
  /** How many served requests so far match `pattern`. */
  count(pattern: RegExp): number;
  /** Creates an IAM user allowed `s3:*` and returns its keys (call before `enforceAuth`). */
  createUser(name: string): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** From now on moto checks every request's signature against its IAM users. */
  enforceAuth(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * moto's S3 server on 127.0.0.1, on a port the kernel picks, in a temporary folder of its own;
 * resolves once it answers. It does not check signatures until `enforceAuth()`.
 */
export async function startTestS3(): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), "glia-test-s3-"));
  const child = spawn(PYTHON, ["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env["PATH"] ?? "", HOME: dir, ...MOTO_KEYS },
  });
  const exited = once(child, "exit");
  const output: string[] = [];
  const requests: string[] = [];
  const port = new Promise<string>((resolvePort) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        if (/"[A-Z]+ \S+ HTTP\/[\d.]+" \d{3}/.test(line)) requests.push(line);
        const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (m) resolvePort(m[1]!);
      });
    }
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const first = await Promise.race([port, exited.then(() => null)]);
  if (first === null) {
    await stop();
    throw new Error(`moto's server exited before it listened:\n${output.join("\n")}`);
  }
  const endpoint = `http://127.0.0.1:${first}`;
  await answers(endpoint, exited);
  const admin = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: MOTO_KEYS.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_KEYS.AWS_SECRET_ACCESS_KEY },
  });
  return {
    endpoint,
    admin,
    requests,
    count: (pattern) => requests.filter((line) => pattern.test(line)).length,
    createUser: (name) => createUser(endpoint, name),
    enforceAuth: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: "POST", body: "0" });
      if (!response.ok) throw new Error(`moto refused reset-auth: ${response.status}`);
    },
    stop: async () => {
      admin.destroy();
      await stop();
    },
    [Symbol.asyncDispose]: async () => {
      admin.destroy();
      await stop();
    },
  };
}

/** Waits until moto answers HTTP (it prints its address just before it serves). */
async function answers(endpoint: string, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let attempt = 0; attempt < 200; attempt++) {
    if (gone) throw new Error("moto's server exited while starting");
    const ok = await fetch(`${endpoint}/moto-api/data.json`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50)); // polling a socket that is coming up, not a timed wait
  }
  throw new Error(`moto's server at ${endpoint} did not answer`);
}

const CREATE_USER = `
import json, sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
name = sys.argv[2]
iam.create_user(UserName=name)
policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=json.dumps(policy))
key = iam.create_access_key(UserName=name)["AccessKey"]
print(json.dumps({"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}))
`;

async function createUser(endpoint: string, name: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const { stdout } = await promisify(execFile)(PYTHON, ["-c", CREATE_USER, endpoint, name], {
    env: { PATH: process.env["PATH"] ?? "", ...MOTO_KEYS },
  });
  return JSON.parse(stdout) as { accessKeyId: string; secretAccessKey: string };
}
