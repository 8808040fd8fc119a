import { recordKey } from "./names.ts";
import { isFinal } from "./record.ts";
import type { ResultStore, StoredRecord } from "./result-store.ts";

type Wake = (final: StoredRecord | null) => void;

/** What the watch last said of a record: the record (null when too large to keep), and when. */
interface Seen {
  stored: StoredRecord | null;
  final: boolean;
  at: number;
}

/** Records seen for at most this long are answered from memory; older ones are read again. */
const RECENT_MS = 10_000;
/** The most records remembered; the oldest go first. */
const RECENT_MAX = 50_000;
/** Records larger than this (encoded) are not kept: they are read from the store when asked for. */
const KEEP_MAX_BYTES = 16 * 1024;

/**
 * Lets callers wait for a request to end without polling: one watch on the records bucket wakes
 * the waiters of each key as its record becomes final.
 *
 * The same watch remembers what it delivered lately, so a GET of a request seen in the last
 * seconds needs no round trip to NATS: {@link latest} answers it from memory, and {@link wait}
 * skips its first read when the watch has seen the record and it is not final yet (the final
 * record will come through the watch). A record the watch has not delivered yet, one seen too long
 * ago, or one too large to keep is read from the store as before. The watch delivers every write in
 * order, so what it remembers is never older than what it delivered; a GET may see a state a few
 * milliseconds behind the store, as a read from a lagging replica would.
 */
export class RecordWaiters {
  readonly #store: ResultStore;
  readonly #waiters = new Map<string, Set<Wake>>();
  /** By key, oldest first. */
  readonly #recent = new Map<string, Seen>();
  readonly #recentMs: number;
  #stopWatch: (() => void) | null = null;

  private constructor(store: ResultStore) {
    this.#store = store;
    // Never past a quarter of the records' lifetime, so an expired record is not answered.
    this.#recentMs = Math.min(RECENT_MS, Math.floor(store.ttlMs / 4));
  }

  static async open(store: ResultStore): Promise<RecordWaiters> {
    const waiters = new RecordWaiters(store);
    waiters.#stopWatch = await store.watch((key, read, bytes) => waiters.#onUpdate(key, read, bytes));
    return waiters;
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  /** The record as it stands: from what the watch delivered lately when it can, else from the store. */
  async latest(api: string, id: string): Promise<StoredRecord | null> {
    return this.#seen(recordKey(api, id))?.stored ?? (await this.#store.get(api, id));
  }

  /** The record once it is final, or as it stands after `timeoutMs`; `null` if there is none. */
  async wait(api: string, id: string, timeoutMs: number): Promise<StoredRecord | null> {
    const key = recordKey(api, id);
    let wake!: Wake;
    const woken = new Promise<StoredRecord | null>((resolve) => (wake = resolve));
    this.#add(key, wake); // before the record is read: a final write after the read wakes it
    try {
      const seen = this.#seen(key);
      if (!(seen?.stored && !seen.final)) {
        const now = seen?.stored ?? (await this.#store.get(api, id));
        if (!now || isFinal(now.record.status)) return now;
      }
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
    this.#recent.clear();
  }

  #onUpdate(key: string, read: (() => StoredRecord) | null, bytes: number): void {
    this.#recent.delete(key); // re-added last, as the newest
    if (!read) return; // removed: the store says so when asked
    const set = this.#waiters.get(key);
    const keep = bytes <= KEEP_MAX_BYTES;
    if (!keep && !set) return; // not decoded for nothing; a GET reads it from the store
    const stored = read();
    const final = isFinal(stored.record.status);
    if (keep) this.#remember(key, { stored, final, at: Date.now() });
    if (set && final) set.forEach((wake) => wake(stored));
  }

  #remember(key: string, seen: Seen): void {
    this.#recent.set(key, seen);
    for (const [oldest, { at }] of this.#recent) {
      if (this.#recent.size <= RECENT_MAX && seen.at - at <= this.#recentMs) break;
      this.#recent.delete(oldest);
    }
  }

  #seen(key: string): Seen | null {
    const seen = this.#recent.get(key);
    return seen && Date.now() - seen.at <= this.#recentMs ? seen : null;
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
