/**
 * The node requirements a pod brings: its nodeSelector and required node affinity. Required affinity may list
 * several OR'ed terms; each term becomes one alternative, tried in order.
 */
import type { Pod } from '../kube/objects';
import { Requirement, Requirements } from './requirements';

export function podRequirementAlternatives(pod: Pod): Requirements[] {
  const base = Requirements.fromLabels(pod.spec.nodeSelector);
  const terms =
    pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return [base];
  return terms.map((term) => {
    const reqs = base.clone();
    for (const expr of term.matchExpressions ?? []) reqs.add(Requirement.fromSelector(expr));
    return reqs;
  });
}

export function isDaemonSetPod(pod: Pod): boolean {
  return (pod.metadata.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet');
}

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}
