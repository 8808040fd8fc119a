import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { allowOrigins, CorsOriginError, parseCorsOrigins } from "./cors.ts";

const ALLOWED = "https://app.example.com";

function appWith(origins: string[]): Hono {
  const app = new Hono();
  app.use("*", allowOrigins(origins));
  app.get("/x", (c) => c.json({ ok: true }));
  app.all("*", (c) => c.json({ error: "nothing here", code: "NOT_FOUND" }, 404));
  return app;
}

describe("CORS origins", { timeout: 10_000 }, () => {
  it("parse repeated values and comma lists, and refuse what is not an origin", () => {
    assert.deepEqual(parseCorsOrigins([`${ALLOWED}, http://localhost:3000`, ALLOWED]), [
      ALLOWED,
      "http://localhost:3000",
    ]);
    assert.deepEqual(parseCorsOrigins([]), []);
    assert.deepEqual(parseCorsOrigins(["*"]), ["*"]);
    for (const bad of [
      `${ALLOWED}/`,
      `${ALLOWED}/path`,
      "app.example.com",
      "ftp://x.example",
      "HTTPS://App.example.com",
    ]) {
      assert.throws(
        () => parseCorsOrigins([bad]),
        (err: unknown) => {
          assert.ok(err instanceof CorsOriginError);
          assert.match(err.message, /scheme:\/\/host\[:port\]/);
          assert.ok(err.message.includes(JSON.stringify(bad)), err.message);
          return true;
        },
      );
    }
  });

  it("let an allowed origin read answers and send Authorization, and tell others nothing", async () => {
    const app = appWith([ALLOWED]);
    const ok = await app.request("/x", { headers: { origin: ALLOWED } });
    assert.equal(ok.headers.get("access-control-allow-origin"), ALLOWED);
    assert.match(ok.headers.get("vary") ?? "", /Origin/);
    const preflight = await app.request("/x", {
      method: "OPTIONS",
      headers: {
        origin: ALLOWED,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization",
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), ALLOWED);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    assert.equal(preflight.headers.get("access-control-allow-credentials"), null);

    const other = await app.request("/x", { headers: { origin: "https://evil.example" } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    assert.match(other.headers.get("vary") ?? "", /Origin/, "a cache must not give one origin's answer to another");
    const otherPreflight = await app.request("/x", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(otherPreflight.headers.get("access-control-allow-origin"), null);
    assert.equal(otherPreflight.headers.get("access-control-allow-methods"), null);
  });

  it("with *, let any origin read answers", async () => {
    const res = await appWith(["*"]).request("/x", { headers: { origin: "https://anywhere.example" } });
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
  });

  it("keep the CORS headers on error answers, so the page can read why", async () => {
    const res = await appWith([ALLOWED]).request("/missing", { headers: { origin: ALLOWED } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
  });
});
