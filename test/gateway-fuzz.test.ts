import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, submit, waitFor } from "./support/http.ts";

const HOSTILE = ["*", ">", "..", "%2e%2e", "a.b", "glia.req.echo", "../../etc/passwd", "healthz", "%00", "é", "🙂", ""];

const path = fc.oneof(
  fc.constantFrom("/echo", "/echo/", "/", "/healthz", "/echo/healthz", "/metrics"),
  fc.constantFrom(...HOSTILE).map((s) => `/echo/${s}`),
  fc.string({ maxLength: 40 }).map((s) => `/echo/${encodeURIComponent(s)}`),
  fc.array(fc.constantFrom(...HOSTILE, "echo", "x"), { maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
  fc.uuid().map((u) => `/echo/${u}`),
);
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      "application/json",
      "text/plain",
      "application/octet-stream",
      "image/png",
      "application/json; charset=utf-8",
    ),
    fc.string({ maxLength: 20 }).map((cs) => `text/plain; charset=${cs}`),
    fc.string({ maxLength: 30 }),
  ),
  { nil: undefined },
);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.json().map((j) => new TextEncoder().encode(j)),
  fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s)),
);
const request = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
  path,
  query: fc.constantFrom("", "?wait=0", "?wait=abc", "?wait=999", "?wait=0.01"),
  contentType,
  body,
});

describe("the public and internal listeners under malformed and hostile requests", { timeout: 300_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["echo-payloads"]);
  });
  after(async () => stack?.stop());

  it("answer every request without a 5xx, with a JSON error for every 4xx, and keep serving", async () => {
    const base = stack.platform.url;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType !== undefined) headers["content-type"] = r.contentType;
        const withBody = !["GET", "HEAD"].includes(r.method);
        let res: Response;
        try {
          res = await fetch(`${base}${r.path}${r.query}`, {
            method: r.method,
            headers,
            body: withBody ? r.body : undefined,
          });
        } catch (err) {
          if (
            err instanceof TypeError &&
            /header|Headers|ByteString|invalid/i.test(String((err as Error & { cause?: unknown }).cause ?? err.message))
          ) {
            return; // the client itself refused to send it (e.g. a control character in a header)
          }
          throw err;
        }
        const text = await res.text();
        assert.ok(res.status < 500, `${r.method} ${r.path}${r.query} (${r.contentType}) → ${res.status} ${text}`);
        if (res.status >= 400 && r.method !== "HEAD") {
          const parsed = JSON.parse(text) as { error?: unknown };
          assert.equal(typeof parsed.error, "string", text);
        }
      }),
      { numRuns: 400, seed: Number(process.env["GLIA_FUZZ_SEED"] ?? Date.now() % 100_000) },
    );
    const echo = stack.url("echo");
    const done = await waitFor(echo, await submit(echo, "{}", "application/json"), isFinal);
    assert.equal(done.body["status"], "completed", "the platform still serves");
  });
});
