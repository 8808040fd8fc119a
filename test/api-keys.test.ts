import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiKeys } from "../control-plane/gateway/index.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { rawHttp, rawRequest } from "./support/raw-http.ts";

const ALL = "sesame-0123456789abcdef";
const ECHO_ONLY = "echo-only-0123456789abcdef";
const ALLOWED_ORIGIN = "https://app.example.com";
const ID = "0b9c6a52-5d3e-4a0e-9a57-2f1f3c1d8e77";

describe("API keys and CORS on the public listener", { timeout: 120_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["echo-payloads"], {
      apiKeys: await ApiKeys.load(undefined, `${ALL},echo:${ECHO_ONLY}`),
      corsOrigins: [ALLOWED_ORIGIN],
    });
  });
  after(async () => stack?.stop());

  const call = (path: string, key?: string, method = "GET", extra: Record<string, string> = {}) =>
    fetch(`${stack.platform.url}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...extra,
      },
      body: method === "POST" ? "{}" : undefined,
    });
  const answer = async (path: string, key?: string, method = "GET"): Promise<string> => {
    const res = await call(path, key, method);
    return `${res.status} ${res.headers.get("www-authenticate")} ${await res.text()}`;
  };

  it("refuses requests without a valid key with 401 and a JSON error, and accepts valid ones", async () => {
    for (const key of [undefined, "wrong-0123456789abcdef"]) {
      const res = await call("/echo", key, "POST");
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="glia"');
      assert.match(((await res.json()) as { error: string }).error, /key/);
    }
    for (const key of [ALL, ECHO_ONLY]) {
      const res = await call("/echo", key, "POST");
      assert.equal(res.status, 200, key);
      const { id } = (await res.json()) as { id: string };
      assert.equal((await call(`/echo/${id}`, key)).status, 200);
      assert.equal((await call(`/echo/${id}`)).status, 401, "reading needs the key too");
    }
    assert.equal((await call("/metrics", ALL)).status, 200);
    assert.equal((await call("/healthz")).status, 200, "health checks stay open");
    assert.equal((await call("/readyz")).status, 200, "readiness checks stay open");
  });

  it("answers a path that names no API exactly as one that does, so the APIs cannot be listed", async () => {
    const pairs: Array<[method: string, deployed: string, absent: string]> = [
      ["POST", "/echo", "/no-such-api"],
      ["GET", `/echo/${ID}`, `/no-such-api/${ID}`],
      ["GET", "/echo/healthz", "/no-such-api/healthz"],
      ["GET", "/echo", "/no-such-api"],
      ["PUT", "/echo", "/no-such-api"],
      ["GET", "/metrics", "/no-such-api"],
    ];
    for (const key of [undefined, "wrong-0123456789abcdef"]) {
      for (const [method, deployed, absent] of pairs) {
        const seen = await answer(deployed, key, method);
        assert.match(seen, /^401 Bearer realm="glia" \{"error":".+","code":"UNAUTHORIZED"\}$/, `${method} ${deployed}`);
        assert.equal(await answer(absent, key, method), seen, `${method} ${deployed} and ${absent}, key ${key}`);
      }
    }
    // A key for one API cannot tell the others from paths that name none, nor open /metrics.
    const other = await answer("/no-such-api", ECHO_ONLY, "POST");
    assert.match(other, /^401 /);
    assert.equal(await answer("/metrics", ECHO_ONLY), other);
    // A key for every API gets the usual 404 for a path that names none.
    const missing = await call("/no-such-api", ALL, "POST");
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, "NOT_FOUND");
    assert.equal((await call(`/echo/${ID}`, ECHO_ONLY)).status, 404, "an unknown id of the key's API");
  });

  it("answers CORS to the allowed origin only, and never on the internal listener", async () => {
    const allowed = await call("/echo", ALL, "POST", { origin: ALLOWED_ORIGIN });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
    const refused = await call("/echo", undefined, "POST", { origin: ALLOWED_ORIGIN });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN, "the page can read why");
    const preflight = await call("/echo", undefined, "OPTIONS", {
      origin: ALLOWED_ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    });
    assert.equal(preflight.status, 204, "a preflight carries no key");
    assert.equal(preflight.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);

    const other = await call("/echo", ALL, "POST", { origin: "https://elsewhere.example" });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("access-control-allow-origin"), null);

    const internalPort = Number(new URL(stack.platform.internalUrl).port);
    for (const method of ["GET", "OPTIONS"]) {
      const internal = await rawRequest(
        internalPort,
        rawHttp(method, "/healthz", [
          ["host", "api-echo:8888"],
          ["origin", ALLOWED_ORIGIN],
          ["access-control-request-method", "POST"],
        ]),
      );
      const cors = Object.keys(internal.headers).filter((h) => h.startsWith("access-control-"));
      assert.deepEqual(cors, [], `${method} on the internal listener: ${JSON.stringify(internal.headers)}`);
    }
  });
});
