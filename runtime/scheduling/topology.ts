/**
 * Topology for the scheduling simulation: per-domain counts of the pods each spread, affinity or anti-affinity
 * term selects, and the rules that turn those counts into allowed domains. A domain is a label value of the
 * term's topology key (a zone, a hostname). Placing a pod on a NodeClaim that could still land in several zones
 * narrows it to one, so every count stays exact.
 */
import { Labels } from '../../sdk/api/well-known';
import type { Pod } from '../kube/objects';
import { matchesSelector } from '../kube/selectors';
import type { PodConstraints, TopologyTerm } from './pod-constraints';
import { Requirement, type Requirements } from './requirements';

export type Domain = string;

/** Where a pod might go: an existing node, a claim planned this round, or a claim about to be created. */
export type Place =
  | { kind: 'node'; hostname: string; labels: Record<string, string> }
  | { kind: 'claim'; hostname: string; requirements: Requirements };

interface Group {
  key: string;
  selector: TopologyTerm['selector'];
  namespaces: Set<string>;
  counts: Map<Domain, number>;
  /** Pods counted: a group nobody has matched yet lets self-affine pods start anywhere. */
  total: number;
}

function groupId(term: TopologyTerm): string {
  return JSON.stringify([term.key, term.selector, [...term.namespaces].sort()]);
}

function selects(group: Group, pod: Pod): boolean {
  return (
    group.namespaces.has(pod.metadata.namespace ?? 'default') &&
    matchesSelector(group.selector, pod.metadata.labels ?? {})
  );
}

/**
 * `stable`: the refusal depends only on the pods already at this place (a hostname-keyed term), so it holds until
 * the place itself gains a pod.
 */
export type TopologyVerdict = { requirements: Requirement[] } | { reason: string; stable?: boolean };

export class Topology {
  /** Pods matching each term's selector, per domain. */
  private readonly groups = new Map<string, Group>();
  /** Pods that own each required anti-affinity term, per domain: the inverse check for incoming pods. */
  private readonly owners = new Map<string, Group>();
  private readonly byTerm = new WeakMap<TopologyTerm, Group>();

  /**
   * @param universe every domain each topology key can take (zones the NodePools offer, labels of existing nodes)
   */
  constructor(private readonly universe: Map<string, Set<Domain>>) {}

  /** Declare the terms of pods to be scheduled, so counts are kept for them from the start. */
  register(levels: PodConstraints[]): void {
    for (const level of levels) for (const term of level.terms) this.groupFor(term);
  }

  /** Count a pod where it was placed (or already runs). */
  record(pod: Pod, place: Place): void {
    for (const group of this.groups.values()) {
      if (!selects(group, pod)) continue;
      const d = this.domainOf(place, group.key);
      if (d !== undefined) this.bump(group, d);
    }
    for (const t of pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ??
      []) {
      const term: TopologyTerm = {
        kind: 'anti',
        key: t.topologyKey,
        selector: t.labelSelector ?? {},
        namespaces: t.namespaces?.length ? t.namespaces : [pod.metadata.namespace ?? 'default'],
        maxSkew: 0,
        honorNodeAffinity: true,
      };
      const id = groupId(term);
      let owner = this.owners.get(id);
      if (!owner) {
        owner = {
          key: term.key,
          selector: term.selector,
          namespaces: new Set(term.namespaces),
          counts: new Map(),
          total: 0,
        };
        this.owners.set(id, owner);
      }
      const d = this.domainOf(place, term.key);
      if (d !== undefined) this.bump(owner, d);
    }
  }

  /**
   * Whether the pod's terms allow this place, and the requirements that pin a claim to the domain chosen for each
   * topology key that matters to this pod.
   */
  evaluate(level: PodConstraints, place: Place): TopologyVerdict {
    const pod = level.pod;
    const allowedByKey = new Map<string, Set<Domain>>();
    const spreadKeys = new Map<string, Group>();
    const narrow = (key: string, allowed: Domain[]): void => {
      const prior = allowedByKey.get(key);
      allowedByKey.set(key, new Set(prior ? allowed.filter((d) => prior.has(d)) : allowed));
    };
    for (const term of level.terms) {
      const group = this.groupFor(term);
      const candidates = this.candidates(place, term.key);
      if (candidates.length === 0)
        return { reason: `the node has no ${term.key} label (topology ${term.kind})` };
      let allowed: Domain[];
      if (term.kind === 'spread') {
        const min = this.minCount(group, term, level);
        const self = selects(group, pod) ? 1 : 0;
        allowed = candidates.filter((d) => (group.counts.get(d) ?? 0) + self - min <= term.maxSkew);
        if (allowed.length === 0)
          return {
            reason: `topology spread on ${term.key} would exceed maxSkew ${term.maxSkew}`,
            stable: term.key === Labels.hostname,
          };
        spreadKeys.set(term.key, group);
      } else if (term.kind === 'affinity') {
        // The first pod of a self-affine group may start anywhere; after that it must join its peers.
        if (group.total === 0 && selects(group, pod)) allowed = candidates;
        else allowed = candidates.filter((d) => (group.counts.get(d) ?? 0) > 0);
        if (allowed.length === 0)
          return {
            reason: `required pod affinity on ${term.key}: no matching pod there`,
            stable: term.key === Labels.hostname,
          };
      } else {
        allowed = candidates.filter((d) => (group.counts.get(d) ?? 0) === 0);
        if (allowed.length === 0)
          return {
            reason: `required pod anti-affinity on ${term.key}: a matching pod is there`,
            stable: term.key === Labels.hostname,
          };
      }
      narrow(term.key, allowed);
      if ((allowedByKey.get(term.key)?.size ?? 0) === 0)
        return { reason: `topology terms on ${term.key} conflict` };
    }
    for (const owner of this.owners.values()) {
      if (!selects(owner, pod)) continue;
      const allowed = this.candidates(place, owner.key).filter((d) => (owner.counts.get(d) ?? 0) === 0);
      if (allowed.length === 0) {
        return {
          reason: `a running pod's required anti-affinity on ${owner.key} excludes this pod there`,
          stable: owner.key === Labels.hostname,
        };
      }
      narrow(owner.key, allowed);
    }
    if (place.kind === 'node') return { requirements: [] };
    // A claim must end up in one domain per key this pod is counted under, or its counts would be guesses.
    for (const group of this.groups.values()) {
      if (group.key !== Labels.hostname && selects(group, pod) && !allowedByKey.has(group.key)) {
        narrow(group.key, this.candidates(place, group.key));
      }
    }
    const requirements: Requirement[] = [];
    for (const [key, allowed] of allowedByKey) {
      if (key === Labels.hostname) continue;
      const spread = spreadKeys.get(key);
      const choice = [...allowed].sort(
        (a, b) =>
          (spread ? (spread.counts.get(a) ?? 0) - (spread.counts.get(b) ?? 0) : 0) || a.localeCompare(b),
      )[0];
      if (choice === undefined) return { reason: `no ${key} domain is left for this pod` };
      requirements.push(Requirement.in(key, [choice]));
    }
    return { requirements };
  }

  private groupFor(term: TopologyTerm): Group {
    // Terms are built once per pod, so identity caching spares a JSON key on every evaluation.
    const cached = this.byTerm.get(term);
    if (cached) return cached;
    const id = groupId(term);
    let group = this.groups.get(id);
    if (!group) {
      group = {
        key: term.key,
        selector: term.selector,
        namespaces: new Set(term.namespaces),
        counts: new Map(),
        total: 0,
      };
      this.groups.set(id, group);
    }
    this.byTerm.set(term, group);
    return group;
  }

  private bump(group: Group, d: Domain): void {
    group.counts.set(d, (group.counts.get(d) ?? 0) + 1);
    group.total++;
  }

  /** The domains a place offers for a key: one for a node, possibly several for a claim not yet pinned. */
  private candidates(place: Place, key: string): Domain[] {
    if (key === Labels.hostname) return [place.hostname];
    if (place.kind === 'node') {
      const v = place.labels[key];
      return v === undefined ? [] : [v];
    }
    const r = place.requirements.get(key);
    const universe = [...(this.universe.get(key) ?? [])];
    if (!r) return universe;
    if (!r.complement) return [...r.values].filter((v) => universe.length === 0 || universe.includes(v));
    return universe.filter((v) => r.has(v));
  }

  private domainOf(place: Place, key: string): Domain | undefined {
    const candidates = this.candidates(place, key);
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /** The smallest count among domains the pod could use; hostname always has an empty new node available. */
  private minCount(group: Group, term: TopologyTerm, level: PodConstraints): number {
    if (term.key === Labels.hostname) return 0;
    let domains = [...(this.universe.get(term.key) ?? [])];
    if (term.honorNodeAffinity) {
      domains = domains.filter((d) =>
        level.alternatives.some((reqs) => {
          const r = reqs.get(term.key);
          return !r || r.has(d);
        }),
      );
    }
    if (term.minDomains !== undefined && domains.length < term.minDomains) return 0;
    let min = Infinity;
    for (const d of domains) min = Math.min(min, group.counts.get(d) ?? 0);
    return min === Infinity ? 0 : min;
  }
}
