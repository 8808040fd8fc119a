/**
 * @module
 * Cortex's queue-based replica autoscaler (cortex-async-spec §8.1), as a pure state machine: no
 * timers, no I/O, time passed in. Whoever drives it samples the API's in-flight requests (queued +
 * running: its consumer's pending + ack-pending) every {@link TICK_MS}, asks for a decision, and
 * makes the runtimes match it.
 *
 * Each tick, as Cortex's operator did:
 * 1. the average in-flight over `window` is divided by `target_replica_concurrency`: `raw`;
 * 2. the recommendation is `ceil(raw)`, or the current count when `raw` lies within the down- or
 *    upscale tolerance of it;
 * 3. one step is limited to `ceil(current × max_downscale_factor)` below and
 *    `ceil(current × max_upscale_factor)` above, though −1 and +1 are always allowed;
 * 4. it is clamped to [min_replicas, max_replicas];
 * 5. a downscale goes only as low as the highest recommendation of the last
 *    `downscale_stabilization_period`, an upscale only as high as the lowest of the last
 *    `upscale_stabilization_period`, and neither happens before that period has passed since the
 *    autoscaler started. With no sample yet, nothing changes.
 *
 * One difference, on purpose: an API scaled to zero wakes as soon as a request is waiting (one
 * replica at once), where Cortex waited for the window and the upscale period to notice it.
 */
import type { ResolvedApiSpec } from "../config/index.ts";

/** How often the in-flight count is sampled and a decision made (Cortex: every 10 s). */
export const TICK_MS = 10_000;

/** An API's `autoscaling` section, durations in milliseconds. */
export interface AutoscaleSettings {
  minReplicas: number;
  maxReplicas: number;
  targetReplicaConcurrency: number;
  windowMs: number;
  downscaleStabilizationMs: number;
  upscaleStabilizationMs: number;
  maxDownscaleFactor: number;
  maxUpscaleFactor: number;
  downscaleTolerance: number;
  upscaleTolerance: number;
}

/** An API's resolved `autoscaling` section as the autoscaler takes it. */
export function autoscaleSettings(autoscaling: ResolvedApiSpec["autoscaling"]): AutoscaleSettings {
  return {
    minReplicas: autoscaling.minReplicas,
    maxReplicas: autoscaling.maxReplicas,
    targetReplicaConcurrency: autoscaling.targetReplicaConcurrency,
    windowMs: autoscaling.windowSeconds * 1000,
    downscaleStabilizationMs: autoscaling.downscaleStabilizationPeriodSeconds * 1000,
    upscaleStabilizationMs: autoscaling.upscaleStabilizationPeriodSeconds * 1000,
    maxDownscaleFactor: autoscaling.maxDownscaleFactor,
    maxUpscaleFactor: autoscaling.maxUpscaleFactor,
    downscaleTolerance: autoscaling.downscaleTolerance,
    upscaleTolerance: autoscaling.upscaleTolerance,
  };
}

/** Why the request is what it is; the first rule that changed the count, or the outcome. */
export type AutoscaleReason =
  | "no samples yet"
  | "woken by a queued request"
  | "as recommended"
  | "within tolerance"
  | "limited by max_upscale_factor"
  | "limited by max_downscale_factor"
  | "clamped to min_replicas"
  | "clamped to max_replicas"
  | "upscale stabilization period"
  | "downscale stabilization period";

export interface AutoscaleDecision {
  /** The replicas to run now. */
  request: number;
  /** The recommendation before the stabilization periods (what is recorded for them). */
  recommendation: number;
  /** The average in-flight requests over the window, or null without samples. */
  averageInFlight: number | null;
  reason: AutoscaleReason;
}

/** The autoscaler of one API: feed it samples, ask it for decisions. */
export class Autoscaler {
  readonly #s: AutoscaleSettings;
  readonly #startedAt: number;
  #current: number;
  /** In-flight samples within the window: [time, count]. */
  #samples: Array<[number, number]> = [];
  /** Recommendations within the longer stabilization period: [time, replicas]. */
  #recommendations: Array<[number, number]> = [];

  /** `current`: the replicas running when it starts (`init_replicas`); `now`: its start, in ms. */
  constructor(settings: AutoscaleSettings, current: number, now: number) {
    this.#s = settings;
    this.#current = current;
    this.#startedAt = now;
  }

  /** The replicas last decided on. */
  get current(): number {
    return this.#current;
  }

  /** The replicas running are not what was decided (the change failed): decide from `replicas`. */
  correct(replicas: number): void {
    this.#current = replicas;
  }

  /** Records the in-flight requests (queued + running) seen at `now`. */
  sample(now: number, inFlight: number): void {
    this.#samples.push([now, Math.max(0, inFlight)]);
    this.#samples = this.#samples.filter(([t]) => t > now - this.#s.windowMs);
  }

  /** The decision at `now` (one per tick); the count it returns becomes the current one. */
  decide(now: number): AutoscaleDecision {
    const average = this.#average();
    if (average === null) return this.#result(this.#current, this.#current, null, "no samples yet");
    const latest = this.#samples.at(-1)![1];
    if (this.#current === 0 && latest > 0 && this.#s.maxReplicas > 0) {
      const woken = Math.max(1, this.#s.minReplicas);
      this.#record(now, woken);
      return this.#result(woken, woken, average, "woken by a queued request");
    }
    const { recommendation, reason } = this.#recommend(average);
    this.#record(now, recommendation);
    const stabilized = this.#stabilize(now, recommendation);
    if (stabilized !== null) return this.#result(stabilized.value, recommendation, average, stabilized.reason);
    return this.#result(recommendation, recommendation, average, reason);
  }

  #average(): number | null {
    if (this.#samples.length === 0) return null;
    return this.#samples.reduce((sum, [, n]) => sum + n, 0) / this.#samples.length;
  }

  /** Steps 1–4: tolerance, per-step factors, [min, max]. */
  #recommend(average: number): { recommendation: number; reason: AutoscaleReason } {
    const s = this.#s;
    const current = this.#current;
    const raw = average / s.targetReplicaConcurrency;
    let recommendation = Math.ceil(raw);
    let reason: AutoscaleReason = "as recommended";
    const withinDown = raw < current && raw > current * (1 - s.downscaleTolerance);
    const withinUp = raw > current && raw < current * (1 + s.upscaleTolerance);
    if (withinDown || withinUp) [recommendation, reason] = [current, "within tolerance"];
    const floor = Math.min(current - 1, Math.ceil(current * s.maxDownscaleFactor));
    if (recommendation < floor) [recommendation, reason] = [floor, "limited by max_downscale_factor"];
    const ceiling = Math.max(current + 1, Math.ceil(current * s.maxUpscaleFactor));
    if (recommendation > ceiling) [recommendation, reason] = [ceiling, "limited by max_upscale_factor"];
    if (recommendation < s.minReplicas) [recommendation, reason] = [s.minReplicas, "clamped to min_replicas"];
    if (recommendation > s.maxReplicas) [recommendation, reason] = [s.maxReplicas, "clamped to max_replicas"];
    return { recommendation, reason };
  }

  /** Step 5: the stabilization periods; null when they do not change the recommendation. */
  #stabilize(now: number, recommendation: number): { value: number; reason: AutoscaleReason } | null {
    const s = this.#s;
    const current = this.#current;
    const since = now - this.#startedAt;
    if (recommendation < current) {
      const reason = "downscale stabilization period";
      if (since < s.downscaleStabilizationMs) return { value: current, reason };
      const floor = this.#extreme(now, s.downscaleStabilizationMs, Math.max);
      if (floor !== null && recommendation < floor) return { value: floor, reason };
    }
    if (recommendation > current) {
      const reason = "upscale stabilization period";
      if (since < s.upscaleStabilizationMs) return { value: current, reason };
      const ceiling = this.#extreme(now, s.upscaleStabilizationMs, Math.min);
      if (ceiling !== null && recommendation > ceiling) return { value: ceiling, reason };
    }
    return null;
  }

  /** The max (or min) recommendation recorded within `periodMs` before `now`. */
  #extreme(now: number, periodMs: number, pick: (...values: number[]) => number): number | null {
    const within = this.#recommendations.filter(([t]) => t >= now - periodMs).map(([, n]) => n);
    return within.length === 0 ? null : pick(...within);
  }

  #record(now: number, recommendation: number): void {
    this.#recommendations.push([now, recommendation]);
    const keep = Math.max(this.#s.downscaleStabilizationMs, this.#s.upscaleStabilizationMs);
    this.#recommendations = this.#recommendations.filter(([t]) => t >= now - keep);
  }

  #result(
    request: number,
    recommendation: number,
    averageInFlight: number | null,
    reason: AutoscaleReason,
  ): AutoscaleDecision {
    this.#current = request;
    return { request, recommendation, averageInFlight, reason };
  }
}
