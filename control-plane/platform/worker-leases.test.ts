import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../observability/index.ts";
import { CapacityLedger } from "./capacity.ts";
import { leaseChannel, type LeaseRequest } from "./lease-protocol.ts";
import { leaseBroker, type LeasedSpec, type LeaseSession } from "./worker-leases.ts";

const spec = (name: string, gpu: number, initReplicas: number, maxReplicas = 4): LeasedSpec => ({
  name,
  compute: { gpu, cpu: "200m" },
  autoscaling: { initReplicas, maxReplicas },
});

/** A worker's channel wired to its session in this process, as the IPC channel wires them across two. */
function wired(session: LeaseSession, deliver: (send: () => void) => void = (send) => send()) {
  const sent: LeaseRequest[] = [];
  let listener: (message: unknown) => void = () => {};
  const channel = leaseChannel(
    {
      send: (message) => {
        sent.push(message);
        const reply = session.answer(message);
        if (reply) deliver(() => listener(reply));
      },
      onMessage: (l) => (listener = l),
    },
    50,
  );
  return { channel, sent };
}

describe("a worker process's leases", () => {
  it("starts with up to init_replicas, asks for more, and gives them back by id", async () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1", "2"], cpuMillis: 8_000 });
    const session = leaseBroker(ledger, spec("a", 1, 2), silentLogger()).open();
    assert.deepEqual(session.plan, {
      initial: [
        { id: "L1", devices: ["0"] },
        { id: "L2", devices: ["1"] },
      ],
      exclusive: true,
    });
    const { channel } = wired(session);
    assert.deepEqual(await channel.lease(2), {
      granted: [{ id: "L3", devices: ["2"] }],
      held: "this machine's 3 GPUs hold 3 runtime(s) of compute.gpu 1",
    });
    channel.release(["L1"]);
    assert.deepEqual(
      session.leases().map((l) => l.id),
      ["L2", "L3"],
    );
  });

  it("starts with what is free, and says why when that is fewer than init_replicas", () => {
    const ledger = new CapacityLedger({ gpus: ["0"], cpuMillis: 8_000 });
    leaseBroker(ledger, spec("a", 1, 1), silentLogger()).open();
    const session = leaseBroker(ledger, spec("b", 1, 2), silentLogger()).open();
    assert.deepEqual(session.plan.initial, []);
    assert.equal(session.held, "1 of 1 GPU is leased to other APIs (a: 1)");
  });

  it("gives back everything once its process is gone, and grants nothing after", async () => {
    const ledger = new CapacityLedger({ gpus: ["0", "1"], cpuMillis: 8_000 });
    const session = leaseBroker(ledger, spec("a", 1, 2), silentLogger()).open();
    const { channel } = wired(session);
    session.close();
    assert.deepEqual(ledger.leases("a#1"), []);
    assert.deepEqual(await channel.lease(1), { granted: [], held: "the worker process has exited" });
    assert.equal(leaseBroker(ledger, spec("b", 1, 2), silentLogger()).open().plan.initial.length, 2);
  });

  it("refuses a malformed message, answering a request it can name with nothing", () => {
    const ledger = new CapacityLedger({ gpus: ["0"], cpuMillis: 8_000 });
    const session = leaseBroker(ledger, spec("a", 1, 0), silentLogger()).open();
    assert.deepEqual(session.answer({ type: "lease", id: 7, want: -1 }), {
      type: "leased",
      id: 7,
      granted: [],
      held: "the request was refused",
    });
    assert.equal(session.answer({ type: "lease", want: 1 }), null);
    assert.equal(session.answer({ type: "release", leases: ["L1", { id: 1 }] }), null);
    assert.equal(session.answer({ type: "release", leases: "L1" }), null);
    assert.equal(session.answer({ type: "scale", scale: {} }), null, "not about leases: left to others");
    assert.deepEqual(ledger.leases("a#1"), []);
  });

  it("holds at most twice max_replicas, whatever the worker asks for", async () => {
    const ledger = new CapacityLedger({ gpus: [], cpuMillis: 64_000 });
    const session = leaseBroker(ledger, spec("a", 0, 1, 3), silentLogger()).open();
    const { channel } = wired(session);
    const answer = await channel.lease(100);
    assert.equal(answer.granted.length, 5);
    assert.equal(answer.held, "a worker holds at most 6 leases (twice max_replicas)");
  });

  it("goes on without an answer that does not come in time, and gives back what a late one grants", async () => {
    const ledger = new CapacityLedger({ gpus: ["0"], cpuMillis: 8_000 });
    const session = leaseBroker(ledger, spec("a", 1, 0), silentLogger()).open();
    const late: Array<() => void> = [];
    const { channel, sent } = wired(session, (send) => late.push(send));
    assert.deepEqual(await channel.lease(1), {
      granted: [],
      held: "the platform did not answer a request for runtimes within 50 ms",
    });
    assert.equal(ledger.leases("a#1").length, 1, "granted by the platform, answer still on its way");
    late.forEach((send) => send());
    assert.deepEqual(sent.at(-1), { type: "release", leases: ["L1"] });
    assert.deepEqual(ledger.leases("a#1"), []);
  });
});
