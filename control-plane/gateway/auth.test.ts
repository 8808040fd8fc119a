import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKeys, ApiKeyFileError, MIN_KEY_LENGTH, UnauthorizedError } from "./auth.ts";

const ALL = "all-apis-0123456789abcdef";
const IRIS = "iris-only-0123456789abcdef";
const ENV = "from-env-0123456789abcdef";

describe("API keys", { timeout: 10_000 }, () => {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "glia-keys-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const keyFile = async (text: string): Promise<string> => {
    const file = join(dir, `keys-${++n}.txt`);
    await writeFile(file, text);
    return file;
  };
  const refusal = async (file: string | undefined, env?: string): Promise<ApiKeyFileError> => {
    const err = await ApiKeys.load(file, env).then(
      () => assert.fail("the keys were accepted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiKeyFileError, String(err));
    return err;
  };

  it("are off when none are given", async () => {
    assert.equal(await ApiKeys.load(undefined, undefined), null);
    assert.equal(await ApiKeys.load(undefined, " , "), null);
  });

  it("open every API, or one when written <api>:<key>, from a file and the environment", async () => {
    const keys = (await ApiKeys.load(await keyFile(`# team keys\n${ALL}\n\n  iris:${IRIS}\r\n`), ENV))!;
    for (const [api, key] of [
      ["hello", ALL],
      ["iris", IRIS],
      ["hello", ENV],
      ["metrics", ALL],
    ] as const) {
      assert.doesNotThrow(() => keys.check(api, `Bearer ${key}`), `${api} with ${key}`);
    }
    assert.throws(() => keys.check("hello", `Bearer ${IRIS}`), UnauthorizedError);
    assert.throws(() => keys.check("hello", "Bearer wrong"), UnauthorizedError);
    assert.throws(() => keys.check("hello", undefined), /Authorization: Bearer <key>/);
    assert.throws(() => keys.check("hello", `Basic ${ALL}`), UnauthorizedError);
    await assert.rejects(ApiKeys.load(join(dir, "missing"), undefined), ApiKeyFileError);
  });

  it("answer the same for a path that names no API as for one that does", async () => {
    const keys = (await ApiKeys.load(undefined, `${ALL},iris:${IRIS}`))!;
    const answer = (api: string | null, auth: string | undefined): string => {
      try {
        keys.check(api, auth);
        return "open";
      } catch (err) {
        assert.ok(err instanceof UnauthorizedError);
        return `${err.status} ${err.message}`;
      }
    };
    for (const auth of [undefined, "Bearer nope-0123456789abcdef", `Bearer ${IRIS}`]) {
      if (auth !== `Bearer ${IRIS}`) assert.equal(answer(null, auth), answer("iris", auth), String(auth));
      assert.equal(answer(null, auth), answer("hello", auth), String(auth));
      assert.match(answer(null, auth), /^401 /);
    }
    // A key for every API learns which paths name none (it gets 404 for them).
    assert.equal(answer(null, `Bearer ${ALL}`), "open");
  });

  it("refuse a line whose part before ':' is not an API name, naming the line and never the key", async () => {
    const secret = "Secret_0123456789abcdef";
    for (const prefix of ["Hello", "my_api", "-x", "x-", "9lives", "a".repeat(64)]) {
      const file = await keyFile(`# keys\n${ALL}\n${prefix}:${secret}\n`);
      const err = await refusal(file);
      assert.match(err.message, new RegExp(`${file} line 3: the part before the first \`:\` is not an API name`));
      assert.match(err.message, /write `<api>:<key>` with the API's name, or the key alone/);
      assert.ok(!err.message.includes(secret) && !err.message.includes(`${prefix}:`), err.message);
    }
  });

  it("refuse short keys, keys with spaces, ':' or ',' and empty keys, listing every bad line", async () => {
    const short = "s".repeat(MIN_KEY_LENGTH - 1);
    const file = await keyFile(
      `${short}\nhas space 0123456789abcdef\niris:a:b-0123456789abcdef\niris:\nnon-ascii-é0123456789abcdef\n`,
    );
    const err = await refusal(file);
    assert.match(err.message, new RegExp(`${file} line 1: the key is shorter than ${MIN_KEY_LENGTH} characters`));
    assert.match(err.message, new RegExp(`${file} line 2: the key holds a space`));
    assert.match(err.message, new RegExp(`${file} line 3: the key holds a space, \`:\``));
    assert.match(err.message, new RegExp(`${file} line 4: no key after`));
    assert.match(err.message, new RegExp(`${file} line 5: the key holds`));
    assert.match(err.message, /openssl rand -hex 32/);
    for (const secret of [short, "has space", "a:b-0123", "é0123"]) assert.ok(!err.message.includes(secret), secret);
    assert.ok(await ApiKeys.load(undefined, "s".repeat(MIN_KEY_LENGTH)), `${MIN_KEY_LENGTH} characters are enough`);
  });

  it("hold GLIA_API_KEYS entries to the same rules", async () => {
    const err = await refusal(undefined, `${ALL},My_Api:${IRIS},short`);
    assert.match(err.message, /GLIA_API_KEYS entry 2: the part before the first `:` is not an API name/);
    assert.match(err.message, /GLIA_API_KEYS entry 3: the key is shorter than/);
    assert.ok(!err.message.includes(IRIS) && !err.message.includes(ALL));
  });

  it("refuse a key file that holds no key, rather than leave the listener open", async () => {
    const file = await keyFile("# no keys yet\n\n");
    const err = await refusal(file, ENV);
    assert.match(err.message, new RegExp(`the API key file ${file} holds no key`));
  });
});
