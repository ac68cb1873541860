/**
 * What a CapacityBuffer asks for, decided as upstream core v1.15's capacitybuffer controller does: the chunk's pod
 * template (a PodTemplate, or a Deployment's, StatefulSet's or ReplicaSet's), how many chunks (replicas and
 * percentage combined by the larger, limits as an upper bound or, alone, as many as fit), and the status that says
 * so (ReadyForProvisioning, replicas, podTemplateRef/Generation, provisioningStrategy). Pure: the controller
 * passes the objects in.
 */
import {
  ACTIVE_PROVISIONING_STRATEGY,
  CapacityBufferConditions as Conditions,
  CapacityBufferReasons as Reasons,
  SCALABLE_REF_KINDS,
  type CapacityBufferStatus,
} from '../../../sdk/api/capacitybuffer';
import { setCondition } from '../../kube/conditions';
import type { CapacityBuffer, PodTemplate, PodTemplateObject } from '../../kube/objects';
import { fromResourceList, podRequests } from '../../scheduling/resources';

/** A workload a scalableRef names, as far as a buffer reads it. */
export interface Scalable {
  template: PodTemplate;
  /** spec.replicas, 1 when unset (as the workload controllers default it). */
  replicas: number;
}

/** Where the controller finds what buffers refer to (its informer caches), in the buffer's namespace. */
export interface BufferLookups {
  podTemplate(name: string, namespace: string): PodTemplateObject | undefined;
  scalable(kind: (typeof SCALABLE_REF_KINDS)[number], name: string, namespace: string): Scalable | undefined;
}

export type Resolution =
  | {
      ok: true;
      template: PodTemplate;
      /** Set for a podTemplateRef buffer. */
      podTemplate?: { name: string; generation?: number };
      /** Set for a scalableRef buffer: the base of `percentage`. */
      scalableReplicas?: number;
    }
  | { ok: false; reason: string; message: string };

export function namespaceOf(buffer: CapacityBuffer): string {
  return buffer.metadata.namespace ?? 'default';
}

/** The buffer's chunk shape, or why it has none (upstream's ReadyForProvisioning=False reasons). */
export function resolveBuffer(buffer: CapacityBuffer, lookups: BufferLookups): Resolution {
  const ns = namespaceOf(buffer);
  const { podTemplateRef, scalableRef } = buffer.spec;
  if (podTemplateRef) {
    const pt = lookups.podTemplate(podTemplateRef.name, ns);
    if (!pt)
      return {
        ok: false,
        reason: Reasons.podTemplateNotFound,
        message: `PodTemplate "${podTemplateRef.name}" not found in namespace "${ns}": create it, or point podTemplateRef at an existing one`,
      };
    const generation = pt.metadata.generation;
    return {
      ok: true,
      template: pt.template,
      podTemplate: { name: podTemplateRef.name, ...(generation !== undefined ? { generation } : {}) },
    };
  }
  if (scalableRef) {
    const group = scalableRef.apiGroup || 'apps';
    const kind = SCALABLE_REF_KINDS.find((k) => k === scalableRef.kind);
    if (group !== 'apps' || !kind)
      return {
        ok: false,
        reason: Reasons.resolutionFailed,
        message: `unsupported scalableRef ${scalableRef.apiGroup ? `${scalableRef.apiGroup}/` : ''}${scalableRef.kind}: name a Deployment, StatefulSet or ReplicaSet (apiGroup "apps" or empty)`,
      };
    const workload = lookups.scalable(kind, scalableRef.name, ns);
    if (!workload)
      return {
        ok: false,
        reason: Reasons.scalableRefNotFound,
        message: `${kind} "${scalableRef.name}" not found in namespace "${ns}": create it, or point scalableRef at an existing one`,
      };
    return { ok: true, template: workload.template, scalableReplicas: workload.replicas };
  }
  return {
    ok: false,
    reason: Reasons.resolutionFailed,
    message:
      'Neither podTemplateRef nor scalableRef is set: set one of them to give the buffer its pod shape',
  };
}

/** ceil(replicas × percentage / 100), at least 1 when both are positive (upstream's calculatePercentageReplicas). */
export function percentageReplicas(scalableReplicas: number, percentage: number): number {
  const n = Math.ceil((scalableReplicas * percentage) / 100);
  return n < 1 && percentage > 0 && scalableReplicas > 0 ? 1 : n;
}

/**
 * How many chunks fit in `limits`: per resource both name (and the chunk requests), floor(limit / request), the
 * least of them; undefined when no limit names a resource the chunk requests (the limits constrain nothing).
 */
export function limitReplicas(
  limits: Record<string, string | number>,
  template: PodTemplate,
): number | undefined {
  const requests = podRequests({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: template.spec });
  delete requests.pods;
  let least: number | undefined;
  for (const [name, limit] of Object.entries(fromResourceList(limits))) {
    const request = requests[name];
    if (!request) continue;
    const n = Math.floor(limit / request);
    least = least === undefined ? n : Math.min(least, n);
  }
  return least;
}

/**
 * The chunks to keep room for, as upstream: the larger of replicas and percentage (0 when neither applies), at
 * most what limits allow; with neither set, as many as limits allow.
 */
export function bufferReplicas(
  buffer: CapacityBuffer,
  resolution: Extract<Resolution, { ok: true }>,
): number {
  const { replicas, percentage, limits } = buffer.spec;
  const sizes: number[] = [];
  if (percentage !== undefined && (resolution.scalableReplicas ?? 0) > 0)
    sizes.push(percentageReplicas(resolution.scalableReplicas as number, percentage));
  if (replicas !== undefined) sizes.push(replicas);
  const desired = sizes.length > 0 ? Math.max(...sizes) : 0;
  const fit = limits ? limitReplicas(limits, resolution.template) : undefined;
  if (fit === undefined) return desired;
  return sizes.length > 0 ? Math.min(desired, fit) : fit;
}

/** The buffer's status after resolution, its Provisioning condition left as it was (the provisioner's part). */
export function resolvedStatus(
  buffer: CapacityBuffer,
  resolution: Resolution,
  now: number,
): CapacityBufferStatus {
  const prior = buffer.status ?? {};
  const strategy = buffer.spec.provisioningStrategy ?? ACTIVE_PROVISIONING_STRATEGY;
  if (!resolution.ok) {
    // Upstream keeps the last replicas and template reference when resolution fails.
    return withGeneration(buffer, {
      ...prior,
      provisioningStrategy: strategy,
      conditions: setCondition(
        prior.conditions,
        Conditions.readyForProvisioning,
        'False',
        now,
        resolution.reason,
        resolution.message,
      ),
    });
  }
  // The template reference is the resolution's: dropped when the buffer moved to a scalableRef.
  const rest = { ...prior };
  delete rest.podTemplateRef;
  delete rest.podTemplateGeneration;
  return withGeneration(buffer, {
    ...rest,
    ...(resolution.podTemplate
      ? {
          podTemplateRef: { name: resolution.podTemplate.name },
          ...(resolution.podTemplate.generation !== undefined
            ? { podTemplateGeneration: resolution.podTemplate.generation }
            : {}),
        }
      : {}),
    replicas: bufferReplicas(buffer, resolution),
    provisioningStrategy: strategy,
    conditions: setCondition(
      prior.conditions,
      Conditions.readyForProvisioning,
      'True',
      now,
      Reasons.resolved,
      'Pod template resolved successfully',
    ),
  });
}

/** Stamp the buffer's generation on the conditions this controller sets, as upstream's SetCondition does. */
function withGeneration(buffer: CapacityBuffer, status: CapacityBufferStatus): CapacityBufferStatus {
  const generation = buffer.metadata.generation;
  if (generation === undefined || !status.conditions) return status;
  return { ...status, conditions: status.conditions.map((c) => ({ ...c, observedGeneration: generation })) };
}

/** ReadyForProvisioning is True and the buffer wants at least one chunk: its virtual pods are planned for. */
export function isReadyForProvisioning(status: CapacityBufferStatus | undefined): boolean {
  const ready = status?.conditions?.some(
    (c) => c.type === Conditions.readyForProvisioning && c.status === 'True',
  );
  return ready === true && (status?.replicas ?? 0) > 0;
}
