/**
 * A node that exists or is launching, as one round fills it: what its pods request so far, its host ports and
 * volume attachments. canAdd says whether one more pod fits (resources, requirements, taints, host ports, volume
 * limits, topology) or why not; add records the pod there.
 */
import { Labels } from '../../sdk/api/well-known';
import { hostPortConflict, hostPorts, usedHostPorts } from './host-ports';
import type { SchedulableNode } from './plan';
import type { PodConstraints } from './pod-constraints';
import { podFitsNode } from './predicates';
import { add as addResources, fitsWith, type Resources } from './resources';
import { formatTaint, untoleratedTaint } from './taints';
import type { Place, Topology } from './topology';
import {
  useVolumes,
  volumeLimitExceeded,
  type NodeVolumeLimits,
  type VolumeLimits,
  type VolumesByDriver,
} from './volume-limits';

export interface NodeSlot {
  node: SchedulableNode;
  requested: Resources;
  /** Host ports in use, read from its pods only when a pod with host ports looks at the node. */
  hostPorts?: Set<string>;
  /** The node's attach limits and the volumes in use, counting pods placed this round; absent: unlimited. */
  volumes?: NodeVolumeLimits;
}

/** canAdd's yes: where the pod goes in topology terms, and the volumes it attaches. */
export interface NodeFit {
  place: Place;
  volumes: VolumesByDriver | undefined;
}

/** The round's view of the input nodes, each with its own copy of what is requested and attached. */
export function nodeSlots(nodes: SchedulableNode[], volumeLimits: VolumeLimits | undefined): NodeSlot[] {
  return nodes.map((node) => {
    const limits = volumeLimits?.nodes.get(node.name);
    return {
      node,
      requested: { ...node.requested },
      ...(limits ? { volumes: { limits: limits.limits, inUse: cloneVolumes(limits.inUse) } } : {}),
    };
  });
}

/**
 * Whether the pod fits the node now: a fit, a reason worth telling the user, or undefined for a plain no (no
 * room, requirements or a NoSchedule taint: the caller's summary says those).
 */
export function canAdd(
  slot: NodeSlot,
  level: PodConstraints,
  req: Resources,
  topology: Topology,
  volumeLimits: VolumeLimits | undefined,
): NodeFit | string | undefined {
  // Room first: it rejects most nodes without allocating, and podFitsNode would refuse them all the same.
  if (!fitsWith(slot.requested, req, slot.node.allocatable)) return undefined;
  if (podFitsNode(level.pod, req, { ...slot.node, requested: slot.requested }, level.alternatives))
    return undefined;
  const avoided = untoleratedTaint(level.tolerations, slot.node.taints, { preferNoSchedule: true });
  if (avoided) return `node ${slot.node.name}: taint ${formatTaint(avoided)} is avoided`;
  if (hostPorts(level.pod).length) slot.hostPorts ??= usedHostPorts(slot.node.pods ?? []);
  const port = slot.hostPorts && hostPortConflict(level.pod, slot.hostPorts);
  if (port) return `node ${slot.node.name}: host port ${port} is in use`;
  const volumes = slot.volumes && volumeLimits?.podVolumes(level.pod);
  const full = volumes && slot.volumes && volumeLimitExceeded(volumes, slot.volumes);
  if (full) return `node ${slot.node.name}: ${full}`;
  const place = nodePlace(slot.node);
  const verdict = topology.evaluate(level, place);
  if ('reason' in verdict) return `node ${slot.node.name}: ${verdict.reason}`;
  return { place, volumes };
}

/** Put the pod on the node as canAdd found it would fit. */
export function add(
  slot: NodeSlot,
  level: PodConstraints,
  req: Resources,
  fit: NodeFit,
  topology: Topology,
): void {
  slot.requested = addResources(slot.requested, req);
  for (const port of hostPorts(level.pod)) slot.hostPorts?.add(port);
  if (fit.volumes && slot.volumes) useVolumes(slot.volumes.inUse, fit.volumes);
  topology.record(level.pod, fit.place);
}

/** The node as a topology domain: its hostname and labels. */
export function nodePlace(node: SchedulableNode): Place {
  return { kind: 'node', hostname: node.labels[Labels.hostname] ?? node.name, labels: node.labels };
}

function cloneVolumes(volumes: VolumesByDriver): VolumesByDriver {
  return new Map([...volumes].map(([driver, ids]) => [driver, new Set(ids)]));
}
