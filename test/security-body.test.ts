import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ResultStore } from "../control-plane/jobs/index.ts";
import { checkPayload, DEFAULT_MAX_BODY_MEMORY_BYTES } from "../control-plane/gateway/index.ts";
import * as tables from "../control-plane/gateway/charset-tables.ts";
import { startPlatform, type TestPlatform } from "./support/platform.ts";
import { isFinal, post, submit, waitFor } from "./support/http.ts";
import { rawConnect, rawHttp, type RawConnection } from "./support/raw-http.ts";

const MiB = 1024 * 1024;
const PYTHON = ".venv/bin/python";
const run = promisify(execFile);

describe("one request body cannot stall or exhaust the gateway", { timeout: 600_000 }, () => {
  let stack: TestPlatform;

  before(async () => {
    stack = await startPlatform(["large-payload", "echo-payloads"], { maxBodyBytes: 64 * MiB });
  });
  after(async () => stack?.stop());

  it("answers 50 MiB of '[' with a 400 that names the nesting limit, and /healthz keeps answering meanwhile", async () => {
    const url = stack.url("echo");
    const health = new URL("/healthz", url).href;
    // curl sends it from another process, so the figures below are the gateway's alone.
    const dir = await mkdtemp(join(tmpdir(), "glia-nested-"));
    const file = join(dir, "nested.json");
    await writeFile(file, Buffer.alloc(50 * MiB, "["));
    const rssBefore = process.memoryUsage().rss;
    let inFlight = true;
    const latencies: number[] = [];
    const probe = (async () => {
      while (inFlight) {
        const started = performance.now();
        const res = await fetch(health);
        await res.text();
        if (inFlight) latencies.push(performance.now() - started);
        await sleep(10);
      }
    })();
    const started = performance.now();
    const curl = await run("curl", [
      "-sS",
      "-H",
      "content-type: application/json",
      "--data-binary",
      `@${file}`,
      "-w",
      "\n%{http_code}",
      url,
    ]);
    const took = performance.now() - started;
    inFlight = false;
    await probe;
    await rm(dir, { recursive: true, force: true });
    const [text, code] = curl.stdout.split(/\n(?=\d+$)/);
    const res = { status: Number(code), body: JSON.parse(text!) as Record<string, unknown> };
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body["code"], "PAYLOAD_INVALID");
    assert.match(String(res.body["error"]), /nested too deeply: .*limit of 512 levels \(level 513 opens at byte 512\)/);
    assert.ok(latencies.length > 0, "/healthz answered while the body was being read and checked");
    console.log(
      `50 MiB of '[': 400 after ${took.toFixed(0)} ms; /healthz answered ${latencies.length} times meanwhile, ` +
        `worst ${Math.max(...latencies).toFixed(1)} ms; RSS of the process running the gateway ` +
        `grew ${(rssGrowth / MiB).toFixed(0)} MiB (the gateway's alone)`,
    );
    const deepest = "[".repeat(512) + "]".repeat(512);
    const id = await submit(url, deepest, "application/json");
    const done = await waitFor(url, id, isFinal, 30_000);
    assert.equal(
      done.body["status"],
      "completed",
      `the runtime parses the deepest body taken: ${JSON.stringify(done.body).slice(0, 300)}`,
    );
  });

  it("answers 503 with Retry-After to bodies past the memory cap, stores nothing for them, and completes the rest", async () => {
    const url = new URL(stack.url("large"));
    const size = 60 * MiB;
    const fit = Math.floor(DEFAULT_MAX_BODY_MEMORY_BYTES / size); // 4 bodies of 60 MiB in 256 MiB
    const count = fit + 3;
    const head = rawHttp("POST", url.pathname, [
      ["host", url.host],
      ["content-type", "application/octet-stream"],
      ["content-length", String(size)],
    ]);
    const connections: RawConnection[] = [];
    for (let i = 0; i < count; i++) {
      const connection = await rawConnect(Number(url.port), 120_000);
      await connection.write(head); // the headers only: a refused body is never sent
      connections.push(connection);
    }
    for (let waited = 0; connections.filter((c) => !c.open).length < count - fit && waited < 30_000; waited += 50) {
      await sleep(50);
    }
    const refused = connections.filter((c) => !c.open);
    const held = connections.filter((c) => c.open);
    assert.equal(refused.length, count - fit, `${count - fit} refused before their bodies were sent`);
    for (const connection of refused) {
      const answer = await connection.answer;
      assert.equal(answer.status, 503, answer.body.toString());
      assert.equal(answer.headers["retry-after"], "1");
      const error = JSON.parse(answer.body.toString()) as { error: string; code: string };
      assert.equal(error.code, "GATEWAY_BUSY");
      assert.match(error.error, /the gateway is busy: .*256 MiB in memory; retry shortly/);
    }
    const body = randomBytes(size);
    const started = performance.now();
    await Promise.all(held.map((c) => c.write(body)));
    const answers = await Promise.all(held.map((c) => c.answer));
    const ids = answers.map((a) => {
      assert.equal(a.status, 200, a.body.toString());
      return String((JSON.parse(a.body.toString()) as { id: string }).id);
    });
    console.log(
      `${count} bodies of 60 MiB at once: ${refused.length} answered 503, ${ids.length} stored in ` +
        `${(performance.now() - started).toFixed(0)} ms`,
    );
    const store = await ResultStore.open(stack.platform.nc);
    assert.deepEqual((await store.keys("large")).sort(), [...ids].sort(), "records exist for the taken bodies only");
    for (const id of ids) {
      const done = await waitFor(url.href, id, isFinal, 240_000);
      assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
      assert.equal((done.body["result"] as { bytes: number }).bytes, size);
    }
    const again = await post(url.href, randomBytes(size), "application/octet-stream");
    assert.equal(again.status, 200, "the bytes were given back: a body fits again");
  });

  it("refuses at submit text the runtime cannot decode, and hands the runtime what it decodes", async () => {
    const url = stack.url("echo");
    const cases: Array<[string, number[], number]> = [
      ["text/plain; charset=windows-1252", [0x63, 0x61, 0x66, 0xe9, 0x81], 400], // 0x81 is undefined
      ["text/plain; charset=euc-kr", [0xb0, 0xa1], 400], // not checked at submit: not taken
      ["text/plain; charset=iso-8859-1", [0x63, 0x61, 0x66, 0xe9, 0x81], 200],
      ["text/plain; charset=windows-1252", [0x63, 0x61, 0x66, 0xe9, 0x80], 200],
      ["text/plain; charset=utf-16", [0xff, 0xfe, 0x3d, 0xd8, 0x00, 0xde], 200],
    ];
    for (const [type, bytes, status] of cases) {
      const res = await post(url, Uint8Array.from(bytes), type);
      assert.equal(res.status, status, `${type} ${JSON.stringify(bytes)}: ${JSON.stringify(res.body)}`);
      if (status !== 200) continue;
      const done = await waitFor(url, String(res.body["id"]), isFinal, 30_000);
      const expected = python(
        `print(json.dumps(bytes(${JSON.stringify(bytes)}).decode(${JSON.stringify(type.split("=")[1])})))`,
      );
      assert.equal(done.body["status"], "completed", JSON.stringify(done.body));
      assert.equal((done.body["result"] as { payload: string }).payload, JSON.parse(expected) as string);
    }
  });
});

function python(code: string, input?: string): string {
  return execFileSync(PYTHON, ["-c", `import json, sys\n${code}`], { input, encoding: "utf8", maxBuffer: 256 * MiB });
}

describe("the gateway's payload checks and the runtime's decoding agree", { timeout: 300_000 }, () => {
  it("has the codec tables Python has (scripts/gen-charset-tables.py)", () => {
    const live = JSON.parse(
      execFileSync(PYTHON, ["scripts/gen-charset-tables.py", "--json"], { encoding: "utf8" }),
    ) as Record<string, unknown>;
    for (const [name, value] of Object.entries(live)) {
      assert.deepEqual((tables as Record<string, unknown>)[name], value, `${name} is out of date: run the script`);
    }
  });

  it("takes at submit exactly the text and JSON bodies the runtime decodes", async () => {
    const cases = parityCases();
    const decoded = JSON.parse(
      python(
        [
          "sys.path.insert(0, 'python-runtime')",
          "from glia_runtime.payload import decode_payload",
          "from glia_runtime.errors import PayloadDecodeError",
          "out = []",
          "for content_type, body in json.load(sys.stdin):",
          "    try:",
          "        decode_payload(bytes.fromhex(body), content_type)",
          "        out.append(None)",
          "    except PayloadDecodeError as exc:",
          "        out.append(str(exc))",
          "print(json.dumps(out))",
        ].join("\n"),
        JSON.stringify(cases.map(([type, body]) => [type, Buffer.from(body).toString("hex")])),
      ),
    ) as Array<string | null>;
    const disagreements: string[] = [];
    let refusedBoth = 0;
    for (const [i, [type, body, stricter]] of cases.entries()) {
      const gateway = await checkPayload(type, body).then(
        () => null,
        (err: Error) => err.message,
      );
      const runtime = decoded[i]!;
      if (gateway !== null && runtime !== null) refusedBoth++;
      const agree = gateway === null ? runtime === null : runtime !== null || stricter;
      if (!agree) {
        const hex = Buffer.from(body).subarray(0, 16).toString("hex");
        disagreements.push(`${type} ${hex}: gateway ${gateway ?? "takes it"}; runtime ${runtime ?? "decodes it"}`);
      }
    }
    console.log(`${cases.length} bodies through both sides, ${refusedBoth} refused by both`);
    assert.deepEqual(disagreements.slice(0, 20), []);
  });
});

/** [Content-Type, body, whether the gateway may refuse what the runtime decodes]. */
function parityCases(): Array<[string, Uint8Array, boolean]> {
  const cases: Array<[string, Uint8Array, boolean]> = [];
  const rand = seeded(7);
  const every = [...Array(256).keys()];
  for (const codec of [...Object.keys(tables.SINGLE_BYTE_CODECS), ...tables.UNICODE_CODECS]) {
    const type = `text/plain; charset=${codec}`;
    for (const b of every) cases.push([type, Uint8Array.of(b), false]);
    for (let i = 0; i < 200; i++)
      cases.push([type, Uint8Array.from({ length: 1 + (rand() % 9) }, () => rand() % 256), false]);
  }
  // Unicode code units near the edges: surrogates, byte-order marks, past U+10FFFF.
  const units = [0x00, 0x41, 0xd8, 0xdb, 0xdc, 0xdf, 0xfe, 0xff, 0x10, 0x11];
  for (const codec of tables.UNICODE_CODECS) {
    for (let i = 0; i < 3000; i++) {
      const body = Uint8Array.from({ length: 2 + (rand() % 7) }, () => units[rand() % units.length]!);
      cases.push([`text/plain; charset=${codec}`, body, false]);
    }
  }
  // Labels as Python looks them up: case, punctuation, aliases; and codecs it has but the gateway refuses.
  const labels = [
    "UTF8",
    "Utf_8",
    "utf--8",
    " latin1 ",
    "Latin_1",
    "ISO-8859-15",
    "iso8859.15",
    "l1",
    "cp-1252",
    "WINDOWS_1252",
    "us",
    "646",
    "klingon",
    "base64",
    "rot13",
    "utf..8",
    "x-user-defined",
  ];
  for (const label of labels) {
    for (const b of [0x41, 0x81, 0xa4, 0xe9, 0xff])
      cases.push([`text/plain; charset="${label}"`, Uint8Array.of(b), false]);
  }
  for (const codec of tables.UNCHECKED_CODECS) cases.push([`text/plain; charset=${codec}`, Uint8Array.of(0x41), true]);
  // JSON: what Python's json.loads takes beyond RFC 8259 (NaN, UTF-16, encoded surrogates) the gateway refuses.
  const json: Array<[string | Uint8Array, boolean]> = [
    ["[".repeat(512) + "]".repeat(512), false],
    ["[".repeat(513) + "]".repeat(513), true], // the nesting limit is below Python's recursion limit
    ["1".repeat(4300), false],
    ["-" + "1".repeat(4301), false],
    ["1".repeat(5000) + ".5", false],
    ["\ufeff{}", false],
    ['{"a": "\\ud800"}', false],
    ["NaN", true],
    ["[Infinity]", true],
    [Buffer.from("[1]", "utf16le"), true],
    [Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22), true],
  ];
  for (const [text, stricter] of json)
    cases.push(["application/json", typeof text === "string" ? Buffer.from(text) : text, stricter]);
  const alphabet = Buffer.from('[]{}:,"\\ 0-1.eEtruenl\u00e9');
  for (let i = 0; i < 3000; i++) {
    cases.push([
      "application/json",
      Uint8Array.from({ length: 1 + (rand() % 10) }, () => alphabet[rand() % alphabet.length]!),
      false,
    ]);
  }
  // Content-Type as the runtime reads it: the first charset wins.
  cases.push(["text/plain; charset=utf-8; charset=latin-1", Uint8Array.of(0xe9), false]);
  cases.push(["text/plain; charset=latin-1; charset=utf-8", Uint8Array.of(0xe9), false]);
  cases.push(["TEXT/Plain; Charset=ascii", Uint8Array.of(0xe9), false]);
  return cases;
}

/** A small deterministic generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 8;
  };
}
