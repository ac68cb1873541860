/**
 * A CapacityBuffer's virtual pods, as upstream core v1.15 builds them (pkg/state/virtualpods): one placeholder per
 * chunk from the resolved template, with its labels (so spreads and affinities count it), without volumes that
 * would need a claim of their own, at the lowest priority, marked with upstream's annotations. They exist only in
 * memory: the provisioner plans them after real pods (the headroom is what real pods leave), consolidation keeps
 * room for them, and nothing is written, evented or counted for them. Also what a round did with them, for the
 * buffer's Provisioning condition. Pure.
 */
import {
  CapacityBufferAnnotations as BufferAnnotations,
  CapacityBufferConditions as Conditions,
  CapacityBufferReasons as Reasons,
  VIRTUAL_POD_PRIORITY,
  type CapacityBufferStatus,
} from '../../../sdk/api/capacitybuffer';
import { setCondition } from '../../kube/conditions';
import { nameOf, type CapacityBuffer, type Pod, type PodSpec, type PodTemplate } from '../../kube/objects';
import { isVirtualPod } from '../../scheduling/pod-order';
import type { SchedulingResult } from '../../scheduling/scheduler';
import { namespaceOf } from './buffers';

export { isVirtualPod };

/** "namespace/name" of the buffer a virtual pod stands for; undefined for any other pod. */
export function bufferKeyOf(pod: Pod): string | undefined {
  if (!isVirtualPod(pod)) return undefined;
  const ns = pod.metadata.annotations?.[BufferAnnotations.bufferNamespace];
  const name = pod.metadata.annotations?.[BufferAnnotations.bufferName];
  return ns && name ? `${ns}/${name}` : undefined;
}

export function bufferKey(buffer: CapacityBuffer): string {
  return `${namespaceOf(buffer)}/${nameOf(buffer)}`;
}

/** The template's spec without a node name and without volumes a placeholder could never have (claims). */
function sanitized(spec: PodSpec): PodSpec {
  const dropped = new Set(
    (spec.volumes ?? []).filter((v) => v.persistentVolumeClaim || v.ephemeral).map((v) => v.name),
  );
  const out: PodSpec = { ...spec, priority: VIRTUAL_POD_PRIORITY };
  delete out.nodeName;
  if (dropped.size === 0) return out;
  const keepMounts = <C extends { volumeMounts?: { name: string }[] }>(c: C): C =>
    c.volumeMounts ? { ...c, volumeMounts: c.volumeMounts.filter((m) => !dropped.has(m.name)) } : c;
  return {
    ...out,
    volumes: (spec.volumes ?? []).filter((v) => !dropped.has(v.name)),
    containers: spec.containers.map(keepMounts),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(keepMounts) } : {}),
  };
}

/** `replicas` placeholders of the template, named and identified deterministically per buffer and index. */
export function buildVirtualPods(buffer: CapacityBuffer, template: PodTemplate, replicas: number): Pod[] {
  const spec = sanitized(template.spec);
  const ns = namespaceOf(buffer);
  const name = nameOf(buffer);
  const out: Pod[] = [];
  for (let i = 1; i <= replicas; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `capacity-buffer-${name}-${i}`,
        namespace: ns,
        uid: `${buffer.metadata.uid ?? `${ns}/${name}`}-${i}`,
        labels: { ...template.metadata?.labels },
        annotations: {
          [BufferAnnotations.fakePod]: 'true',
          [BufferAnnotations.bufferName]: name,
          [BufferAnnotations.bufferNamespace]: ns,
        },
      },
      // Shared, read-only: the scheduler never writes a pod's spec.
      spec,
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
      },
    });
  }
  return out;
}

/** Where one buffer's virtual pods went in a round. */
export interface BufferPlacement {
  /** On nodes that exist or are launching. */
  existing: number;
  /** On NodeClaims the round plans. */
  newCapacity: number;
  /** Nowhere (limits, requirements no NodePool meets), with the first reason. */
  failed: number;
  firstFailure?: string;
}

/** Each buffer's virtual pods in a scheduling result, by buffer key. */
export function placements(result: SchedulingResult): Map<string, BufferPlacement> {
  const out = new Map<string, BufferPlacement>();
  const entry = (pod: Pod) => {
    const key = bufferKeyOf(pod);
    if (key === undefined) return undefined;
    let e = out.get(key);
    if (!e) out.set(key, (e = { existing: 0, newCapacity: 0, failed: 0 }));
    return e;
  };
  for (const pods of result.existing.values())
    for (const pod of pods) {
      const e = entry(pod);
      if (e) e.existing++;
    }
  for (const claim of result.newNodeClaims)
    for (const pod of claim.pods) {
      const e = entry(pod);
      if (e) e.newCapacity++;
    }
  for (const { pod, reasons } of result.unschedulable.values()) {
    const e = entry(pod);
    if (!e) continue;
    e.failed++;
    e.firstFailure ??= reasons[0];
  }
  return out;
}

/** Per node, how many virtual pods a plan put there (the nodes that hold a buffer's headroom). */
export function virtualPodsByNode(result: SchedulingResult): Map<string, number> {
  const out = new Map<string, number>();
  for (const [node, pods] of result.existing) {
    const n = pods.filter(isVirtualPod).length;
    if (n > 0) out.set(node, n);
  }
  return out;
}

/**
 * The buffer's conditions with Provisioning as upstream's provisioner sets it: False NotReadyForProvisioning or
 * BufferEmpty; False RequiresNewCapacity while some chunks need new nodes or fit nowhere; True
 * FitsExistingCapacity once every chunk fits on capacity that exists. Undefined leaves it as it is (no round has
 * placed the buffer yet, or only part of it).
 */
export function provisioningConditions(
  status: CapacityBufferStatus,
  placement: BufferPlacement | undefined,
  now: number,
): CapacityBufferStatus['conditions'] | undefined {
  const set = (value: 'True' | 'False', reason: string, message: string) =>
    setCondition(status.conditions, Conditions.provisioning, value, now, reason, message);
  const ready = status.conditions?.some(
    (c) => c.type === Conditions.readyForProvisioning && c.status === 'True',
  );
  if (!ready) return set('False', Reasons.notReadyForProvisioning, 'Buffer is not ReadyForProvisioning');
  const desired = status.replicas ?? 0;
  if (desired === 0) return set('False', Reasons.bufferEmpty, 'Buffer has zero desired replicas');
  if (!placement) return undefined;
  if (placement.newCapacity > 0 || placement.failed > 0) {
    const why = placement.firstFailure ? ` (${placement.firstFailure})` : '';
    return set(
      'False',
      Reasons.requiresNewCapacity,
      `${placement.newCapacity}/${desired} virtual pods required new capacity, ${placement.failed} failed${why}`,
    );
  }
  if (placement.existing === desired)
    return set('True', Reasons.fitsExistingCapacity, `All ${desired} virtual pods fit on existing capacity`);
  return undefined;
}
