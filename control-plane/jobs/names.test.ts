import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isApiName, isRequestId, recordKey, requestStream, requestSubject } from "./names.ts";

describe("NATS names", () => {
  it("derives stream, subject and key from the API name", () => {
    assert.equal(requestStream("text-generator"), "GLIA_REQ_text-generator");
    assert.equal(requestSubject("text-generator"), "glia.req.text-generator");
    assert.equal(recordKey("a", "0b9c6a64-2f7a-4d5e-9a57-3f0e2d1c4b5a"), "a.0b9c6a64-2f7a-4d5e-9a57-3f0e2d1c4b5a");
  });

  it("refuses ids and API names that would become wildcards or extra subject tokens", () => {
    for (const id of ["*", ">", "a.b", "../x", "", "0B9C6A64-2F7A-4D5E-9A57-3F0E2D1C4B5A ", "x".repeat(36)]) {
      assert.equal(isRequestId(id), false, id);
      assert.throws(() => recordKey("a", id), TypeError);
    }
    for (const name of ["*", ">", "a.b", "A", "-a", "a-", "a b", "é"]) {
      assert.equal(isApiName(name), false, name);
      assert.throws(() => requestSubject(name), TypeError);
    }
  });
});
