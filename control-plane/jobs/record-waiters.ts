import { recordKey } from "./names.ts";
import { isFinal } from "./record.ts";
import type { ResultStore, StoredRecord } from "./result-store.ts";

type Wake = (final: StoredRecord | null) => void;

/**
 * Lets callers wait for a request to end without polling: one watch on the records bucket wakes
 * the waiters of each key as its record becomes final.
 */
export class RecordWaiters {
  readonly #store: ResultStore;
  readonly #waiters = new Map<string, Set<Wake>>();
  #stopWatch: (() => void) | null = null;

  private constructor(store: ResultStore) {
    this.#store = store;
  }

  static async open(store: ResultStore): Promise<RecordWaiters> {
    const waiters = new RecordWaiters(store);
    waiters.#stopWatch = await store.watch((key, read) => waiters.#onUpdate(key, read));
    return waiters;
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  /** The record once it is final, or as it stands after `timeoutMs`; `null` if there is none. */
  async wait(api: string, id: string, timeoutMs: number): Promise<StoredRecord | null> {
    const key = recordKey(api, id);
    let wake!: Wake;
    const woken = new Promise<StoredRecord | null>((resolve) => (wake = resolve));
    this.#add(key, wake);
    try {
      const now = await this.#store.get(api, id);
      if (!now || isFinal(now.record.status)) return now;
      const timer = setTimeout(() => wake(null), timeoutMs);
      const final = await woken; // the final record as the watch delivered it, or null on timeout
      clearTimeout(timer);
      return final ?? (await this.#store.get(api, id));
    } finally {
      this.#remove(key, wake);
    }
  }

  close(): void {
    this.#stopWatch?.();
    for (const set of this.#waiters.values()) set.forEach((wake) => wake(null));
    this.#waiters.clear();
  }

  #onUpdate(key: string, read: () => StoredRecord): void {
    const set = this.#waiters.get(key);
    if (!set) return;
    const stored = read();
    if (isFinal(stored.record.status)) set.forEach((wake) => wake(stored));
  }

  #add(key: string, wake: Wake): void {
    const set = this.#waiters.get(key) ?? new Set();
    set.add(wake);
    this.#waiters.set(key, set);
  }

  #remove(key: string, wake: Wake): void {
    const set = this.#waiters.get(key);
    set?.delete(wake);
    if (set?.size === 0) this.#waiters.delete(key);
  }
}
