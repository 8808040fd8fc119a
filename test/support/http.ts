import { setTimeout as sleep } from "node:timers/promises";

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function post(url: string, body: string | Uint8Array, contentType?: string): Promise<Answer> {
  const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
  return answer(await fetch(url, { method: "POST", body, headers }));
}

export async function get(url: string): Promise<Answer> {
  return answer(await fetch(url));
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

/** Submits and returns the id, failing loudly if the gateway did not accept the request. */
export async function submit(url: string, body: string | Uint8Array, contentType?: string): Promise<string> {
  const res = await post(url, body, contentType);
  if (res.status !== 200 || typeof res.body["id"] !== "string") {
    throw new Error(`POST ${url} answered ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body["id"];
}

/** Polls `GET <url>/<id>` until `until(status)` holds; fails after `timeoutMs` showing the last answer. */
export async function waitFor(
  url: string,
  id: string,
  until: (status: string) => boolean,
  timeoutMs = 30_000,
): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | undefined;
  while (Date.now() < deadline) {
    last = await get(`${url}/${id}`);
    if (until(String(last.body["status"]))) return last;
    await sleep(10);
  }
  throw new Error(
    `request ${id} did not reach the awaited status within ${timeoutMs} ms; last answer: ${JSON.stringify(last?.body)}`,
  );
}

export const isFinal = (status: string): boolean => status === "completed" || status === "failed";

/**
 * The result each of an API's `runtimes` gives, by the runtime's process id (the handler returns
 * it as `pid`): sends `{}` four at a time until every runtime has answered, or 40 rounds have passed.
 */
export async function resultsByRuntime<T extends { pid: number }>(
  url: string,
  runtimes: number,
): Promise<Map<number, T>> {
  const seen = new Map<number, T>();
  for (let i = 0; i < 40 && seen.size < runtimes; i++) {
    const ids = await Promise.all([1, 2, 3, 4].map(() => submit(url, "{}", "application/json")));
    for (const id of ids) {
      const result = (await get(`${url}/${id}?wait=30`)).body["result"] as T;
      seen.set(result.pid, result);
    }
  }
  return seen;
}
