/**
 * The scheduling simulation: given pods that need a place, the nodes that exist or are launching, and the
 * NodePools that may launch more, decide where every pod goes and which NodeClaims to create. Pure: no I/O, no
 * clock, so provisioning, consolidation and previews all share it.
 *
 * Order of attempts per pod (largest pods first): existing and in-flight nodes, then NodeClaims already planned
 * in this round (fewest pods first), then a new NodeClaim from the first NodePool, by weight, that fits. Each
 * attempt honours node requirements, taints, resources, limits and topology (spread, pod affinity and
 * anti-affinity, including the anti-affinity of pods already running); preferences are tried as requirements
 * first and relaxed one at a time when the pod fits nowhere.
 */
import { Labels } from '../../sdk/api/well-known';
import { cheapestOffering, instanceTypeCompatible, type InstanceType } from '../cloudprovider/types';
import type { NodePool, Pod, Taint } from '../kube/objects';
import { constraintLevels, type PodConstraints } from './pod-constraints';
import { podKey } from './pod-requirements';
import { Requirement, Requirements } from './requirements';
import {
  add,
  exceeded,
  fits,
  fitsWith,
  formatCpu,
  fromResourceList,
  podRequests,
  type Resources,
} from './resources';
import { hostPortConflict, hostPorts, usedHostPorts } from './host-ports';
import { podFitsNode } from './predicates';
import { formatTaint, untoleratedTaint } from './taints';
import { Topology, type Domain, type Place } from './topology';

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
  /** Pods bound to it, for topology spread and pod (anti-)affinity counts. */
  pods?: Pod[];
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
  hostPorts: Set<string>;
}

interface ClaimSlot {
  plan: PlannedNodeClaim;
  pool: PoolState;
  /** The hostname domain this claim stands for in topology counts. */
  hostname: string;
  /** The remaining options with their prices, cheapest first. */
  options: PricedOptions;
  hostPorts: Set<string>;
  /** Pod shapes (see shapeId) this claim refused for good reasons, since it last changed: no affordable room, or a hostname topology term. */
  refused: Set<number>;
}

interface PoolState {
  input: SchedulingNodePool;
  name: string;
  requirements: Requirements;
  taints: Taint[];
  remaining: Resources | undefined;
}

/** Pods sorted the way Karpenter packs them: CPU descending, then memory descending, then name for stability. */
export function sortPodsForPacking(pods: Pod[], requestsOf: (pod: Pod) => Resources = podRequests): Pod[] {
  const withReq = pods.map((pod) => ({ pod, req: requestsOf(pod) }));
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

interface PricedOptions {
  types: InstanceType[];
  /** prices[i] is the cheapest offering of types[i] under the claim's requirements; ascending. */
  prices: number[];
}

function sortByPrice(types: InstanceType[], reqs: Requirements): PricedOptions {
  const priced = types.map((it) => ({ it, price: cheapestOffering(it, reqs)?.price ?? Infinity }));
  priced.sort((a, b) => a.price - b.price || a.it.name.localeCompare(b.it.name));
  return { types: priced.map((p) => p.it), prices: priced.map((p) => p.price) };
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
  private readonly topology: Topology;
  private claimSeq = 0;
  private readonly standalone = new Map<string, number>();
  private readonly shapes = new Map<string, number>();

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
    this.topology = new Topology(topologyUniverse(input.nodes, this.pools));
  }

  solve(): SchedulingResult {
    const nodes: NodeSlot[] = this.input.nodes.map((node) => ({
      node,
      requested: { ...node.requested },
      hostPorts: usedHostPorts(node.pods ?? []),
    }));
    const claims: ClaimSlot[] = [];
    const result: SchedulingResult = { existing: new Map(), newNodeClaims: [], unschedulable: new Map() };
    // Requests are computed once per pod: sorting and every placement attempt (retries included) reuse them.
    const requests = new Map(this.input.pods.map((pod) => [pod, podRequests(pod)]));
    const requestsOf = (pod: Pod) => requests.get(pod) as Resources;
    const pods = sortPodsForPacking(this.input.pods, requestsOf);
    const levels = new Map(pods.map((pod) => [pod, constraintLevels(pod)]));
    for (const l of levels.values()) this.topology.register(l);
    for (const slot of nodes) {
      for (const pod of slot.node.pods ?? []) this.topology.record(pod, nodePlace(slot.node));
    }

    // A pod that fails may succeed once later pods are placed (pod affinity to a group sorted after it), so
    // failures go round again until a full pass places nothing new.
    let queue = pods;
    const lastReasons = new Map<Pod, string[]>();
    for (;;) {
      const failed: Pod[] = [];
      for (const pod of queue) {
        const reasons = this.place(requestsOf(pod), levels.get(pod) ?? [], nodes, claims, result);
        if (reasons) {
          failed.push(pod);
          lastReasons.set(pod, reasons);
        }
      }
      if (failed.length === 0 || failed.length === queue.length) {
        for (const pod of failed) {
          const reasons = lastReasons.get(pod) ?? [];
          if (nodes.length > 0) reasons.unshift(`${nodes.length} existing node(s) lack room or do not match`);
          result.unschedulable.set(podKey(pod), { pod, reasons });
        }
        break;
      }
      queue = failed;
    }
    return result;
  }

  /**
   * Place one pod (its constraint levels carry it), relaxing its preferences as needed; returns why it failed,
   * or undefined once placed.
   */
  private place(
    req: Resources,
    levels: PodConstraints[],
    nodes: NodeSlot[],
    claims: ClaimSlot[],
    result: SchedulingResult,
  ): string[] | undefined {
    let reasons: string[] = [];
    for (const level of levels) {
      reasons = [];
      if (this.placeOnNode(level, req, nodes, result, reasons)) return undefined;
      if (this.placeOnPlannedClaim(level, req, claims)) return undefined;
      const claim = this.newClaim(level, req, reasons);
      if (claim) {
        insertOrdered(claims, claim);
        result.newNodeClaims.push(claim.plan);
        return undefined;
      }
      if (level.relaxed.length) reasons.push(`even after relaxing ${level.relaxed.join(', ')}`);
    }
    return reasons;
  }

  private placeOnNode(
    level: PodConstraints,
    req: Resources,
    nodes: NodeSlot[],
    result: SchedulingResult,
    reasons: string[],
  ): boolean {
    for (const slot of nodes) {
      if (podFitsNode(level.pod, req, { ...slot.node, requested: slot.requested }, level.alternatives))
        continue;
      const port = hostPortConflict(level.pod, slot.hostPorts);
      if (port) {
        if (reasons.length < 3) reasons.push(`node ${slot.node.name}: host port ${port} is in use`);
        continue;
      }
      const place = nodePlace(slot.node);
      const verdict = this.topology.evaluate(level, place);
      if ('reason' in verdict) {
        if (reasons.length < 3) reasons.push(`node ${slot.node.name}: ${verdict.reason}`);
        continue;
      }
      slot.requested = add(slot.requested, req);
      for (const port of hostPorts(level.pod)) slot.hostPorts.add(port);
      const list = result.existing.get(slot.node.name) ?? [];
      list.push(level.pod);
      result.existing.set(slot.node.name, list);
      this.topology.record(level.pod, place);
      return true;
    }
    return false;
  }

  private placeOnPlannedClaim(level: PodConstraints, req: Resources, claims: ClaimSlot[]): boolean {
    // `claims` is kept ordered by pod count, fewest first (see reposition), so no sort per pod.
    // Per alternative: the pod's "shape" (requests and node requirements) and what a node of its own would cost.
    const shapes = level.alternatives.map((podReqs) => this.shapeId(req, podReqs, level));
    const standalone = new Map<PoolState, number[]>();
    const standaloneFor = (pool: PoolState, podReqs: Requirements, alt: number): number => {
      let prices = standalone.get(pool);
      if (!prices) standalone.set(pool, (prices = []));
      return (prices[alt] ??= this.standalonePrice(pool, podReqs, req));
    };
    for (const claim of claims) {
      if (untoleratedTaint(level.pod.spec.tolerations, claim.plan.taints)) continue;
      if (hostPortConflict(level.pod, claim.hostPorts)) continue;
      for (const [alt, podReqs] of level.alternatives.entries()) {
        // A claim that had no affordable room for this shape still has none until it changes: pods of one shape
        // come one after another (they are sorted by size), so this skips most of the work on full claims.
        const shape = shapes[alt] as number;
        if (claim.refused.has(shape)) continue;
        // Growing a claim onto a pricier type must not cost more than giving the pod a node of its own, so only
        // the affordable prefix of the (price-ordered) options can take it. Narrowing requirements only removes
        // options or raises prices, so this cheap test comes first and rejects most full claims outright.
        const budget = (claim.options.prices[0] ?? Infinity) + standaloneFor(claim.pool, podReqs, alt) + 1e-9;
        if (!affordableFit(claim.options, claim.plan.requests, req, budget)) {
          claim.refused.add(shape);
          continue;
        }
        if (claim.plan.requirements.incompatibility(podReqs, { allowUndefinedWellKnown: true })) continue;
        let merged = claim.plan.requirements.narrowedBy(podReqs.values())
          ? claim.plan.requirements.intersect(podReqs)
          : claim.plan.requirements;
        const verdict = this.topology.evaluate(level, {
          kind: 'claim',
          hostname: claim.hostname,
          requirements: merged,
        });
        if ('reason' in verdict) {
          if (verdict.stable) claim.refused.add(shape);
          continue;
        }
        if (merged.narrowedBy(verdict.requirements))
          merged = merged.intersect(new Requirements(verdict.requirements));
        const narrowed = merged !== claim.plan.requirements;
        if (narrowed && merged.values().some((r) => r.isEmpty())) continue;
        const total = add(claim.plan.requests, req);
        const keep = (it: InstanceType) =>
          fits(total, it.allocatable) && (!narrowed || instanceTypeCompatible(it, merged));
        const kept = filterOptions(claim.options, keep);
        if (kept.types.length === 0) continue;
        const sorted = narrowed ? sortByPrice(kept.types, merged) : kept;
        if ((sorted.prices[0] ?? Infinity) > budget) continue;
        if (minValuesShortfall(sorted.types, merged)) continue;
        claim.plan.requirements = merged;
        claim.plan.requests = total;
        claim.plan.pods.push(level.pod);
        for (const port of hostPorts(level.pod)) claim.hostPorts.add(port);
        claim.plan.instanceTypeOptions = sorted.types;
        claim.options = sorted;
        claim.refused.clear();
        this.topology.record(level.pod, { kind: 'claim', hostname: claim.hostname, requirements: merged });
        reposition(claims, claim);
        return true;
      }
    }
    return false;
  }

  /**
   * A small integer naming what decides where a pod fits (requests, node requirements, topology terms, labels):
   * pods with equal shapes are refused by a claim alike.
   */
  private shapeId(req: Resources, podReqs: Requirements, level: PodConstraints): number {
    const topology = level.terms.map((t) => [
      t.kind,
      t.key,
      t.selector,
      t.namespaces,
      t.maxSkew,
      t.minDomains,
    ]);
    const { labels, namespace } = level.pod.metadata;
    const key = JSON.stringify([req, podReqs.toString(), topology, labels, namespace]);
    let id = this.shapes.get(key);
    if (id === undefined) this.shapes.set(key, (id = this.shapes.size));
    return id;
  }

  /** $/hour of the cheapest node the pool could launch for this pod alone (cached per pool, shape and needs). */
  private standalonePrice(pool: PoolState, podReqs: Requirements, req: Resources): number {
    const key = `${pool.name}|${podReqs.toString()}|${JSON.stringify(req)}`;
    let price = this.standalone.get(key);
    if (price === undefined) {
      const merged = pool.requirements.intersect(podReqs);
      const total = add(pool.input.daemonOverhead, req);
      price = Infinity;
      for (const it of pool.input.instanceTypes) {
        if (!fits(total, it.allocatable) || !instanceTypeCompatible(it, merged)) continue;
        price = Math.min(price, cheapestOffering(it, merged)?.price ?? Infinity);
      }
      this.standalone.set(key, price);
    }
    return price;
  }

  private newClaim(level: PodConstraints, req: Resources, reasons: string[]): ClaimSlot | undefined {
    if (this.pools.length === 0) {
      reasons.push('no NodePool exists');
      return undefined;
    }
    for (const pool of this.pools) {
      const outcome = this.tryPool(pool, level, req);
      if (typeof outcome !== 'string') return outcome;
      reasons.push(`NodePool "${pool.name}": ${outcome}`);
    }
    return undefined;
  }

  private tryPool(pool: PoolState, level: PodConstraints, req: Resources): ClaimSlot | string {
    const taint = untoleratedTaint(level.pod.spec.tolerations, pool.taints);
    if (taint) return `taint ${formatTaint(taint)} is not tolerated`;
    let lastReason = 'incompatible requirements';
    const hostname = `nodeclaim-${++this.claimSeq}`;
    for (const podReqs of level.alternatives) {
      const conflict = pool.requirements.incompatibility(podReqs, { allowUndefinedWellKnown: true });
      if (conflict) {
        lastReason = `incompatible requirements: ${conflict}`;
        continue;
      }
      let merged = pool.requirements.intersect(podReqs);
      const verdict = this.topology.evaluate(level, { kind: 'claim', hostname, requirements: merged });
      if ('reason' in verdict) {
        lastReason = verdict.reason;
        continue;
      }
      merged = merged.intersect(new Requirements(verdict.requirements));
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
      const shortfall = minValuesShortfall(allowed, merged);
      if (shortfall) {
        lastReason = shortfall;
        continue;
      }
      const options = sortByPrice(allowed, merged);
      if (pool.remaining) {
        // Reserve the largest capacity this claim might launch, so the pool never overshoots its limits.
        for (const k of Object.keys(pool.remaining)) {
          const need = k === 'nodes' ? 1 : Math.max(...options.types.map((it) => it.capacity[k] ?? 0));
          pool.remaining[k] = (pool.remaining[k] as number) - need;
        }
      }
      this.topology.record(level.pod, { kind: 'claim', hostname, requirements: merged });
      return {
        pool,
        hostname,
        options,
        hostPorts: usedHostPorts([level.pod]),
        refused: new Set(),
        plan: {
          nodePoolName: pool.name,
          requirements: merged,
          taints: pool.taints,
          pods: [level.pod],
          requests: total,
          instanceTypeOptions: options.types,
        },
      };
    }
    return lastReason;
  }
}

/**
 * Why the options cannot honour a requirement's minValues (the launch must keep that many distinct values of the
 * key open), or undefined when they can. Karpenter's Strict policy: a plan that would fall short is refused.
 */
export function minValuesShortfall(options: InstanceType[], reqs: Requirements): string | undefined {
  for (const r of reqs.values()) {
    if (!r.minValues) continue;
    const distinct = new Set<string>();
    for (const it of options) {
      if (r.key === Labels.instanceType) distinct.add(it.name);
      else for (const v of it.requirements.get(r.key)?.values ?? []) if (r.has(v)) distinct.add(v);
      if (distinct.size >= r.minValues) break;
    }
    if (distinct.size < r.minValues) {
      return `minValues ${r.minValues} for ${r.key} cannot be met (${distinct.size} value(s) left)`;
    }
  }
  return undefined;
}

/** Some option priced within budget can hold base + extra (options are in price order: stop at the budget). */
function affordableFit(options: PricedOptions, base: Resources, extra: Resources, budget: number): boolean {
  for (let i = 0; i < options.types.length && (options.prices[i] as number) <= budget; i++) {
    if (fitsWith(base, extra, (options.types[i] as InstanceType).allocatable)) return true;
  }
  return false;
}

/** The options that pass `keep`, with their prices, in the same order. */
function filterOptions(options: PricedOptions, keep: (it: InstanceType) => boolean): PricedOptions {
  const out: PricedOptions = { types: [], prices: [] };
  options.types.forEach((it, i) => {
    if (!keep(it)) return;
    out.types.push(it);
    out.prices.push(options.prices[i] as number);
  });
  return out;
}

/** After a claim gained a pod, move it right past claims with fewer pods: the list stays ordered by pod count. */
function reposition(claims: ClaimSlot[], claim: ClaimSlot): void {
  let i = claims.indexOf(claim);
  while (i + 1 < claims.length && (claims[i + 1] as ClaimSlot).plan.pods.length < claim.plan.pods.length) {
    claims[i] = claims[i + 1] as ClaimSlot;
    claims[++i] = claim;
  }
}

/** Insert a new claim after every claim with as few pods, keeping the list ordered by pod count. */
function insertOrdered(claims: ClaimSlot[], claim: ClaimSlot): void {
  let i = claims.length;
  while (i > 0 && (claims[i - 1] as ClaimSlot).plan.pods.length > claim.plan.pods.length) i--;
  claims.splice(i, 0, claim);
}

function nodePlace(node: SchedulableNode): Place {
  return { kind: 'node', hostname: node.labels[Labels.hostname] ?? node.name, labels: node.labels };
}

/** Every domain of every topology key: existing nodes' labels, plus the zones and labels the NodePools offer. */
function topologyUniverse(nodes: SchedulableNode[], pools: PoolState[]): Map<string, Set<Domain>> {
  const universe = new Map<string, Set<Domain>>();
  const add = (key: string, value: string) => {
    let set = universe.get(key);
    if (!set) universe.set(key, (set = new Set()));
    set.add(value);
  };
  for (const node of nodes) for (const [k, v] of Object.entries(node.labels)) add(k, v);
  for (const pool of pools) {
    for (const it of pool.input.instanceTypes) {
      if (!instanceTypeCompatible(it, pool.requirements)) continue;
      for (const o of it.offerings)
        if (pool.requirements.get(Labels.zone)?.has(o.zone) ?? true) add(Labels.zone, o.zone);
      for (const r of it.requirements.values()) {
        if (r.key === Labels.zone || r.complement) continue;
        for (const v of r.values) if (pool.requirements.get(r.key)?.has(v) ?? true) add(r.key, v);
      }
    }
    for (const r of pool.requirements.values()) if (!r.complement) for (const v of r.values) add(r.key, v);
  }
  return universe;
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
