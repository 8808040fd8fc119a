/**
 * @module
 * A project's deploy Job: `glia deploy --provision` in the project's own image, which creates its
 * APIs' queues and writes them to the registry, the gateways' routing table. It runs once per
 * version of the project: the Job's name carries a hash of what it deploys, so a changed project
 * gets a new Job (a Job's pod template cannot be changed) and an unchanged one is left alone.
 */
import { createHash } from "node:crypto";
import { Job } from "kubernetes-models/batch/v1";
import type { LoadedProject } from "../config/index.ts";
import { identityMount } from "./identities.ts";
import { objectLabels, selectorLabels } from "./labels.ts";
import type { ResolvedRenderOptions } from "./options.ts";
import { containerSecurityContext, podSecurityContext } from "./pod.ts";
import { defaultImageName, projectImage } from "./worker.ts";

/** How long a finished Job stays for its logs to be read (a day); applying again after that re-runs it harmlessly. */
const KEEP_FINISHED_SECONDS = 24 * 3600;

/** The `glia deploy` command line (after the image's `glia` entry point). */
export function deployArgs(options: ResolvedRenderOptions): string[] {
  return [
    "deploy",
    options.layout.projectDir,
    "--provision",
    "--nats-url",
    options.natsUrl,
    "--replicas",
    String(options.natsReplicas),
  ];
}

/** `glia-deploy-<project>-<8 hex>`: at most 63 characters, as a Job's pods' `job-name` label must be. */
export function deployJobName(project: LoadedProject, options: ResolvedRenderOptions): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([projectImage(project, options), deployArgs(options), project.apis]))
    .digest("hex")
    .slice(0, 8);
  const base = `glia-deploy-${defaultImageName(project).replace(/^glia-/, "")}`.slice(0, 63 - 9).replace(/[-.]+$/, "");
  return `${base}-${hash}`;
}

export function deployJob(project: LoadedProject, options: ResolvedRenderOptions): Job {
  const identity = identityMount({ kind: "platform" });
  return new Job({
    metadata: { name: deployJobName(project, options), labels: objectLabels("deploy") },
    spec: {
      backoffLimit: 10,
      ttlSecondsAfterFinished: KEEP_FINISHED_SECONDS,
      template: {
        metadata: { labels: selectorLabels("deploy") },
        spec: {
          restartPolicy: "OnFailure", // e.g. while NATS is still starting
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(options.layout.user),
          containers: [
            {
              name: "deploy",
              image: projectImage(project, options),
              args: deployArgs(options),
              env: identity.env,
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
              securityContext: { ...containerSecurityContext(), readOnlyRootFilesystem: true },
              volumeMounts: [identity.mount, { name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [identity.volume, { name: "tmp", emptyDir: {} }],
        },
      },
    },
  });
}
