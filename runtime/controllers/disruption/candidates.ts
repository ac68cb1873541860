/**
 * Disruption candidates: managed, initialized nodes that nothing protects, with the cost of disrupting them.
 * Every node that is not a candidate gets a plain-language reason, so "why wasn't this node consolidated?" has an
 * answer.
 */
import { Annotations, Labels } from '../../../sdk/api/well-known';
import { parseDurationOrNever } from '../../../sdk/api/common';
import { nameOf, type NodePool, type Pod, type PodDisruptionBudget } from '../../kube/objects';
import { disruptionsAllowed, pdbSelects } from '../../kube/pdb';
import { isDaemonSetPod } from '../../scheduling/pod-requirements';
import { isTerminalPod, type StateNode } from '../../state/cluster-state';

export interface Candidate {
  stateNode: StateNode;
  nodePool: NodePool;
  /** USD/hour of the running instance. */
  price: number;
  /** Pods that must find a new home if the node goes. */
  reschedulablePods: Pod[];
  disruptionCost: number;
}

export interface CandidateContext {
  now: number;
  nodePools: Map<string, NodePool>;
  pdbs: PodDisruptionBudget[];
  allPods: Pod[];
  isNominated: (name: string) => boolean;
  priceOf: (stateNode: StateNode) => number | undefined;
}

export type CandidateVerdict = { candidate: Candidate } | { reason: string };

/** A pod annotation "true", or a duration still running since the pod started, blocks disruption. */
export function podDoNotDisrupt(pod: Pod, now: number): boolean {
  const value = pod.metadata.annotations?.[Annotations.doNotDisrupt];
  if (value === undefined) return false;
  if (value === 'true') return true;
  try {
    const ms = parseDurationOrNever(value);
    if (ms === undefined) return true;
    return now < Date.parse(pod.metadata.creationTimestamp ?? '') + ms;
  } catch {
    return false;
  }
}

/** clamp(1 + deletionCost/2^27 + priority/2^25, −10, 10): cheap pods first, protected ones last. */
export function evictionCost(pod: Pod): number {
  const deletionCost =
    Number(pod.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? 0) || 0;
  const priority = pod.spec.priority ?? 0;
  return Math.min(10, Math.max(-10, 1 + deletionCost / 2 ** 27 + priority / 2 ** 25));
}

/** Σ eviction cost, weighted by the fraction of the node's lifetime still ahead of it. */
export function disruptionCost(pods: Pod[], nodePool: NodePool, createdAt: number, now: number): number {
  const base = pods.reduce((sum, p) => sum + evictionCost(p), 0);
  const lifetime = parseDurationOrNever(nodePool.spec.template.spec.expireAfter);
  if (lifetime === undefined) return base;
  const remaining = Math.min(1, Math.max(0, (createdAt + lifetime - now) / lifetime));
  return base * remaining;
}

export function reschedulable(pods: Pod[]): Pod[] {
  return pods.filter((p) => !isDaemonSetPod(p) && !isTerminalPod(p) && !p.metadata.deletionTimestamp);
}

/** Per decision context, what each budget allows: counted once, not again for every pod it selects. */
const allowedCache = new WeakMap<CandidateContext, Map<PodDisruptionBudget, number>>();

function allowedBy(pdb: PodDisruptionBudget, ctx: CandidateContext): number {
  let known = allowedCache.get(ctx);
  if (!known) allowedCache.set(ctx, (known = new Map()));
  let allowed = known.get(pdb);
  if (allowed === undefined) {
    const inNamespace = ctx.allPods.filter((p) => p.metadata.namespace === pdb.metadata.namespace);
    known.set(pdb, (allowed = disruptionsAllowed(pdb, inNamespace)));
  }
  return allowed;
}

export function evaluateCandidate(n: StateNode, ctx: CandidateContext): CandidateVerdict {
  if (!n.managed || !n.nodeClaim || !n.node) return { reason: 'not managed by a NodePool' };
  const nodePool = ctx.nodePools.get(n.nodePoolName ?? '');
  if (!nodePool) return { reason: `NodePool "${n.nodePoolName}" not found` };
  if (!n.initialized) return { reason: 'not initialized yet' };
  if (n.deleting) return { reason: 'already being deleted' };
  if (n.markedForDisruption) return { reason: 'already being disrupted' };
  if (ctx.isNominated(n.name) || ctx.isNominated(nameOf(n.nodeClaim))) {
    return { reason: 'pods were recently nominated to it' };
  }
  if (n.node.metadata.annotations?.[Annotations.doNotDisrupt] === 'true') {
    return { reason: `node is annotated ${Annotations.doNotDisrupt}=true` };
  }
  const pods = reschedulable(n.pods);
  for (const pod of pods) {
    if (podDoNotDisrupt(pod, ctx.now)) {
      return { reason: `pod ${pod.metadata.namespace}/${pod.metadata.name} has ${Annotations.doNotDisrupt}` };
    }
    const pdbs = ctx.pdbs.filter((p) => pdbSelects(p, pod));
    if (pdbs.length > 1) {
      return {
        reason: `pod ${pod.metadata.namespace}/${pod.metadata.name} is selected by more than one PodDisruptionBudget`,
      };
    }
    const pdb = pdbs[0];
    if (pdb && allowedBy(pdb, ctx) <= 0) {
      return {
        reason: `PodDisruptionBudget ${pdb.metadata.namespace}/${pdb.metadata.name} allows no disruption of pod ${pod.metadata.namespace}/${pod.metadata.name}`,
      };
    }
  }
  const price = ctx.priceOf(n);
  if (price === undefined)
    return { reason: `no price known for instance type ${n.labels[Labels.instanceType]}` };
  const createdAt = Date.parse(n.nodeClaim.metadata.creationTimestamp ?? '') || ctx.now;
  return {
    candidate: {
      stateNode: n,
      nodePool,
      price,
      reschedulablePods: pods,
      disruptionCost: disruptionCost(pods, nodePool, createdAt, ctx.now),
    },
  };
}

/** consolidateAfter has passed since the node last gained or lost a pod. */
export function isConsolidatable(
  candidate: Candidate,
  lastPodEventTime: number | undefined,
  now: number,
): boolean {
  const after = parseDurationOrNever(candidate.nodePool.spec.disruption.consolidateAfter);
  if (after === undefined) return false;
  const initializedAt = Date.parse(
    candidate.stateNode.nodeClaim?.status?.conditions?.find((c) => c.type === 'Initialized')
      ?.lastTransitionTime ?? '',
  );
  const since = lastPodEventTime ?? (Number.isNaN(initializedAt) ? 0 : initializedAt);
  return now - since >= after;
}

/** An empty candidate that emptiness removes now or once consolidateAfter passes: no destination for moved pods. */
export function mayGoEmpty(c: Candidate, emptyBudgets: ReadonlyMap<string, number>): boolean {
  return (
    c.reschedulablePods.length === 0 &&
    c.nodePool.spec.replicas === undefined && // a static pool's empty node stays
    c.nodePool.spec.disruption.consolidateAfter !== 'Never' &&
    (emptyBudgets.get(nameOf(c.nodePool)) ?? 0) > 0
  );
}
