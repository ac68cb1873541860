/**
 * Whether a pod may run on a node: the filters the kube-scheduler applies that the autoscaler must agree with.
 * Shared by the provisioner's simulation (for existing nodes) and the simulator's stand-in kube-scheduler, so the
 * two never disagree about where a pod fits.
 */
import type { Pod, Taint } from '../kube/objects';
import { podRequirementAlternatives } from './pod-requirements';
import type { Requirements } from './requirements';
import { add, exceeded, type Resources } from './resources';
import { formatTaint, untoleratedTaint } from './taints';

export interface NodeView {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  allocatable: Resources;
  requested: Resources;
}

/** Why the pod cannot run on the node, or undefined when it can. */
export function podFitsNode(
  pod: Pod,
  podRequests: Resources,
  node: NodeView,
  alternatives: Requirements[] = podRequirementAlternatives(pod),
): string | undefined {
  const taint = untoleratedTaint(pod.spec.tolerations, node.taints);
  if (taint) return `node ${node.name} has untolerated taint ${formatTaint(taint)}`;
  if (!alternatives.some((reqs) => reqs.matchesLabels(node.labels))) {
    return `node ${node.name} does not match the pod's node selector or affinity`;
  }
  const short = exceeded(add(node.requested, podRequests), node.allocatable);
  if (short.length) return `node ${node.name} has insufficient ${short.join(', ')}`;
  return undefined;
}
