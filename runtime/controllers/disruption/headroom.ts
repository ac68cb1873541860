/**
 * CapacityBuffer headroom in disruption decisions. The buffers' virtual pods that fit on the cluster as it is are
 * placed the way a provisioning round places them (after every real pod, on nodes that are up); those pods are
 * then planned again in every simulation of nodes going, so a consolidation must leave room for them (on the
 * nodes that stay or its one replacement), and a node that holds some of them and no pod of its own is not
 * Empty, as upstream's emptiness check refuses nodes with buffer pods. Drift may still replace such a node: its
 * replacement is planned to hold them. Virtual pods that fit nowhere now are the provisioner's to buy, not a
 * reason to keep anything. Pure.
 */
import type { Pod } from '../../kube/objects';
import { schedule, type SchedulableNode } from '../../scheduling/scheduler';
import { bufferKeyOf } from '../capacity-buffer/virtual-pods';

export interface Headroom {
  /** The virtual pods the cluster holds room for now. */
  pods: Pod[];
  /** Where that room is, by node name. */
  byNode: Map<string, Pod[]>;
}

/** Where the cluster's nodes (those up) hold room for the buffers' virtual pods. */
export function headroomOn(virtualPods: Pod[], nodes: SchedulableNode[]): Headroom {
  const byNode = new Map<string, Pod[]>();
  if (virtualPods.length === 0) return { pods: [], byNode };
  const placed = schedule({ pods: virtualPods, nodes, nodePools: [], repack: false });
  for (const [node, pods] of placed.existing) if (pods.length > 0) byNode.set(node, pods);
  return { pods: [...byNode.values()].flat(), byNode };
}

/** Why a node holding only headroom stays: which buffers' room it is. */
export function headroomReason(pods: Pod[]): string {
  const buffers = [...new Set(pods.map((p) => bufferKeyOf(p) ?? '?'))].sort();
  const names = buffers.map((b) => `CapacityBuffer ${b}`).join(', ');
  return `it holds the spare capacity of ${names} (${pods.length} pod${pods.length === 1 ? '' : 's'}), which removing it would take away`;
}
