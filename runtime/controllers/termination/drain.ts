/**
 * Which pods a drain evicts, and in which order: non-critical workloads first, then non-critical DaemonSet pods,
 * then critical workloads, then critical DaemonSet pods, so system services outlive the pods that use them.
 */
import type { Pod } from '../../kube/objects';
import { isDaemonSetPod } from '../../scheduling/pod-requirements';
import { isTerminalPod } from '../../state/cluster-state';

const CRITICAL_PRIORITY_CLASSES = new Set(['system-cluster-critical', 'system-node-critical']);

export function isCriticalPod(pod: Pod): boolean {
  return CRITICAL_PRIORITY_CLASSES.has(pod.spec.priorityClassName ?? '');
}

/** Mirror (static) pods are owned by the kubelet and cannot be evicted. */
export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
}

/** Pods still to evict, grouped in drain order; empty groups are omitted. */
export function drainTiers(pods: Pod[]): Pod[][] {
  const tiers: Pod[][] = [[], [], [], []];
  for (const pod of pods) {
    if (isTerminalPod(pod) || isMirrorPod(pod)) continue;
    const tier = (isCriticalPod(pod) ? 2 : 0) + (isDaemonSetPod(pod) ? 1 : 0);
    (tiers[tier] as Pod[]).push(pod);
  }
  return tiers.filter((t) => t.length > 0);
}
