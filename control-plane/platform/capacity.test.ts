import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CapacityLedger, cpuMillis, formatCpus, gpuMode, type LeaseHolder } from "./capacity.ts";

const holder = (id: string, api: string, gpu: number, cpu: string | null = null): LeaseHolder => ({
  id,
  api,
  gpu,
  cpuMillis: cpuMillis(cpu),
});
const devices = (answer: { granted: Array<{ devices: string[] }> }): string[][] => answer.granted.map((l) => l.devices);

describe("leasing the machine's GPUs", () => {
  it("grants what is free now, each runtime devices of its own, and says who holds the rest", () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1", "2", "3"], cpuMillis: 64_000 });
    const a = holder("a#1", "api-a", 1);
    const b = holder("b#1", "api-b", 1);
    assert.deepEqual(devices(ledger.lease(a, 2)), [["0"], ["1"]]);
    const answer = ledger.lease(b, 3);
    assert.deepEqual(devices(answer), [["2"], ["3"]]);
    assert.equal(answer.held, "2 of 4 GPUs are leased to other APIs (api-a: 2), 2 to api-b");
    assert.deepEqual(ledger.lease(holder("c#1", "api-c", 1), 1), {
      granted: [],
      held: "4 of 4 GPUs are leased to other APIs (api-a: 2, api-b: 2)",
    });
  });

  it("never grants one device twice, across holders or within one", () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1", "2", "3", "4"], cpuMillis: 64_000 });
    const seen = [
      ...devices(ledger.lease(holder("a#1", "a", 2), 5)),
      ...devices(ledger.lease(holder("b#1", "b", 1), 5)),
    ].flat();
    assert.deepEqual(seen.sort(), ["0", "1", "2", "3", "4"]);
    assert.equal(new Set(seen).size, seen.length);
  });

  it("takes released devices again, and ignores a release of another's or an unknown lease", () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1"], cpuMillis: 64_000 });
    const a = holder("a#1", "a", 1);
    const b = holder("b#1", "b", 1);
    const [first, second] = ledger.lease(a, 2).granted;
    ledger.release("b#1", [first!.id, "L999"]);
    assert.deepEqual(ledger.lease(b, 1).granted, [], "b cannot release a's lease");
    ledger.release("a#1", [second!.id]);
    assert.deepEqual(devices(ledger.lease(b, 1)), [["1"]]);
    assert.deepEqual(ledger.leases("a#1"), [first]);
  });

  it("gives back every lease of a worker whose process is gone", () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1"], cpuMillis: 2_000 });
    ledger.lease(holder("a#1", "a", 1, "500m"), 2);
    assert.equal(ledger.lease(holder("b#1", "b", 1), 1).granted.length, 0);
    ledger.releaseAll("a#1");
    assert.deepEqual(ledger.leases("a#1"), []);
    assert.deepEqual(devices(ledger.lease(holder("b#1", "b", 1, "1"), 2)), [["0"], ["1"]], "its GPUs and CPU are free");
  });

  it("says how many runtimes the GPUs hold when the API itself holds them all", () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1", "2"], cpuMillis: 64_000 });
    const answer = ledger.lease(holder("a#1", "a", 2), 2);
    assert.deepEqual(devices(answer), [["0", "1"]]);
    assert.equal(answer.held, "this machine's 3 GPUs hold 1 runtime(s) of compute.gpu 2");
  });

  it("lets a new version of an API take its old version's devices once no others are free", () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1", "2"], cpuMillis: 64_000 });
    ledger.lease(holder("a#1", "a", 1), 2);
    assert.deepEqual(devices(ledger.lease(holder("a#2", "a", 1), 3)), [["2"], ["0"], ["1"]]);
    assert.equal(ledger.lease(holder("b#1", "b", 1), 1).granted.length, 0, "never another API's");
  });

  it("gives a runtime that asks for more GPUs than the machine has all of them, shared within its API", () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1"], cpuMillis: 64_000 });
    assert.deepEqual(devices(ledger.lease(holder("a#1", "a", 3), 2)), [
      ["0", "1"],
      ["0", "1"],
    ]);
    assert.match(ledger.lease(holder("b#1", "b", 1), 1).held!, /^2 of 2 GPUs are leased to other APIs \(a: 2\)/);
    ledger.releaseAll("a#1");
    ledger.lease(holder("b#1", "b", 1), 1);
    assert.equal(
      ledger.lease(holder("a#1", "a", 3), 1).held,
      "each runtime takes all 2 GPUs (compute.gpu 3 is more than this machine has), and 1 of them is leased to other APIs (b: 1)",
    );
  });

  it("grants runtimes without GPUs no device, also an API that asks for GPUs on a machine without any", () => {
    const ledger = new CapacityLedger({ gpus: [], cpuMillis: 64_000 });
    assert.deepEqual(devices(ledger.lease(holder("a#1", "a", 0), 2)), [[], []]);
    assert.deepEqual(devices(ledger.lease(holder("g#1", "g", 1), 1)), [[]]);
    assert.deepEqual(
      ["none", "missing", "own", "shared"],
      [gpuMode(0, ["0"]), gpuMode(1, []), gpuMode(2, ["0", "1"]), gpuMode(3, ["0", "1"])],
    );
  });
});

describe("leasing the machine's CPU", () => {
  it("counts compute.cpu in whole millicores, rounded up", () => {
    assert.deepEqual(["200m", "0.1", "1.5", "2", "1001u", null].map(cpuMillis), [200, 100, 1500, 2000, 2, 0]);
    assert.deepEqual([1500, 200, 2000, 1, 1050].map(formatCpus), ["1.5", "0.2", "2", "0.001", "1.05"]);
  });

  it("adds fractions exactly: ten runtimes of 0.1 fill one CPU, and the eleventh is held", () => {
    const ledger = new CapacityLedger({ gpus: [], cpuMillis: 1_000 });
    const answer = ledger.lease(holder("a#1", "a", 0, "0.1"), 11);
    assert.equal(answer.granted.length, 10);
    assert.equal(answer.held, "this machine's 1 CPU is all leased (a: 1)");
  });

  it("says who holds the CPUs when a runtime does not fit", () => {
    const ledger = new CapacityLedger({ gpus: [], cpuMillis: 2_000 });
    ledger.lease(holder("a#1", "api-a", 0, "1.5"), 1);
    ledger.lease(holder("b#1", "api-b", 0, "0.5"), 1);
    const c = holder("c#1", "api-c", 0, "250m");
    assert.equal(ledger.lease(c, 1).granted.length, 1, "a worker's first runtime always runs");
    assert.equal(ledger.lease(c, 1).held, "this machine's 2 CPUs are all leased (api-a: 1.5, api-b: 0.5, api-c: 0.25)");
    ledger.releaseAll("b#1");
    assert.deepEqual(ledger.lease(holder("a#1", "api-a", 0, "1.5"), 1), {
      granted: [],
      held: "0.25 of this machine's 2 CPUs are free and each runtime needs 1.5 (leased: api-a: 1.5, api-c: 0.25)",
    });
  });

  it("holds a GPU runtime back for want of CPU as for want of a GPU", () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1"], cpuMillis: 1_000 });
    const answer = ledger.lease(holder("a#1", "a", 1, "1"), 2);
    assert.deepEqual(devices(answer), [["0"]]);
    assert.equal(answer.held, "this machine's 1 CPU is all leased (a: 1)");
  });

  it("does not count an API without compute.cpu", () => {
    const ledger = new CapacityLedger({ gpus: [], cpuMillis: 1_000 });
    assert.equal(ledger.lease(holder("a#1", "a", 0), 50).granted.length, 50);
  });
});
