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
 *
 * The parts: existing-node.ts and planned-claim.ts (canAdd / add), new-claim.ts (a pool opening a claim),
 * pricing.ts and priced-options.ts (what options cost), claim-repack.ts (the second pass), min-values.ts and
 * limits.ts (the NodePool rules), plan.ts (input and output).
 */
import { Labels } from '../../sdk/api/well-known';
import { nameOf, type NodePool, type Pod } from '../kube/objects';
import { mergeClaims, repackClaims } from './claim-repack';
import {
  add as addToNode,
  canAdd as canAddToNode,
  nodePlace,
  nodeSlots,
  type NodeSlot,
} from './existing-node';
import { pendingByEffectiveZone } from './effective-zone';
import { hostPorts } from './host-ports';
import { clusterRemaining, openClaim } from './new-claim';
import type { SchedulingInput, SchedulingResult } from './plan';
import {
  add as addToClaim,
  canAdd as canAddToClaim,
  claimPrice,
  domainsLeft,
  insertOrdered,
  reposition,
  type ClaimContext,
  type ClaimSlot,
} from './planned-claim';
import { constraintLevels, withNodeRequirements, type PodConstraints } from './pod-constraints';
import { podKey } from './pod-requirements';
import { sortPodsForPacking } from './pod-order';
import { affordableFit, filterOptions } from './priced-options';
import { OptionPricing, type PoolState } from './pricing';
import { Requirement, Requirements } from './requirements';
import { fits, podRequests, smallestRequests, type Resources } from './resources';
import { untoleratedTaint } from './taints';
import { Topology } from './topology';
import { avoidShiftedZones, topologyDomains } from './topology-domains';

export type {
  MinValuesPolicy,
  PreferencePolicy,
  PlannedNodeClaim,
  SchedulableNode,
  SchedulingInput,
  SchedulingNodePool,
  SchedulingResult,
} from './plan';
export { minValuesShortfall, relaxMinValues } from './min-values';
export { sortPodsForPacking } from './pod-order';

/** The requirements a NodePool's claims carry: its requirements, its template labels and its own name. */
export function nodePoolRequirements(nodePool: NodePool): Requirements {
  const reqs = Requirements.fromSelectors(nodePool.spec.template.spec.requirements);
  reqs.add(Requirement.in(Labels.nodePool, [nameOf(nodePool)]));
  for (const [k, v] of Object.entries(nodePool.spec.template.metadata?.labels ?? {}))
    reqs.add(Requirement.in(k, [v]));
  return reqs;
}

export class Scheduler {
  private readonly pools: PoolState[];
  private readonly topology: Topology;
  private readonly ctx: ClaimContext;
  private claimSeq = 0;
  private readonly shapesOf = new WeakMap<PodConstraints, { req: Resources; ids: number[] }>();
  private readonly shapes = new Map<string, number>();
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
          nameOf(a.nodePool).localeCompare(nameOf(b.nodePool)),
      )
      .map((p) => ({
        input: p,
        name: nameOf(p.nodePool),
        requirements: avoidShiftedZones(nodePoolRequirements(p.nodePool), p.instanceTypes),
        taints: p.nodePool.spec.template.spec.taints ?? [],
        remaining: p.remaining ? { ...p.remaining } : undefined,
      }));
    this.topology = new Topology(topologyDomains(input.nodes, this.pools));
    this.ctx = {
      topology: this.topology,
      pricing: new OptionPricing(),
      minValuesPolicy: input.minValuesPolicy,
      cluster: clusterRemaining(input.nodePools),
    };
  }

  solve(): SchedulingResult {
    const nodes = nodeSlots(this.input.nodes, this.input.volumeLimits);
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
      const podLevels = constraintLevels(pod, {
        preferNoScheduleTaints,
        ignorePreferences: this.input.preferencePolicy === 'Ignore',
      });
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
              max = Math.max(max, this.ctx.pricing.standalonePrice(pool, alt, requestsOf(pod)));
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
    // Pods whose volumes do not resolve are ignored, as upstream: counted apart, in no zone.
    result.ignored = volumeFailures.size;
    if (this.input.effectiveZones)
      result.pendingByZone = pendingByEffectiveZone(queue, levels, this.topology);
    const lastReasons = new Map<Pod, string[]>();
    for (;;) {
      this.input.onQueue?.(queue.length);
      const failed: Pod[] = [];
      for (const pod of queue) {
        const reasons = this.place(requestsOf(pod), levels.get(pod) ?? [], nodes, claims, result);
        if (reasons) {
          failed.push(pod);
          lastReasons.set(pod, reasons);
        }
      }
      if (failed.length === 0 || failed.length === queue.length) {
        this.input.onQueue?.(failed.length);
        for (const pod of failed) {
          const reasons = lastReasons.get(pod) ?? [];
          if (nodes.length > 0) reasons.unshift(`${nodes.length} existing node(s) lack room or do not match`);
          result.unschedulable.set(podKey(pod), { pod, reasons });
        }
        break;
      }
      queue = failed;
    }
    if (this.input.repack !== false)
      this.dropClaims(repackClaims(this.ctx, this.allClaims, levels, requestsOf), result);
    if (this.input.oneNewClaim && this.allClaims.length > 1)
      this.dropClaims(mergeClaims(this.ctx, this.allClaims, levels, requestsOf), result);
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
      const fit = canAddToNode(slot, level, req, this.topology, this.input.volumeLimits);
      if (fit === undefined) continue;
      if (typeof fit === 'string') {
        if (reasons.length < 3) reasons.push(fit);
        continue;
      }
      addToNode(slot, level, req, fit, this.topology);
      const list = result.existing.get(slot.node.name) ?? [];
      list.push(level.pod);
      result.existing.set(slot.node.name, list);
      return true;
    }
    return false;
  }

  private close(claims: ClaimSlot[], claim: ClaimSlot): void {
    claims.splice(claims.indexOf(claim), 1);
    this.topology.open(claim.hostname, false);
  }

  /** The scan of planned claims, fewest pods first: the first that takes the pod within its budget gets it. */
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
      return (prices[alt] ??= this.ctx.pricing.standalonePrice(pool, podReqs, req));
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
        const budget = claimPrice(claim) + standaloneFor(claim.pool, podReqs, alt) + 1e-9;
        const fit = canAddToClaim(this.ctx, claim, level, podReqs, req, budget);
        if ('stable' in fit) {
          if (fit.stable) claim.refused.add(shape);
          continue;
        }
        addToClaim(this.ctx, claim, level, fit);
        reposition(claims, claim);
        if (this.exhausted(claim)) this.close(claims, claim);
        return true;
      }
    }
    return false;
  }

  /** Claims the repack emptied leave the plan. */
  private dropClaims(dropped: Set<ClaimSlot>, result: SchedulingResult): void {
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
    const budget = claimPrice(claim) + this.largestStandalone(claim.pool) + 1e-9;
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

  private newClaim(level: PodConstraints, req: Resources, reasons: string[]): ClaimSlot | undefined {
    if (this.pools.length === 0) {
      reasons.push('no NodePool exists');
      return undefined;
    }
    for (const pool of this.pools) {
      const outcome = openClaim(this.ctx, pool, level, req, `nodeclaim-${++this.claimSeq}`);
      if (typeof outcome !== 'string') return outcome;
      reasons.push(`NodePool "${pool.name}": ${outcome}`);
    }
    return undefined;
  }
}

/** Convenience wrapper: run one scheduling simulation. */
export function schedule(input: SchedulingInput): SchedulingResult {
  return new Scheduler(input).solve();
}
