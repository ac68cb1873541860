/**
 * Which pods a drain evicts, and in which order: non-critical workloads first, then non-critical DaemonSet pods,
 * then critical workloads, then critical DaemonSet pods, so system services outlive the pods that use them. A pod
 * that tolerates the karpenter.sh/disrupted taint is not drained, as upstream: evicted, it would be recreated on the
 * same node at once (a DaemonSet pod tolerating everything) and the drain would never end.
 */
import { parseDuration } from '../../../sdk/api/common';
import type { NodeClaim, Pod } from '../../kube/objects';
import { Annotations, Taints } from '../../../sdk/api/well-known';
import { isDaemonSetPod } from '../../scheduling/pod-requirements';
import { tolerates } from '../../scheduling/taints';
import { isTerminalPod } from '../../state/cluster-state';

const CRITICAL_PRIORITY_CLASSES = new Set(['system-cluster-critical', 'system-node-critical']);

export function isCriticalPod(pod: Pod): boolean {
  return CRITICAL_PRIORITY_CLASSES.has(pod.spec.priorityClassName ?? '');
}

/** Mirror (static) pods are owned by the kubelet and cannot be evicted. */
export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
}

/** The pod would come straight back to a node being drained. */
export function toleratesDisruption(pod: Pod): boolean {
  return (pod.spec.tolerations ?? []).some((t) => tolerates(t, Taints.disrupted));
}

/** Pods still to evict, grouped in drain order; empty groups are omitted. */
export function drainTiers(pods: Pod[]): Pod[][] {
  const tiers: Pod[][] = [[], [], [], []];
  for (const pod of pods) {
    if (isTerminalPod(pod) || isMirrorPod(pod) || toleratesDisruption(pod)) continue;
    const tier = (isCriticalPod(pod) ? 2 : 0) + (isDaemonSetPod(pod) ? 1 : 0);
    (tiers[tier] as Pod[]).push(pod);
  }
  return tiers.filter((t) => t.length > 0);
}

/** Upstream's drain reason for a claim that no disruption method chose (expiry, interruption, a manual delete). */
export const FORCEFUL_TERMINATION_REASON = 'Forceful Termination';

/**
 * Why a claim's pods are drained, as `karpenter_pods_drained_total` labels it: the reason of its DisruptionReason
 * condition (the disruption method's, as written: "Underutilized", "Empty", "Drifted"), else forceful termination.
 */
export function drainReason(claim: NodeClaim): string {
  const condition = claim.status?.conditions?.find(
    (c) => c.type === 'DisruptionReason' && c.status === 'True',
  );
  return condition ? (condition.reason ?? '') : FORCEFUL_TERMINATION_REASON;
}

/** The pod grace period the API server applies when a pod spec leaves it unset. */
export const DEFAULT_POD_GRACE_SECONDS = 30;

/**
 * When a deleting NodeClaim's drain must end (deletion time + terminationGracePeriod, or an earlier stamped
 * nodeclaim-termination-timestamp), in epoch ms; undefined
 * when it has none, in which case a drain may wait on PodDisruptionBudgets indefinitely.
 */
export function terminationDeadline(claim: NodeClaim): number | undefined {
  const period = claim.spec.terminationGracePeriod;
  const deleted = claim.metadata.deletionTimestamp;
  if (!deleted) return undefined;
  const fromPeriod = period ? Date.parse(deleted) + parseDuration(period) : undefined;
  // A tighter deadline stamped by whoever deleted it (node repair's drain bound); an unreadable one is ignored.
  const stamped = Date.parse(claim.metadata.annotations?.[Annotations.nodeClaimTerminationTimestamp] ?? '');
  if (Number.isNaN(stamped)) return fromPeriod;
  return fromPeriod === undefined ? stamped : Math.min(fromPeriod, stamped);
}

export interface ForcedDeletion {
  pod: Pod;
  /** What remains until the node's deadline, so the pod still ends before the instance does. */
  gracePeriodSeconds: number;
}

/**
 * Pods that must be deleted now, bypassing PodDisruptionBudgets, so each gets its full grace period before the
 * deadline: a pod is due at deadline − its terminationGracePeriodSeconds. Pods already terminating are left alone.
 */
export function forcedDeletions(pods: Pod[], deadlineMs: number, nowMs: number): ForcedDeletion[] {
  const due: ForcedDeletion[] = [];
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp || isTerminalPod(pod) || isMirrorPod(pod)) continue;
    const grace = pod.spec.terminationGracePeriodSeconds ?? DEFAULT_POD_GRACE_SECONDS;
    if (nowMs < deadlineMs - grace * 1000) continue;
    due.push({ pod, gracePeriodSeconds: Math.max(0, Math.floor((deadlineMs - nowMs) / 1000)) });
  }
  return due;
}

/** Milliseconds until the next pod becomes due for forced deletion, if any is still waiting. */
export function nextForcedDeletionInMs(pods: Pod[], deadlineMs: number, nowMs: number): number | undefined {
  let next: number | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp || isTerminalPod(pod) || isMirrorPod(pod)) continue;
    const at = deadlineMs - (pod.spec.terminationGracePeriodSeconds ?? DEFAULT_POD_GRACE_SECONDS) * 1000;
    if (at > nowMs && (next === undefined || at - nowMs < next)) next = at - nowMs;
  }
  return next;
}
