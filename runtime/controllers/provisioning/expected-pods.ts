/**
 * Pods a ReplicaSet is still to create, planned for before they exist.
 *
 * A Deployment scaled to thousands gets its pods from kube-controller-manager at that client's rate limit (20
 * writes a second by default): a 5,000-pod scale-up arrives over four minutes. Planning only for the pods pending
 * at each round then buys capacity a few dozen pods at a time: many small nodes, each launched after its pods
 * already wait. A ReplicaSet says how many pods are coming (spec.replicas against the pods it has), so the
 * provisioner plans for those too: fewer, larger nodes, launched before the pods they are for.
 *
 * Guarded so a ReplicaSet that cannot create its pods buys nothing: only while it visibly creates them (it or one
 * of its pods is younger than PROGRESS_WINDOW_MS), never while it reports ReplicaFailure (a quota, an admission
 * webhook), never for templates whose pods would each need a volume of their own, and never more than
 * MAX_EXPECTED_PODS in one round. Pure: the provisioner gives it the ReplicaSets and their pods.
 */
import { Annotations } from '../../../sdk/api/well-known';
import { controllerRef, nameOf, type Pod, type ReplicaSet } from '../../kube/objects';
import { isActivePod } from '../../state/cluster-state';

/** How recently a ReplicaSet must have been created, or created a pod, to count as still creating. */
export const PROGRESS_WINDOW_MS = 30_000;
/** The most expected pods one round plans for, whatever the ReplicaSets declare. */
export const MAX_EXPECTED_PODS = 10_000;

export interface ReplicaSetPods {
  replicaSet: ReplicaSet;
  /** The cached pods the ReplicaSet controls. */
  pods: Pod[];
}

/** Whether a pod is one of ours, planned for but not yet created: never written, evented or counted. */
export function isExpectedPod(pod: Pod): boolean {
  return pod.metadata.annotations?.[Annotations.expectedPod] === 'true';
}

/** Why a ReplicaSet's missing pods are not planned for, or undefined when they are. */
export function notExpectedReason(set: ReplicaSetPods, now: number): string | undefined {
  const rs = set.replicaSet;
  if (rs.metadata.deletionTimestamp) return 'the ReplicaSet is being deleted';
  if (rs.status?.conditions?.some((c) => c.type === 'ReplicaFailure' && c.status === 'True'))
    return 'the ReplicaSet reports ReplicaFailure';
  const volumes = rs.spec.template.spec.volumes ?? [];
  if (volumes.some((v) => v.ephemeral !== undefined))
    return 'its pods each need an ephemeral volume of their own';
  const newest = Math.max(
    Date.parse(rs.metadata.creationTimestamp ?? '') || 0,
    ...set.pods.map((p) => Date.parse(p.metadata.creationTimestamp ?? '') || 0),
  );
  if (now - newest > PROGRESS_WINDOW_MS) return 'the ReplicaSet has created no pod recently';
  return undefined;
}

/** How many pods the ReplicaSet is short of its replicas (0 when it has them all, or more). */
export function missingReplicas(set: ReplicaSetPods): number {
  const want = set.replicaSet.spec.replicas ?? 1;
  return Math.max(0, want - set.pods.filter(isActivePod).length);
}

/**
 * The pods the ReplicaSets are still to create, as the scheduler's input: each from its template, in its
 * namespace, controlled by its ReplicaSet (so topology spread and anti-affinity count it with its siblings),
 * marked with Annotations.expectedPod. At most `max` in all, the ReplicaSets furthest from their replicas first.
 */
export function expectedPods(sets: ReplicaSetPods[], now: number, max = MAX_EXPECTED_PODS): Pod[] {
  const short = sets
    .map((set) => ({ set, missing: missingReplicas(set) }))
    .filter(({ set, missing }) => missing > 0 && notExpectedReason(set, now) === undefined)
    .sort((a, b) => b.missing - a.missing);
  const out: Pod[] = [];
  for (const { set, missing } of short) {
    const rs = set.replicaSet;
    const template = rs.spec.template;
    for (let i = 0; i < missing && out.length < max; i++) {
      out.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${nameOf(rs)}-expected-${i}`,
          namespace: rs.metadata.namespace ?? 'default',
          uid: `expected-${rs.metadata.uid ?? nameOf(rs)}-${i}`,
          labels: { ...template.metadata?.labels },
          annotations: { ...template.metadata?.annotations, [Annotations.expectedPod]: 'true' },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: nameOf(rs),
              uid: rs.metadata.uid ?? '',
              controller: true,
            },
          ],
        },
        // Shared, read-only: the scheduler never writes a pod's spec.
        spec: template.spec,
        status: { phase: 'Pending' },
      });
    }
  }
  return out;
}

/**
 * The plans to buy: every one holding a real pod, and those holding only expected pods for ReplicaSets not yet
 * bought for at their current replicas. The first round of a scale-up buys for all of it; where the
 * kube-scheduler then places pods otherwise than planned (it spreads them over the least allocated nodes, zone
 * by zone), the pods that end up pending are bought for as any pending pod is, instead of buying again, every
 * round, for pods that do not exist yet.
 */
export function plansToBuy<T extends { pods: Pod[] }>(plans: T[], boughtFor: ReadonlySet<string>): T[] {
  return plans.filter((plan) =>
    plan.pods.some((p) => !isExpectedPod(p) || !boughtFor.has(controllerRef(p)?.uid ?? '')),
  );
}

/** The key a ReplicaSet is bought for under: its UID at its current replicas (a new scale-up is a new key). */
export function boughtKey(rs: ReplicaSet): string {
  return `${rs.metadata.uid ?? nameOf(rs)}@${rs.spec.replicas ?? 1}`;
}
