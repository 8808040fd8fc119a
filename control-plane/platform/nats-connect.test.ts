import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseServers, redactUrl } from "./nats-connect.ts";

describe("NATS URLs", () => {
  it("take a user and password or a token out of the URL, for the client's options", () => {
    assert.deepEqual(parseServers("nats://glia:p%40ss@a:4222"), {
      servers: ["nats://a:4222"],
      user: "glia",
      pass: "p@ss",
    });
    assert.deepEqual(parseServers("nats://TOKEN123@a:4222"), { servers: ["nats://a:4222"], token: "TOKEN123" });
    assert.deepEqual(parseServers(" nats://a:4222 , nats://b:4222 "), { servers: ["nats://a:4222", "nats://b:4222"] });
    assert.deepEqual(parseServers("nats://u:p@a:1,nats://u:p@b:2"), {
      servers: ["nats://a:1", "nats://b:2"],
      user: "u",
      pass: "p",
    });
  });

  it("refuse a cluster whose servers carry different credentials, without showing them", () => {
    assert.throws(
      () => parseServers("nats://u:pw-alpha@a:1,nats://u:pw-beta@b:2"),
      (err: Error) => /different credentials/.test(err.message) && !/pw-alpha|pw-beta/.test(err.message),
    );
  });

  it("are redacted whole: every URL of a list, passwords and tokens", () => {
    assert.equal(
      redactUrl("nats://glia:secret@a:4222,nats://glia:secret@b:4222,tls://TOKEN@c:4222,nats://d:4222"),
      "nats://glia:***@a:4222,nats://glia:***@b:4222,tls://***@c:4222,nats://d:4222",
    );
  });
});
