/**
 * The scheduling simulation: given pods that need a place, the nodes that exist or are launching, and the
 * NodePools that may launch more, decide where every pod goes and which NodeClaims to create. Pure: no I/O, no
 * clock, so provisioning, consolidation and previews all share it.
 *
 * Order of attempts per pod (largest pods first): existing and in-flight nodes, then NodeClaims already planned
 * in this round (fewest pods first), then a new NodeClaim from the first NodePool, by weight, that fits. Each
 * attempt honours node requirements, taints, resources, limits and topology (spread, pod affinity and
 * anti-affinity, including the anti-affinity of pods already running) and the zones its volumes allow;
 * preferences are tried as requirements first and relaxed one at a time when the pod fits nowhere, PreferNoSchedule
 * taints last.
 *
 * Speed: the scan of planned claims is the hot loop (pods × claims). What is constant for one pod is computed once
 * per scan (allowed zones, tolerations, host ports); claims that can take no pod any more leave the scan; a pod
 * whose hostname terms refuse every open claim skips it; instance-type compatibility and prices are cached per
 * distinct requirements, and a claim's options are pruned lazily (see ClaimSlot).
 */
import { Labels } from '../../sdk/api/well-known';
import { cheapestOffering, instanceTypeCompatible, type InstanceType } from '../cloudprovider/types';
import type { NodePool, Pod, Taint } from '../kube/objects';
import { constraintLevels, withNodeRequirements, type PodConstraints } from './pod-constraints';
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
import { packByPrice } from './repack';
import { formatTaint, untoleratedTaint } from './taints';
import { Topology, type Domain, type DomainsOf, type KeyDomains, type Place } from './topology';
import type { VolumeTopologyResolver } from './volume-topology';
import {
  useVolumes,
  volumeLimitExceeded,
  type NodeVolumeLimits,
  type VolumeLimits,
  type VolumesByDriver,
} from './volume-limits';

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
  /** minValues BestEffort lowered a minValues the options could not meet (requirements carry the lower value). */
  minValuesRelaxed?: boolean;
}

/**
 * What to do when a claim's options cannot keep a requirement's minValues distinct values: refuse (Strict), or
 * lower minValues to what is left and say so (BestEffort). Karpenter's MIN_VALUES_POLICY.
 */
export type MinValuesPolicy = 'Strict' | 'BestEffort';

export interface SchedulingInput {
  pods: Pod[];
  nodes: SchedulableNode[];
  nodePools: SchedulingNodePool[];
  /**
   * The node requirements each pod's volumes impose (zonal PersistentVolumes, WaitForFirstConsumer
   * StorageClasses' allowedTopologies); see volume-topology.ts.
   * @default volumes impose nothing
   */
  volumeTopology?: VolumeTopologyResolver;
  /**
   * CSI volume attach limits of existing nodes and the volumes each pod needs; see volume-limits.ts.
   * @default no limits
   */
  volumeLimits?: VolumeLimits;
  /** @default 'Strict' */
  minValuesPolicy?: MinValuesPolicy;
  /**
   * Pack the pods of interchangeable planned claims again by price (see Scheduler.repack); off gives the first
   * pass's plan, for comparison.
   * @default true
   */
  repack?: boolean;
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
  /** Host ports in use, read from its pods only when a pod with host ports looks at the node. */
  hostPorts?: Set<string>;
  /** The node's attach limits and the volumes in use, counting pods placed this round; absent: unlimited. */
  volumes?: NodeVolumeLimits;
}

interface ClaimSlot {
  plan: PlannedNodeClaim;
  pool: PoolState;
  /** The hostname domain this claim stands for in topology counts. */
  hostname: string;
  /**
   * The options with their prices, cheapest first. Entries from `first` on are a superset of the options that
   * still fit the claim (pruned lazily: requests only grow, so a stale entry never fits again), and
   * options[first] is always the cheapest that fits; solve() trims the rest into the plan at the end.
   */
  options: PricedOptions;
  first: number;
  /** The zone the claim is pinned to, if one: the common topology test reads it without a requirements lookup. */
  zone: string | undefined;
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

/** String.prototype.localeCompare's order (the same collation), without building a collator per comparison. */
const compareText = new Intl.Collator().compare;

/** Pods sorted the way Karpenter packs them: CPU descending, then memory descending, then name for stability. */
export function sortPodsForPacking(pods: Pod[], requestsOf: (pod: Pod) => Resources = podRequests): Pod[] {
  const withReq = pods.map((pod) => ({ pod, req: requestsOf(pod), key: podKey(pod) }));
  withReq.sort(
    (a, b) =>
      (b.req.cpu ?? 0) - (a.req.cpu ?? 0) ||
      (b.req.memory ?? 0) - (a.req.memory ?? 0) ||
      compareText(a.key, b.key),
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

/** Each instance type's cheapest offering under some requirements, or null when it is incompatible with them. */
type PriceOf = (it: InstanceType) => number | null;

function sortByPrice(types: InstanceType[], priceOf: PriceOf): PricedOptions {
  const priced = types.map((it) => ({ it, price: priceOf(it) ?? Infinity }));
  priced.sort((a, b) => a.price - b.price || compareText(a.it.name, b.it.name));
  return { types: priced.map((p) => p.it), prices: priced.map((p) => p.price) };
}

function describeResources(r: Resources): string {
  const parts: string[] = [];
  if (r.cpu !== undefined) parts.push(`cpu=${formatCpu(r.cpu)}`);
  if (r.memory !== undefined) parts.push(`memory=${Math.ceil(r.memory / 2 ** 20)}Mi`);
  for (const [k, v] of Object.entries(r)) if (!['cpu', 'memory', 'pods'].includes(k)) parts.push(`${k}=${v}`);
  return parts.join(', ');
}

/** " in zone a": the zone a claim is pinned to (by the pod, its volumes or its topology), for explanations. */
function where(reqs: Requirements): string {
  const zone = reqs.get(Labels.zone)?.single;
  return zone ? ` in zone ${zone}` : '';
}

function limitNeed(it: InstanceType, key: string): number {
  return key === 'nodes' ? 1 : (it.capacity[key] ?? 0);
}

/**
 * Which NodePool limit stops every instance type that fits: "NodePool limit cpu=3 reached (remaining cpu=1; the
 * smallest fitting instance type needs cpu=2)". Limits that only bind together are listed with what remains.
 */
function limitReason(pool: PoolState, fitting: InstanceType[]): string {
  const remaining = pool.remaining ?? {};
  const limits = pool.input.nodePool.spec.limits ?? {};
  const blocking = Object.entries(remaining).filter(([k, left]) =>
    fitting.every((it) => limitNeed(it, k) > left),
  );
  if (blocking.length === 0) return `NodePool limits reached (remaining ${describeResources(remaining)})`;
  return blocking
    .map(([k, left]) => {
      const limit = limits[k] !== undefined ? `${k}=${limits[k]}` : k;
      const need = Math.min(...fitting.map((it) => limitNeed(it, k)));
      return (
        `NodePool limit ${limit} reached (remaining ${describeResources({ [k]: left })}; ` +
        `the smallest fitting instance type needs ${describeResources({ [k]: need })})`
      );
    })
    .join('; ');
}

function withinLimits(it: InstanceType, remaining: Resources | undefined): boolean {
  if (!remaining) return true;
  for (const [k, left] of Object.entries(remaining)) if (limitNeed(it, k) > left) return false;
  return true;
}

export class Scheduler {
  private readonly pools: PoolState[];
  private readonly topology: Topology;
  private claimSeq = 0;
  private readonly standalone = new Map<string, number>();
  private readonly shapesOf = new WeakMap<PodConstraints, { req: Resources; ids: number[] }>();
  private readonly shapes = new Map<string, number>();
  /** Per requirements (by their text, which fixes compatibility and prices): see priceUnder. */
  private readonly prices = new Map<string, Map<InstanceType, number | null>>();
  private readonly poolOptions = new Map<string, PricedOptions>();
  /** Every claim planned; the `claims` list the pods scan drops those that can take no more pods. */
  private readonly allClaims: ClaimSlot[] = [];
  /** A lower bound of every pod's requests, and (per pool) the dearest node any pod alone would need. */
  private smallest: Resources = {};
  private largestStandalone: (pool: PoolState) => number = () => Infinity;
  private readonly maxStandalone = new Map<PoolState, number>();

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
    this.topology = new Topology(topologyDomains(input.nodes, this.pools));
  }

  solve(): SchedulingResult {
    const nodes: NodeSlot[] = this.input.nodes.map((node) => {
      const limits = this.input.volumeLimits?.nodes.get(node.name);
      return {
        node,
        requested: { ...node.requested },
        ...(limits ? { volumes: { limits: limits.limits, inUse: cloneVolumes(limits.inUse) } } : {}),
      };
    });
    const claims: ClaimSlot[] = [];
    const result: SchedulingResult = { existing: new Map(), newNodeClaims: [], unschedulable: new Map() };
    // Requests are computed once per pod: sorting and every placement attempt (retries included) reuse them.
    const requests = new Map(this.input.pods.map((pod) => [pod, podRequests(pod)]));
    const requestsOf = (pod: Pod) => requests.get(pod) as Resources;
    const pods = sortPodsForPacking(this.input.pods, requestsOf);
    const preferNoScheduleTaints = [
      ...this.pools.map((p) => p.taints),
      ...nodes.map((n) => n.node.taints),
    ].some((taints) => taints.some((t) => t.effect === 'PreferNoSchedule'));
    const levels = new Map<Pod, PodConstraints[]>();
    const volumeFailures = new Set<Pod>();
    for (const pod of pods) {
      const podLevels = constraintLevels(pod, { preferNoScheduleTaints });
      const volumes = this.input.volumeTopology?.(pod);
      if (volumes && 'reason' in volumes) {
        // Nothing to decide until the volume exists: the reason is the pod's answer.
        result.unschedulable.set(podKey(pod), { pod, reasons: [volumes.reason] });
        volumeFailures.add(pod);
        continue;
      }
      const withVolumes = volumes ? withNodeRequirements(podLevels, volumes.requirements) : podLevels;
      const loosest = withVolumes[withVolumes.length - 1];
      if (
        volumes?.requirements.length &&
        loosest?.alternatives.every((a) => a.values().some((r) => r.isEmpty()))
      ) {
        const needs = volumes.requirements.map((r) => r.toString()).join(', ');
        result.unschedulable.set(podKey(pod), {
          pod,
          reasons: [`its volumes need ${needs}, which its node selector or affinity excludes`],
        });
        volumeFailures.add(pod);
        continue;
      }
      levels.set(pod, withVolumes);
    }
    for (const l of levels.values()) this.topology.register(l);
    this.smallest = smallestRequests(pods.map(requestsOf));
    this.largestStandalone = (pool) => {
      let max = this.maxStandalone.get(pool);
      if (max === undefined) {
        max = 0;
        for (const pod of pods)
          for (const level of levels.get(pod) ?? [])
            for (const alt of level.alternatives)
              max = Math.max(max, this.standalonePrice(pool, alt, requestsOf(pod)));
        this.maxStandalone.set(pool, max);
      }
      return max;
    };
    for (const slot of nodes) {
      if (!slot.node.pods?.length) continue;
      const place = nodePlace(slot.node);
      for (const pod of slot.node.pods) this.topology.record(pod, place);
    }

    // A pod that fails may succeed once later pods are placed (pod affinity to a group sorted after it), so
    // failures go round again until a full pass places nothing new.
    let queue = volumeFailures.size ? pods.filter((p) => !volumeFailures.has(p)) : pods;
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
    if (this.input.repack !== false) this.repack(levels, requestsOf, result);
    for (const claim of this.allClaims) {
      claim.plan.instanceTypeOptions = filterOptions(claim.options, claim.first, (it) =>
        fits(claim.plan.requests, it.allocatable),
      ).types;
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
        this.allClaims.push(claim);
        insertOrdered(claims, claim);
        if (this.exhausted(claim)) this.close(claims, claim);
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
      // Room first: it rejects most nodes without allocating, and podFitsNode would refuse them all the same.
      if (!fitsWith(slot.requested, req, slot.node.allocatable)) continue;
      if (podFitsNode(level.pod, req, { ...slot.node, requested: slot.requested }, level.alternatives))
        continue;
      const avoided = untoleratedTaint(level.tolerations, slot.node.taints, { preferNoSchedule: true });
      if (avoided) {
        if (reasons.length < 3)
          reasons.push(`node ${slot.node.name}: taint ${formatTaint(avoided)} is avoided`);
        continue;
      }
      const ports = hostPorts(level.pod);
      if (ports.length) slot.hostPorts ??= usedHostPorts(slot.node.pods ?? []);
      const port = slot.hostPorts && hostPortConflict(level.pod, slot.hostPorts);
      if (port) {
        if (reasons.length < 3) reasons.push(`node ${slot.node.name}: host port ${port} is in use`);
        continue;
      }
      const volumes = slot.volumes && this.input.volumeLimits?.podVolumes(level.pod);
      const full = volumes && slot.volumes && volumeLimitExceeded(volumes, slot.volumes);
      if (full) {
        if (reasons.length < 3) reasons.push(`node ${slot.node.name}: ${full}`);
        continue;
      }
      const place = nodePlace(slot.node);
      const verdict = this.topology.evaluate(level, place);
      if ('reason' in verdict) {
        if (reasons.length < 3) reasons.push(`node ${slot.node.name}: ${verdict.reason}`);
        continue;
      }
      slot.requested = add(slot.requested, req);
      for (const port of ports) slot.hostPorts?.add(port);
      if (volumes && slot.volumes) useVolumes(slot.volumes.inUse, volumes);
      const list = result.existing.get(slot.node.name) ?? [];
      list.push(level.pod);
      result.existing.set(slot.node.name, list);
      this.topology.record(level.pod, place);
      return true;
    }
    return false;
  }

  private close(claims: ClaimSlot[], claim: ClaimSlot): void {
    claims.splice(claims.indexOf(claim), 1);
    this.topology.open(claim.hostname, false);
  }

  private placeOnPlannedClaim(level: PodConstraints, req: Resources, claims: ClaimSlot[]): boolean {
    // A one-per-node pod facing claims that all hold a peer already: nothing to scan.
    if (this.topology.blockedEverywhere(level)) return false;
    // `claims` is kept ordered by pod count, fewest first (see reposition), so no sort per pod.
    // Per alternative: the pod's "shape" (requests and node requirements) and what a node of its own would cost.
    let known = this.shapesOf.get(level);
    if (!known || known.req !== req) {
      known = { req, ids: level.alternatives.map((podReqs) => this.shapeId(req, podReqs, level)) };
      this.shapesOf.set(level, known);
    }
    const shapes = known.ids;
    const standalone = new Map<PoolState, number[]>();
    const standaloneFor = (pool: PoolState, podReqs: Requirements, alt: number): number => {
      let prices = standalone.get(pool);
      if (!prices) standalone.set(pool, (prices = []));
      return (prices[alt] ??= this.standalonePrice(pool, podReqs, req));
    };
    // Constant while this pod looks for a claim: what its tolerations make of each pool's taints, its host
    // ports, and the zones (or other non-hostname domains) its topology terms still allow.
    const tolerated = new Map<PoolState, boolean>();
    const ports = hostPorts(level.pod);
    const allowed = [...this.topology.allowedDomains(level)];
    const zonesOnly = allowed.length === 1 && allowed[0]?.[0] === Labels.zone ? allowed[0][1] : undefined;
    for (const claim of claims) {
      if (claim.plan.taints.length) {
        let ok = tolerated.get(claim.pool);
        if (ok === undefined) {
          ok = !untoleratedTaint(level.tolerations, claim.plan.taints, { preferNoSchedule: true });
          tolerated.set(claim.pool, ok);
        }
        if (!ok) continue;
      }
      if (ports.length && ports.some((p) => claim.hostPorts.has(p))) continue;
      if (zonesOnly && claim.zone !== undefined) {
        if (!zonesOnly.has(claim.zone)) continue;
      } else if (allowed.length && !domainsLeft(allowed, claim.plan.requirements)) continue;
      for (let alt = 0; alt < level.alternatives.length; alt++) {
        const podReqs = level.alternatives[alt] as Requirements;
        // A claim that had no affordable room for this shape still has none until it changes: pods of one shape
        // come one after another (they are sorted by size), so this skips most of the work on full claims.
        const shape = shapes[alt] as number;
        if (claim.refused.has(shape)) continue;
        // Growing a claim onto a pricier type must not cost more than giving the pod a node of its own, so only
        // the affordable prefix of the (price-ordered) options can take it. Narrowing requirements only removes
        // options or raises prices, so this cheap test comes first and rejects most full claims outright.
        const budget =
          (claim.options.prices[claim.first] ?? Infinity) + standaloneFor(claim.pool, podReqs, alt) + 1e-9;
        if (!affordableFit(claim.options, claim.first, claim.plan.requests, req, budget)) {
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
        let sorted = claim.options;
        let first: number;
        if (!claim.pool.remaining) {
          // The claim's options are the pool's types compatible with its requirements (a cached, price-ordered
          // list when they just narrowed), of which the cheapest that fits decides the budget test, and those
          // that fit the minValues count (entries before `first` fit no more).
          if (narrowed) sorted = this.compatibleOptions(claim.pool, merged);
          first = firstFitting(sorted, narrowed ? 0 : claim.first, total);
          if (first < 0 || (sorted.prices[first] as number) > budget) continue;
          if (hasMinValues(merged)) {
            const fitting = (it: InstanceType) => fits(total, it.allocatable);
            if (minValuesShortfall(sorted.types, merged, fitting)) {
              if (this.input.minValuesPolicy !== 'BestEffort') continue;
              merged = relaxMinValues(sorted.types, merged, fitting);
              claim.plan.minValuesRelaxed = true;
            }
          }
        } else if (narrowed || hasMinValues(merged)) {
          // Limits fixed the options at creation, and a minValues count needs the exact remaining options.
          const priceOf = narrowed ? this.priceUnder(merged) : undefined;
          const keep = (it: InstanceType) =>
            fits(total, it.allocatable) && (!priceOf || priceOf(it) !== null);
          const kept = filterOptions(claim.options, claim.first, keep);
          if (kept.types.length === 0) continue;
          sorted = priceOf ? sortByPrice(kept.types, priceOf) : kept;
          first = 0;
          if ((sorted.prices[0] ?? Infinity) > budget) continue;
          if (minValuesShortfall(sorted.types, merged)) {
            if (this.input.minValuesPolicy !== 'BestEffort') continue;
            merged = relaxMinValues(sorted.types, merged);
            claim.plan.minValuesRelaxed = true;
          }
        } else {
          first = firstFitting(claim.options, claim.first, total);
          if (first < 0 || (claim.options.prices[first] as number) > budget) continue;
        }
        claim.plan.requirements = merged;
        claim.zone = merged.get(Labels.zone)?.single;
        claim.plan.requests = total;
        claim.plan.pods.push(level.pod);
        for (const port of hostPorts(level.pod)) claim.hostPorts.add(port);
        claim.options = sorted;
        claim.first = first;
        claim.refused.clear();
        this.topology.record(level.pod, { kind: 'claim', hostname: claim.hostname, requirements: merged });
        reposition(claims, claim);
        if (this.exhausted(claim)) this.close(claims, claim);
        return true;
      }
    }
    return false;
  }

  /**
   * Pack again, by price, the pods of planned claims that could trade places: claims of one NodePool (without
   * limits) with the same requirements, holding only pods that no topology term counts per hostname, with no host
   * ports and no terms of their own. Each such set of claims is replaced only when the repacked plan costs less
   * and needs no more nodes, so consolidation never sees a plan ask for more than the first pass did.
   */
  private repack(
    levels: Map<Pod, PodConstraints[]>,
    requestsOf: (pod: Pod) => Resources,
    result: SchedulingResult,
  ): void {
    const movable = (pod: Pod) =>
      (levels.get(pod) ?? []).every((level) => level.terms.length === 0) &&
      hostPorts(pod).length === 0 &&
      !this.topology.countedPerHostname(pod);
    const buckets = new Map<string, ClaimSlot[]>();
    for (const claim of this.allClaims) {
      if (claim.pool.remaining || claim.plan.minValuesRelaxed || !claim.plan.pods.every(movable)) continue;
      const key = `${claim.pool.name}|${claim.plan.requirements.toString()}`;
      const bucket = buckets.get(key);
      if (bucket) bucket.push(claim);
      else buckets.set(key, [claim]);
    }
    const dropped = new Set<ClaimSlot>();
    for (const bucket of buckets.values()) {
      if (bucket.length < 2) continue;
      const { pool, plan } = bucket[0] as ClaimSlot;
      const options = this.compatibleOptions(pool, plan.requirements);
      const items = bucket.flatMap((c) => c.plan.pods.map((pod) => ({ item: pod, req: requestsOf(pod) })));
      const bins = packByPrice(
        items,
        options.types.map((it, i) => ({ allocatable: it.allocatable, price: options.prices[i] as number })),
        pool.input.daemonOverhead,
      );
      if (!bins || bins.length > bucket.length) continue;
      const totals = bins.map((bin) => add(pool.input.daemonOverhead, bin.requests));
      const firsts = totals.map((total) => firstFitting(options, 0, total));
      if (firsts.some((f) => f < 0)) continue;
      if (
        hasMinValues(plan.requirements) &&
        totals.some((total) =>
          minValuesShortfall(options.types, plan.requirements, (it) => fits(total, it.allocatable)),
        )
      )
        continue;
      const before = bucket.reduce((sum, c) => sum + (c.options.prices[c.first] as number), 0);
      const after = firsts.reduce((sum, f) => sum + (options.prices[f] as number), 0);
      if (!(after < before - 1e-9)) continue;
      bucket.forEach((claim, i) => {
        const bin = bins[i];
        const first = firsts[i];
        if (!bin || first === undefined) {
          dropped.add(claim);
          return;
        }
        claim.plan.pods = bin.items;
        claim.plan.requests = totals[i] as Resources;
        claim.options = options;
        claim.first = first;
      });
    }
    if (dropped.size === 0) return;
    const kept = this.allClaims.filter((c) => !dropped.has(c));
    this.allClaims.length = 0;
    this.allClaims.push(...kept);
    const droppedPlans = new Set([...dropped].map((c) => c.plan));
    result.newNodeClaims = result.newNodeClaims.filter((plan) => !droppedPlans.has(plan));
  }

  /**
   * No pod of this solve can join the claim any more: even the smallest requests find no room within the largest
   * budget any pod could bring (see the affordable-prefix test), and the claim only ever fills up.
   */
  private exhausted(claim: ClaimSlot): boolean {
    const budget =
      (claim.options.prices[claim.first] ?? Infinity) + this.largestStandalone(claim.pool) + 1e-9;
    if (budget === Infinity) return false;
    return !affordableFit(claim.options, claim.first, claim.plan.requests, this.smallest, budget);
  }

  /**
   * A small integer naming what decides where a pod fits (requests, node requirements, topology terms, labels):
   * pods with equal shapes are refused by a claim alike.
   */
  private shapeId(req: Resources, podReqs: Requirements, level: PodConstraints): number {
    // A term's group (its key, selector and namespaces) is named by a number, so no selector is serialised here.
    const topology = level.terms.map((t) => [t.kind, this.topology.groupNumber(t), t.maxSkew, t.minDomains]);
    const { labels, namespace } = level.pod.metadata;
    const key = JSON.stringify([req, podReqs.toString(), topology, labels, namespace]);
    let id = this.shapes.get(key);
    if (id === undefined) this.shapes.set(key, (id = this.shapes.size));
    return id;
  }

  /**
   * Compatibility and cheapest offering of instance types under `reqs`, computed once per distinct requirements:
   * claims pinned to the same zone (or nothing) share them, so placements and new claims skip the offering scans.
   */
  private priceUnder(reqs: Requirements): PriceOf {
    const key = reqs.toString();
    let known = this.prices.get(key);
    if (!known) this.prices.set(key, (known = new Map()));
    const cache = known;
    return (it) => {
      let price = cache.get(it);
      if (price === undefined) {
        price = instanceTypeCompatible(it, reqs) ? (cheapestOffering(it, reqs)?.price ?? Infinity) : null;
        cache.set(it, price);
      }
      return price;
    };
  }

  /** The pool's instance types compatible with `merged`, cheapest first (cached per pool and requirements). */
  private compatibleOptions(pool: PoolState, merged: Requirements): PricedOptions {
    const key = `${pool.name}|${merged.toString()}`;
    let options = this.poolOptions.get(key);
    if (!options) {
      const priceOf = this.priceUnder(merged);
      options = sortByPrice(
        pool.input.instanceTypes.filter((it) => priceOf(it) !== null),
        priceOf,
      );
      this.poolOptions.set(key, options);
    }
    return options;
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
    const taint = untoleratedTaint(level.tolerations, pool.taints, { preferNoSchedule: true });
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
      const compatible = this.compatibleOptions(pool, merged);
      if (compatible.types.length === 0) {
        lastReason = `no instance type satisfies requirements [${merged.toString()}]`;
        continue;
      }
      // Without limits the options stay the shared compatible list (see ClaimSlot.first).
      const lazy = !pool.remaining;
      const fitsTotal = (it: InstanceType) => fits(total, it.allocatable);
      const first = firstFitting(compatible, 0, total);
      const fitting =
        lazy || first < 0 ? compatible : filterOptions(compatible, 0, (it) => fits(total, it.allocatable));
      if (first < 0) {
        const largest = compatible.types.reduce((a, b) =>
          (a.allocatable.cpu ?? 0) >= (b.allocatable.cpu ?? 0) ? a : b,
        );
        lastReason =
          `no instance type${where(merged)} has enough resources for ${describeResources(total)} ` +
          `(largest compatible: ${largest.name} with ${describeResources(largest.allocatable)} allocatable; ` +
          `short of ${exceeded(total, largest.allocatable).join(', ')})`;
        continue;
      }
      const options = pool.remaining
        ? filterOptions(fitting, 0, (it) => withinLimits(it, pool.remaining))
        : fitting;
      if (options.types.length === 0) {
        lastReason = limitReason(pool, fitting.types);
        continue;
      }
      const shortfall = minValuesShortfall(options.types, merged, lazy ? fitsTotal : undefined);
      let relaxed = false;
      if (shortfall) {
        if (this.input.minValuesPolicy !== 'BestEffort') {
          lastReason = shortfall;
          continue;
        }
        merged = relaxMinValues(options.types, merged, lazy ? fitsTotal : undefined);
        relaxed = true;
      }
      if (pool.remaining) {
        // Reserve the largest capacity this claim might launch, so the pool never overshoots its limits.
        for (const k of Object.keys(pool.remaining)) {
          const need = k === 'nodes' ? 1 : Math.max(...options.types.map((it) => it.capacity[k] ?? 0));
          pool.remaining[k] = (pool.remaining[k] as number) - need;
        }
      }
      this.topology.open(hostname, true);
      this.topology.record(level.pod, { kind: 'claim', hostname, requirements: merged });
      return {
        pool,
        hostname,
        options,
        first: lazy ? first : 0,
        zone: merged.get(Labels.zone)?.single,
        hostPorts: usedHostPorts([level.pod]),
        refused: new Set(),
        plan: {
          nodePoolName: pool.name,
          requirements: merged,
          taints: pool.taints,
          pods: [level.pod],
          requests: total,
          instanceTypeOptions: lazy ? [] : options.types,
          ...(relaxed ? { minValuesRelaxed: true } : {}),
        },
      };
    }
    return lastReason;
  }
}

/**
 * Why the options cannot honour a requirement's minValues (the launch must keep that many distinct values of the
 * key open), or undefined when they can. Karpenter's Strict policy: a plan that would fall short is refused.
 * `keep` picks the options that count, when the list holds some that no longer fit.
 */
export function minValuesShortfall(
  options: InstanceType[],
  reqs: Requirements,
  keep?: (it: InstanceType) => boolean,
): string | undefined {
  for (const r of reqs.values()) {
    if (!r.minValues) continue;
    const distinct = distinctValues(options, r, r.minValues, keep);
    if (distinct < r.minValues) {
      return `minValues ${r.minValues} for ${r.key} cannot be met (${distinct} value(s) left)`;
    }
  }
  return undefined;
}

/**
 * Every key the pod's topology restricts still has an allowed domain the claim's requirements accept; when not,
 * the topology evaluation would refuse the claim.
 */
function domainsLeft(allowed: [string, Set<Domain>][], reqs: Requirements): boolean {
  for (const [key, domains] of allowed) {
    const r = reqs.get(key);
    if (!r) {
      if (domains.size === 0) return false;
      continue;
    }
    let any = false;
    if (r.complement) {
      for (const d of domains) if (r.has(d)) any = true;
    } else if (r.single !== undefined) {
      any = domains.has(r.single);
    } else {
      for (const d of r.values) if (domains.has(d) && r.has(d)) any = true;
    }
    if (!any) return false;
  }
  return true;
}

/** minValues BestEffort: each minValues the options cannot meet lowered to the distinct values they still offer. */
export function relaxMinValues(
  options: InstanceType[],
  reqs: Requirements,
  keep?: (it: InstanceType) => boolean,
): Requirements {
  return new Requirements(
    reqs.values().map((r) => {
      if (!r.minValues) return r;
      const n = distinctValues(options, r, r.minValues, keep);
      return n >= r.minValues ? r : r.withMinValues(n > 0 ? n : undefined);
    }),
  );
}

/**
 * How many distinct values of the requirement's key the options (those `keep` accepts) offer; counting stops at
 * `enough`.
 */
function distinctValues(
  options: InstanceType[],
  r: Requirement,
  enough: number,
  keep?: (it: InstanceType) => boolean,
): number {
  const distinct = new Set<string>();
  for (const it of options) {
    if (keep && !keep(it)) continue;
    if (r.key === Labels.instanceType) distinct.add(it.name);
    else for (const v of it.requirements.get(r.key)?.values ?? []) if (r.has(v)) distinct.add(v);
    if (distinct.size >= enough) break;
  }
  return distinct.size;
}

/** Per resource, the least any pod requests (0 when some pod requests none of it): a lower bound of every pod. */
function smallestRequests(requests: Resources[]): Resources {
  const out: Resources = {};
  const first = requests[0];
  if (!first) return out;
  for (const k of Object.keys(first)) {
    let min = Infinity;
    for (const r of requests) min = Math.min(min, r[k] ?? 0);
    if (min > 0) out[k] = min;
  }
  return out;
}

/** Some option priced within budget can hold base + extra (options are in price order: stop at the budget). */
function affordableFit(
  options: PricedOptions,
  from: number,
  base: Resources,
  extra: Resources,
  budget: number,
): boolean {
  for (let i = from; i < options.types.length && (options.prices[i] as number) <= budget; i++) {
    if (fitsWith(base, extra, (options.types[i] as InstanceType).allocatable)) return true;
  }
  return false;
}

/** The options from index `from` that pass `keep`, with their prices, in the same order. */
function filterOptions(
  options: PricedOptions,
  from: number,
  keep: (it: InstanceType) => boolean,
): PricedOptions {
  const out: PricedOptions = { types: [], prices: [] };
  for (let i = from; i < options.types.length; i++) {
    const it = options.types[i] as InstanceType;
    if (!keep(it)) continue;
    out.types.push(it);
    out.prices.push(options.prices[i] as number);
  }
  return out;
}

/** Index of the cheapest option from `from` on that holds `total`, or -1. */
function firstFitting(options: PricedOptions, from: number, total: Resources): number {
  for (let i = from; i < options.types.length; i++) {
    if (fits(total, (options.types[i] as InstanceType).allocatable)) return i;
  }
  return -1;
}

const minValuesCache = new WeakMap<Requirements, boolean>();
/** Some requirement carries minValues (cached: claims keep the same requirements object for many attempts). */
function hasMinValues(reqs: Requirements): boolean {
  let has = minValuesCache.get(reqs);
  if (has === undefined) minValuesCache.set(reqs, (has = reqs.values().some((r) => r.minValues)));
  return has;
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

/**
 * Every domain of a topology key: existing nodes' labels, plus the zones and labels the NodePools offer; and the
 * taints of whatever offers each domain. Worked out per key on first use: most simulations ask for a key or two,
 * or none, and reading every label of thousands of nodes in every consolidation simulation was a large share of
 * its time. Per key, domains and taints come in the same order an eager pass over every key would give.
 */
function topologyDomains(nodes: SchedulableNode[], pools: PoolState[]): DomainsOf {
  const known = new Map<string, KeyDomains>();
  // Taint lists are only read for what they contain: one shared list per distinct content keeps a domain that
  // thousands of nodes offer at a few entries (an `includes` per node would be quadratic).
  const interned = new Map<string, Taint[]>();
  const intern = (taints: Taint[]): Taint[] => {
    const key = taints.length === 0 ? '' : JSON.stringify(taints);
    const shared = interned.get(key) ?? taints;
    interned.set(key, shared);
    return shared;
  };
  let compatible: Map<PoolState, InstanceType[]> | undefined;
  return (key) => {
    const cached = known.get(key);
    if (cached) return cached;
    const domains = new Set<Domain>();
    const sources = new Map<Domain, Taint[][]>();
    const add = (value: string, taints: Taint[]) => {
      domains.add(value);
      const list = sources.get(value);
      if (!list) sources.set(value, [taints]);
      else if (!list.includes(taints)) list.push(taints);
    };
    for (const node of nodes) {
      if (Object.hasOwn(node.labels, key)) add(node.labels[key] as string, intern(node.taints));
    }
    compatible ??= new Map(
      pools.map((pool) => [
        pool,
        pool.input.instanceTypes.filter((it) => instanceTypeCompatible(it, pool.requirements)),
      ]),
    );
    for (const pool of pools) {
      const allowed = pool.requirements.get(key);
      for (const it of compatible.get(pool) ?? []) {
        if (key === Labels.zone) {
          for (const o of it.offerings) if (allowed?.has(o.zone) ?? true) add(o.zone, pool.taints);
          continue;
        }
        const r = it.requirements.get(key);
        if (r && !r.complement) for (const v of r.values) if (allowed?.has(v) ?? true) add(v, pool.taints);
      }
      if (allowed && !allowed.complement) for (const v of allowed.values) add(v, pool.taints);
    }
    const out = { domains, sources };
    known.set(key, out);
    return out;
  };
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

function cloneVolumes(volumes: VolumesByDriver): VolumesByDriver {
  return new Map([...volumes].map(([driver, ids]) => [driver, new Set(ids)]));
}
