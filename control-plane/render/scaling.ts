/**
 * @module
 * How an API's worker pods scale: a KEDA ScaledObject on the API's JetStream consumer lag, with
 * Cortex's autoscaling settings mapped onto the HPA KEDA drives, and a PodDisruptionBudget.
 */
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IHPAScalingRules } from "kubernetes-models/autoscaling/v2";
import type { ResolvedApiSpec } from "../config/index.ts";
import { requestStream, WORKER_CONSUMER } from "../jobs/index.ts";
import { objectLabels, selectorLabels, workerName } from "./labels.ts";
import type { ResolvedRenderOptions } from "./options.ts";

/** How often KEDA reads the lag, as Cortex's autoscaler sampled its queue (seconds). */
const POLLING_INTERVAL_SECONDS = 10;
/** The period each HPA scaling policy's percentage applies to (seconds). */
const POLICY_PERIOD_SECONDS = 15;

/**
 * `max_upscale_factor` 1.5 → at most +50% per period; `max_downscale_factor` 0.75 → at most -25%.
 * A one-pod policy beside each, the larger change chosen, is Cortex's "one more or one fewer is
 * always allowed": the HPA rounds a percentage's limit towards the current count (from 2 pods,
 * -25% allows none).
 */
export function scalingBehavior(autoscaling: ResolvedApiSpec["autoscaling"]): {
  scaleUp: IHPAScalingRules;
  scaleDown: IHPAScalingRules;
} {
  const percent = (fraction: number): number => Math.max(1, Math.round(fraction * 100));
  const rules = (window: number, value: number, tolerance: number): IHPAScalingRules => ({
    stabilizationWindowSeconds: window,
    // Honoured where the HPAConfigurableTolerance gate is on (beta, Kubernetes 1.35+); else the cluster's 10%.
    tolerance: String(tolerance),
    selectPolicy: "Max",
    policies: [
      { type: "Percent", value, periodSeconds: POLICY_PERIOD_SECONDS },
      { type: "Pods", value: 1, periodSeconds: POLICY_PERIOD_SECONDS },
    ],
  });
  return {
    scaleUp: rules(
      autoscaling.upscaleStabilizationPeriodSeconds,
      percent(autoscaling.maxUpscaleFactor - 1),
      autoscaling.upscaleTolerance,
    ),
    scaleDown: rules(
      autoscaling.downscaleStabilizationPeriodSeconds,
      percent(1 - autoscaling.maxDownscaleFactor),
      autoscaling.downscaleTolerance,
    ),
  };
}

/** The `nats-jetstream` trigger: lag of the API's durable consumer, `target_replica_concurrency` per pod. */
export function natsTrigger(api: ResolvedApiSpec, options: ResolvedRenderOptions): Record<string, string> {
  return {
    natsServerMonitoringEndpoint: options.natsMonitoringEndpoint,
    account: options.natsAccount,
    stream: requestStream(api.name),
    consumer: WORKER_CONSUMER,
    lagThreshold: String(api.autoscaling.targetReplicaConcurrency),
    activationLagThreshold: "0",
  };
}

export function scaledObject(api: ResolvedApiSpec, options: ResolvedRenderOptions): ScaledObject {
  const { autoscaling } = api;
  return new ScaledObject({
    metadata: { name: workerName(api.name), labels: objectLabels("worker", api.name) },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: workerName(api.name) },
      minReplicaCount: autoscaling.minReplicas,
      maxReplicaCount: autoscaling.maxReplicas,
      pollingInterval: POLLING_INTERVAL_SECONDS,
      // Only scaling to zero waits this long after the last lag; other steps follow the behaviour.
      cooldownPeriod: autoscaling.downscaleStabilizationPeriodSeconds,
      advanced: { horizontalPodAutoscalerConfig: { behavior: scalingBehavior(autoscaling) } },
      triggers: [{ type: "nats-jetstream", metadata: natsTrigger(api, options) }],
    },
  });
}

/** At most one worker pod of an API evicted at a time (a drained pod finishes its request first). */
export function workerDisruptionBudget(api: ResolvedApiSpec): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: { name: workerName(api.name), labels: objectLabels("worker", api.name) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels("worker", api.name) } },
  });
}
