import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CapacityLedger, type Lease } from "./capacity.ts";
import { LeaseTable } from "./lease-table.ts";

const lease = (id: string, ...devices: string[]): Lease => ({ id, devices });

describe("a worker's table of leases, runtimes with GPUs of their own", () => {
  it("asks for the lease of the index the pool adds a runtime on, and places it there", () => {
    const table = new LeaseTable([lease("L1", "0"), lease("L2", "1")], true);
    assert.deepEqual(table.plan(3, { size: 2, draining: 0 }), { release: [], need: 1 });
    assert.equal(table.take([lease("L3", "2")], { size: 2, draining: 0 }), 3);
    assert.deepEqual(table.devices, [["0"], ["1"], ["2"]]);
  });

  it("lets the pool grow only as far as leases were granted", () => {
    const table = new LeaseTable([lease("L1", "0")], true);
    assert.equal(table.plan(4, { size: 1, draining: 0 }).need, 3);
    assert.equal(table.take([lease("L2", "1")], { size: 1, draining: 0 }), 2);
  });

  it("keeps every lease after a shrink until it knows which runtimes still run, then gives back the others", () => {
    const table = new LeaseTable([lease("L1", "0"), lease("L2", "1"), lease("L3", "2")], true);
    table.resized(3, 1);
    const pool = { size: 1, draining: 0 };
    assert.deepEqual(table.plan(1, pool), { release: [], need: 0 }, "which runtime the pool kept is not known");
    table.take([], pool);
    assert.equal(table.wantsLiveReplicas(pool), true);
    table.observe(pool, [1]);
    assert.deepEqual(table.plan(1, pool), { release: ["L1", "L3"], need: 0 });
    table.take([], pool);
    assert.equal(table.devices[0], undefined, "the pool refuses to start a runtime on a lease given back");
    assert.deepEqual(table.devices[1], ["1"]);
    // The pool's lowest free indices are 0 and 2 now.
    assert.deepEqual(table.plan(3, pool), { release: [], need: 2 });
    assert.equal(table.take([lease("L4", "5"), lease("L5", "6")], pool), 3);
    assert.deepEqual(table.devices, [["5"], ["1"], ["6"]]);
  });

  it("gives every lease back when no runtime runs", () => {
    const table = new LeaseTable([lease("L1", "0"), lease("L2", "1")], true);
    table.resized(2, 0);
    assert.deepEqual(table.plan(0, { size: 0, draining: 1 }).release, [], "one still drains");
    table.take([], { size: 0, draining: 1 });
    assert.deepEqual(table.plan(0, { size: 0, draining: 0 }).release, ["L1", "L2"]);
    assert.equal(table.held, 0);
  });

  it("covers every index the pool may choose when it does not know which runtimes run", () => {
    // Runtimes 0 and 2 run (1 was given back); then a shrink leaves one of them, and one drains.
    const table = new LeaseTable([lease("L1", "0"), lease("L2", "1"), lease("L3", "2")], true);
    table.resized(3, 2);
    table.observe({ size: 2, draining: 0 }, [0, 2]);
    table.plan(2, { size: 2, draining: 0 });
    table.take([], { size: 2, draining: 0 });
    table.resized(2, 1);
    const pool = { size: 1, draining: 1 };
    // Index 1 is free whichever ran on; a second added runtime goes past the end.
    assert.deepEqual(table.plan(3, pool), { release: [], need: 2 });
    assert.equal(table.take([lease("L4", "7")], pool), 2, "index 1 only");
    assert.deepEqual(table.devices[1], ["7"]);
  });

  it("forgets which runtimes run when a resize fails", () => {
    const table = new LeaseTable([lease("L1", "0"), lease("L2", "1")], true);
    table.lost();
    assert.deepEqual(table.plan(1, { size: 1, draining: 0 }), { release: [], need: 0 });
  });
});

describe("a worker's table of leases, runtimes without GPUs of their own", () => {
  it("holds as many leases as runtimes run or drain, and gives the rest back by count", () => {
    const table = new LeaseTable([lease("L1")], false);
    assert.deepEqual(table.plan(3, { size: 1, draining: 0 }), { release: [], need: 2 });
    assert.equal(table.take([lease("L2"), lease("L3")], { size: 1, draining: 0 }), 3);
    assert.deepEqual(table.devices, [[], [], []]);
    assert.deepEqual(table.plan(1, { size: 3, draining: 0 }).release, [], "before the shrink all three run");
    table.take([], { size: 3, draining: 0 });
    assert.deepEqual(table.plan(1, { size: 1, draining: 1 }).release, ["L3"]);
    table.take([], { size: 1, draining: 1 });
    assert.deepEqual(table.plan(1, { size: 1, draining: 0 }).release, ["L2"]);
  });

  it("gives the runtimes added the devices every lease has (all GPUs, when each runtime asks for more than exist)", () => {
    const table = new LeaseTable([], false);
    table.plan(2, { size: 0, draining: 0 });
    table.take([lease("L1", "0", "1"), lease("L2", "0", "1")], { size: 0, draining: 0 });
    assert.deepEqual(table.devices, [
      ["0", "1"],
      ["0", "1"],
    ]);
  });
});

/** A small deterministic random source (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A pool that behaves as RuntimePool documents it: an added runtime takes the lowest index no
 * runtime (running or draining) has, on `devices[index]`, and refuses one without; a shrink takes
 * out any runtimes, which may drain for a while.
 */
class ModelPool {
  readonly running = new Map<number, string[]>();
  readonly draining = new Map<number, string[]>();
  constructor(readonly devices: string[][]) {}
  get state() {
    return { size: this.running.size, draining: this.draining.size };
  }
  resize(target: number, pick: () => number): void {
    while (this.running.size > target) {
      const indices = [...this.running.keys()];
      const index = indices[Math.floor(pick() * indices.length)]!;
      this.draining.set(index, this.running.get(index)!);
      this.running.delete(index);
    }
    for (let i = 0; this.running.size < target; i++) {
      if (this.running.has(i) || this.draining.has(i)) continue;
      const devices = this.devices[i];
      assert.ok(devices, `the pool would start runtime ${i} on no lease`);
      this.running.set(i, devices);
    }
  }
}

describe("a worker's leases over many resizes", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`never runs two runtimes on one device, nor one on a device it does not lease (seed ${seed})`, () => {
      const pick = random(seed);
      const ledger = new CapacityLedger({ gpus: ["0", "1", "2", "3", "4", "5"], cpuMillis: 64_000 });
      const holder = { id: "a#1", api: "a", gpu: 1, cpuMillis: 0 };
      const other = { id: "b#1", api: "b", gpu: 1, cpuMillis: 0 };
      const table = new LeaseTable(ledger.lease(holder, 2).granted, true);
      const pool = new ModelPool(table.devices);
      pool.resize(2, pick);
      let partial = 0;
      for (let step = 0; step < 400; step++) {
        for (const index of pool.draining.keys()) if (pick() < 0.4) pool.draining.delete(index);
        if (pick() < 0.2) ledger.releaseAll(other.id);
        else ledger.lease(other, 1);
        const quiet = pool.draining.size === 0 && pick() < 0.5;
        if (table.wantsLiveReplicas(pool.state) && quiet) table.observe(pool.state, [...pool.running.keys()]);
        const want = Math.floor(pick() * 6);
        const plan = table.plan(want, pool.state);
        ledger.release(holder.id, plan.release);
        if (plan.release.length > 0 && pool.running.size > 0) partial++;
        const most = table.take(ledger.lease(holder, plan.need).granted, pool.state);
        const from = pool.running.size;
        const target = Math.min(want, most);
        pool.resize(target, pick);
        table.resized(from, target);
        const held = ledger.leases(holder.id).map((l) => l.devices[0]);
        const used = [...pool.running.values(), ...pool.draining.values()].map((d) => d[0]);
        assert.equal(new Set(used).size, used.length, `step ${step}: a device runs two runtimes`);
        for (const device of used) assert.ok(held.includes(device), `step ${step}: device ${device} is not leased`);
      }
      assert.ok(partial > 0, "some leases went back while runtimes still ran");
      const from = pool.running.size;
      pool.resize(0, pick);
      pool.draining.clear();
      table.resized(from, 0);
      ledger.release(holder.id, table.plan(0, pool.state).release);
      assert.deepEqual(ledger.leases(holder.id), [], "an idle API holds no GPU");
    });
  }
});
