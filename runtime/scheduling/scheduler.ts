/**
 * The scheduling simulation: given pods that need a place, the nodes that exist or are launching, and the
 * NodePools that may launch more, decide where every pod goes and which NodeClaims to create. Pure: no I/O, no
 * clock, so provisioning, consolidation and previews all share it.
 *
 * Order of attempts per pod (largest pods first): existing and in-flight nodes, then NodeClaims already planned
 * in this round (fewest pods first), then a new NodeClaim from the first NodePool, by weight, that fits.
 */
import { Labels } from '../../sdk/api/well-known';
import { cheapestOffering, instanceTypeCompatible, type InstanceType } from '../cloudprovider/types';
import type { NodePool, Pod, Taint } from '../kube/objects';
import { podKey, podRequirementAlternatives } from './pod-requirements';
import { Requirement, Requirements } from './requirements';
import { add, exceeded, fits, formatCpu, fromResourceList, podRequests, type Resources } from './resources';
import { podFitsNode } from './predicates';
import { formatTaint, untoleratedTaint } from './taints';

/** A node the pods may land on: a registered node or a NodeClaim still launching. */
export interface SchedulableNode {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  allocatable: Resources;
  /** Requests of pods already bound to it (and DaemonSet pods). */
  requested: Resources;
  /** Still launching: pods placed here are nominated, not bound. */
  inFlight: boolean;
}

export interface SchedulingNodePool {
  nodePool: NodePool;
  instanceTypes: InstanceType[];
  /** Requests of the DaemonSet pods that will run on every node of this pool. */
  daemonOverhead: Resources;
  /** Capacity the pool may still add before its limits; absent means unlimited. */
  remaining?: Resources;
}

export interface PlannedNodeClaim {
  nodePoolName: string;
  requirements: Requirements;
  taints: Taint[];
  pods: Pod[];
  /** Pod requests plus DaemonSet overhead. */
  requests: Resources;
  /** Instance types that can still host every pod, cheapest first. */
  instanceTypeOptions: InstanceType[];
}

export interface SchedulingInput {
  pods: Pod[];
  nodes: SchedulableNode[];
  nodePools: SchedulingNodePool[];
}

export interface SchedulingResult {
  /** Pods placed on existing or in-flight nodes, by node name. */
  existing: Map<string, Pod[]>;
  newNodeClaims: PlannedNodeClaim[];
  /** Pods with nowhere to go, each with one reason per place considered. */
  unschedulable: Map<string, { pod: Pod; reasons: string[] }>;
}

interface NodeSlot {
  node: SchedulableNode;
  requested: Resources;
}

interface ClaimSlot {
  plan: PlannedNodeClaim;
  pool: PoolState;
}

interface PoolState {
  input: SchedulingNodePool;
  name: string;
  requirements: Requirements;
  taints: Taint[];
  remaining: Resources | undefined;
}

/** Pods sorted the way Karpenter packs them: CPU descending, then memory descending, then name for stability. */
export function sortPodsForPacking(pods: Pod[]): Pod[] {
  const withReq = pods.map((pod) => ({ pod, req: podRequests(pod) }));
  withReq.sort(
    (a, b) =>
      (b.req.cpu ?? 0) - (a.req.cpu ?? 0) ||
      (b.req.memory ?? 0) - (a.req.memory ?? 0) ||
      podKey(a.pod).localeCompare(podKey(b.pod)),
  );
  return withReq.map((x) => x.pod);
}

/** The requirements a NodePool's claims carry: its requirements, its template labels and its own name. */
export function nodePoolRequirements(nodePool: NodePool): Requirements {
  const reqs = Requirements.fromSelectors(nodePool.spec.template.spec.requirements);
  reqs.add(Requirement.in(Labels.nodePool, [nodePool.metadata.name as string]));
  for (const [k, v] of Object.entries(nodePool.spec.template.metadata?.labels ?? {}))
    reqs.add(Requirement.in(k, [v]));
  return reqs;
}

function sortByPrice(types: InstanceType[], reqs: Requirements): InstanceType[] {
  const price = new Map(types.map((it) => [it, cheapestOffering(it, reqs)?.price ?? Infinity]));
  return [...types].sort(
    (a, b) => (price.get(a) as number) - (price.get(b) as number) || a.name.localeCompare(b.name),
  );
}

function describeResources(r: Resources): string {
  const parts: string[] = [];
  if (r.cpu !== undefined) parts.push(`cpu=${formatCpu(r.cpu)}`);
  if (r.memory !== undefined) parts.push(`memory=${Math.ceil(r.memory / 2 ** 20)}Mi`);
  for (const [k, v] of Object.entries(r)) if (!['cpu', 'memory', 'pods'].includes(k)) parts.push(`${k}=${v}`);
  return parts.join(', ');
}

function withinLimits(it: InstanceType, remaining: Resources | undefined): boolean {
  if (!remaining) return true;
  for (const [k, left] of Object.entries(remaining)) {
    const need = k === 'nodes' ? 1 : (it.capacity[k] ?? 0);
    if (need > left) return false;
  }
  return true;
}

export class Scheduler {
  private readonly pools: PoolState[];

  constructor(private readonly input: SchedulingInput) {
    this.pools = [...input.nodePools]
      .sort(
        (a, b) =>
          (b.nodePool.spec.weight ?? 0) - (a.nodePool.spec.weight ?? 0) ||
          (a.nodePool.metadata.name as string).localeCompare(b.nodePool.metadata.name as string),
      )
      .map((p) => ({
        input: p,
        name: p.nodePool.metadata.name as string,
        requirements: nodePoolRequirements(p.nodePool),
        taints: p.nodePool.spec.template.spec.taints ?? [],
        remaining: p.remaining ? { ...p.remaining } : undefined,
      }));
  }

  solve(): SchedulingResult {
    const nodes: NodeSlot[] = this.input.nodes.map((node) => ({ node, requested: { ...node.requested } }));
    const claims: ClaimSlot[] = [];
    const result: SchedulingResult = { existing: new Map(), newNodeClaims: [], unschedulable: new Map() };

    for (const pod of sortPodsForPacking(this.input.pods)) {
      const req = podRequests(pod);
      const alternatives = podRequirementAlternatives(pod);
      const reasons: string[] = [];
      if (this.placeOnNode(pod, req, alternatives, nodes, result)) continue;
      if (this.placeOnPlannedClaim(pod, req, alternatives, claims)) continue;
      const claim = this.newClaim(pod, req, alternatives, reasons);
      if (claim) {
        claims.push(claim);
        result.newNodeClaims.push(claim.plan);
        continue;
      }
      if (nodes.length > 0) reasons.unshift(`${nodes.length} existing node(s) lack room or do not match`);
      result.unschedulable.set(podKey(pod), { pod, reasons });
    }
    return result;
  }

  private placeOnNode(
    pod: Pod,
    req: Resources,
    alternatives: Requirements[],
    nodes: NodeSlot[],
    result: SchedulingResult,
  ): boolean {
    for (const slot of nodes) {
      if (podFitsNode(pod, req, { ...slot.node, requested: slot.requested }, alternatives)) continue;
      slot.requested = add(slot.requested, req);
      const list = result.existing.get(slot.node.name) ?? [];
      list.push(pod);
      result.existing.set(slot.node.name, list);
      return true;
    }
    return false;
  }

  private placeOnPlannedClaim(
    pod: Pod,
    req: Resources,
    alternatives: Requirements[],
    claims: ClaimSlot[],
  ): boolean {
    const ordered = [...claims].sort((a, b) => a.plan.pods.length - b.plan.pods.length);
    for (const claim of ordered) {
      if (untoleratedTaint(pod.spec.tolerations, claim.plan.taints)) continue;
      for (const podReqs of alternatives) {
        if (claim.plan.requirements.incompatibility(podReqs, { allowUndefinedWellKnown: true })) continue;
        const merged = claim.plan.requirements.intersect(podReqs);
        const total = add(claim.plan.requests, req);
        const options = claim.plan.instanceTypeOptions.filter(
          (it) => instanceTypeCompatible(it, merged) && fits(total, it.allocatable),
        );
        if (options.length === 0) continue;
        claim.plan.requirements = merged;
        claim.plan.requests = total;
        claim.plan.pods.push(pod);
        claim.plan.instanceTypeOptions = sortByPrice(options, merged);
        return true;
      }
    }
    return false;
  }

  private newClaim(
    pod: Pod,
    req: Resources,
    alternatives: Requirements[],
    reasons: string[],
  ): ClaimSlot | undefined {
    if (this.pools.length === 0) {
      reasons.push('no NodePool exists');
      return undefined;
    }
    for (const pool of this.pools) {
      const reason = this.tryPool(pool, pod, req, alternatives);
      if (typeof reason !== 'string') return reason;
      reasons.push(`NodePool "${pool.name}": ${reason}`);
    }
    return undefined;
  }

  private tryPool(
    pool: PoolState,
    pod: Pod,
    req: Resources,
    alternatives: Requirements[],
  ): ClaimSlot | string {
    const taint = untoleratedTaint(pod.spec.tolerations, pool.taints);
    if (taint) return `taint ${formatTaint(taint)} is not tolerated`;
    let lastReason = 'incompatible requirements';
    for (const podReqs of alternatives) {
      const conflict = pool.requirements.incompatibility(podReqs, { allowUndefinedWellKnown: true });
      if (conflict) {
        lastReason = `incompatible requirements: ${conflict}`;
        continue;
      }
      const merged = pool.requirements.intersect(podReqs);
      const total = add(pool.input.daemonOverhead, req);
      const compatible = pool.input.instanceTypes.filter((it) => instanceTypeCompatible(it, merged));
      if (compatible.length === 0) {
        lastReason = `no instance type satisfies requirements [${merged.toString()}]`;
        continue;
      }
      const fitting = compatible.filter((it) => fits(total, it.allocatable));
      if (fitting.length === 0) {
        const largest = compatible.reduce((a, b) =>
          (a.allocatable.cpu ?? 0) >= (b.allocatable.cpu ?? 0) ? a : b,
        );
        lastReason =
          `no instance type has enough resources for ${describeResources(total)} ` +
          `(largest compatible: ${largest.name} with ${describeResources(largest.allocatable)} allocatable; ` +
          `short of ${exceeded(total, largest.allocatable).join(', ')})`;
        continue;
      }
      const allowed = fitting.filter((it) => withinLimits(it, pool.remaining));
      if (allowed.length === 0) {
        lastReason = `NodePool limits reached (remaining ${describeResources(pool.remaining ?? {})})`;
        continue;
      }
      const options = sortByPrice(allowed, merged);
      if (pool.remaining) {
        // Reserve the largest capacity this claim might launch, so the pool never overshoots its limits.
        for (const k of Object.keys(pool.remaining)) {
          const need = k === 'nodes' ? 1 : Math.max(...options.map((it) => it.capacity[k] ?? 0));
          pool.remaining[k] = (pool.remaining[k] as number) - need;
        }
      }
      return {
        pool,
        plan: {
          nodePoolName: pool.name,
          requirements: merged,
          taints: pool.taints,
          pods: [pod],
          requests: total,
          instanceTypeOptions: options,
        },
      };
    }
    return lastReason;
  }
}

/** Convenience wrapper: run one scheduling simulation. */
export function schedule(input: SchedulingInput): SchedulingResult {
  return new Scheduler(input).solve();
}

/** Remaining capacity under a NodePool's limits given what its nodes already hold. */
export function remainingLimits(
  nodePool: NodePool,
  usage: Resources,
  nodeCount: number,
): Resources | undefined {
  const limits = nodePool.spec.limits;
  if (!limits) return undefined;
  const parsed = fromResourceList(limits);
  const out: Resources = {};
  for (const [k, v] of Object.entries(parsed)) out[k] = v - (k === 'nodes' ? nodeCount : (usage[k] ?? 0));
  return out;
}
