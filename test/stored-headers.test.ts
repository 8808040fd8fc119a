import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DeadLetters } from "../control-plane/jobs/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, waitFor } from "./support/http.ts";

/** Credentials and everything else a client may send; none of it has a reader behind the gateway. */
const SENT = {
  authorization: "Bearer not-checked-here-0123456789",
  "proxy-authorization": "Basic cHJveHk6c2VjcmV0",
  "x-api-key": "the-api-key-0123456789",
  cookie: "session=abc123",
  "x-auth-token": "token-0123456789",
  "x-amz-security-token": "aws-session-token",
  "user-agent": "stored-headers-test/1.0",
  "x-request-id": "client-chosen-id",
  "x-custom": "anything",
  "content-type": "application/json",
};

describe("request headers kept with a request", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["handler-raises"]);
  });
  after(async () => stack?.stop());

  it("are only those something reads (none), however the request ends, and CORS is off by default", async () => {
    const res = await fetch(stack.url("raises"), {
      method: "POST",
      headers: { ...SENT, origin: "https://app.example.com" },
      body: JSON.stringify({ item: "x" }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), null, "no --cors-origin: no CORS header");
    const { id } = (await res.json()) as { id: string };
    const final = await waitFor(stack.url("raises"), id, isFinal);
    assert.equal(final.body["status"], "failed");
    // A failed request keeps what was queued for it (payload, content type, headers) as its dead
    // letter, for as long as its record: what the worker got from the queue and passed on.
    const letter = await (await DeadLetters.open(stack.platform.nc)).get("raises", id);
    assert.ok(letter, "the failed request has a dead letter");
    assert.equal(letter.contentType, "application/json");
    assert.deepEqual(letter.headers, {});
  });
});
