/**
 * Topology for the scheduling simulation: per-domain counts of the pods each spread, affinity or anti-affinity
 * term selects, and the rules that turn those counts into allowed domains. A domain is a label value of the
 * term's topology key (a zone, a hostname). Placing a pod on a NodeClaim that could still land in several zones
 * narrows it to one, so every count stays exact.
 */
import { Labels } from '../../sdk/api/well-known';
import type { Pod, Taint } from '../kube/objects';
import { matchesSelector } from '../kube/selectors';
import type { PodConstraints, TopologyTerm } from './pod-constraints';
import { Requirement, type Requirements } from './requirements';
import { untoleratedTaint } from './taints';

export type Domain = string;

/**
 * Every domain a topology key can take (labels of existing nodes, zones and labels the NodePools offer), and per
 * domain the taints of each node or NodePool that offers it: nodeTaintsPolicy Honor counts a domain only when the
 * pod tolerates one of them.
 */
export interface KeyDomains {
  domains: ReadonlySet<Domain>;
  sources: ReadonlyMap<Domain, Taint[][]>;
}

/** The domains of one key, asked for only when a term or a running pod's anti-affinity uses the key. */
export type DomainsOf = (key: string) => KeyDomains;

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
  /** Hostname groups: how many open places (see `open`) hold at least one counted pod. */
  openWithPods?: number;
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

const NO_GROUPS: ReadonlySet<Group> = new Set();

/**
 * What decides which groups select a pod: its namespace and labels. Kept per pod object across Topology instances,
 * since each scheduling simulation (a consolidation check runs many) starts a new one over the same pods.
 */
const signatures = new WeakMap<Pod, string>();
function selectionSignature(pod: Pod): string {
  let s = signatures.get(pod);
  if (s === undefined) {
    s = JSON.stringify([pod.metadata.namespace ?? 'default', pod.metadata.labels ?? {}]);
    signatures.set(pod, s);
  }
  return s;
}

export class Topology {
  /** Pods matching each term's selector, per domain. */
  private readonly groups = new Map<string, Group>();
  /** Pods that own each required anti-affinity term, per domain: the inverse check for incoming pods. */
  private readonly owners = new Map<string, Group>();
  private readonly byTerm = new WeakMap<TopologyTerm, Group>();
  /**
   * Caches for the evaluation hot path. Which groups select a pod only changes when a group is added (`groupsGen`,
   * `ownersGen`); a spread term's minimum count only changes when a count does (`countsVersion`).
   */
  private groupsGen = 0;
  private ownersGen = 0;
  private countsVersion = 0;
  private readonly selecting = new WeakMap<Pod, { gen: number; groups: Set<Group> }>();
  private readonly openPlaces = new Set<string>();
  private readonly groupNumbers = new Map<Group, number>();
  private readonly selectingBySignature = new Map<string, { gen: number; groups: Set<Group> }>();
  private readonly owning = new WeakMap<Pod, { gen: number; owners: Group[] }>();
  private readonly mins = new WeakMap<
    TopologyTerm,
    { version: number; level: PodConstraints; min: number }
  >();
  private readonly domains = new Map<string, { list: Domain[]; set: ReadonlySet<Domain> }>();

  constructor(private readonly domainsOf: DomainsOf) {}

  /** Declare the terms of pods to be scheduled, so counts are kept for them from the start. */
  register(levels: PodConstraints[]): void {
    for (const level of levels) for (const term of level.terms) this.groupFor(term);
  }

  /** Count a pod where it was placed (or already runs). */
  record(pod: Pod, place: Place): void {
    for (const group of this.groupsSelecting(pod)) {
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
        this.ownersGen++;
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
    // Groups first (an unregistered term creates its group), so the pod's selecting set includes them.
    for (const term of level.terms) this.groupFor(term);
    const selected = this.groupsSelecting(pod);
    for (const term of level.terms) {
      const group = this.groupFor(term);
      const candidates = this.candidates(place, term.key);
      if (candidates.length === 0)
        return { reason: `the node has no ${term.key} label (topology ${term.kind})` };
      let allowed: Domain[];
      if (term.kind === 'spread') {
        const min = this.cachedMinCount(group, term, level);
        const self = selected.has(group) ? 1 : 0;
        allowed = candidates.filter((d) => (group.counts.get(d) ?? 0) + self - min <= term.maxSkew);
        if (allowed.length === 0)
          return {
            reason: `topology spread on ${term.key} would exceed maxSkew ${term.maxSkew}`,
            stable: term.key === Labels.hostname,
          };
        spreadKeys.set(term.key, group);
      } else if (term.kind === 'affinity') {
        // The first pod of a self-affine group may start anywhere; after that it must join its peers.
        if (group.total === 0 && selected.has(group)) allowed = candidates;
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
    for (const owner of this.ownersSelecting(pod)) {
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
    for (const group of selected) {
      if (group.key !== Labels.hostname && !allowedByKey.has(group.key)) {
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

  /**
   * The domains each non-hostname key still allows this pod, from the current counts: a place pinned outside them
   * fails `evaluate` whatever else it holds. Valid until the next `record`; lets the scheduler skip most claims
   * without a full evaluation.
   */
  allowedDomains(level: PodConstraints): Map<string, Set<Domain>> {
    for (const term of level.terms) this.groupFor(term);
    const selected = this.groupsSelecting(level.pod);
    const out = new Map<string, Set<Domain>>();
    const narrow = (key: string, ok: (d: Domain) => boolean): void => {
      const universe = this.universeOf(key);
      if (universe.set.size === 0) return;
      const prior = out.get(key);
      out.set(key, new Set(universe.list.filter((d) => ok(d) && (!prior || prior.has(d)))));
    };
    for (const term of level.terms) {
      if (term.key === Labels.hostname) continue;
      const group = this.groupFor(term);
      const count = (d: Domain): number => group.counts.get(d) ?? 0;
      if (term.kind === 'spread') {
        const min = this.cachedMinCount(group, term, level);
        const self = selected.has(group) ? 1 : 0;
        narrow(term.key, (d) => count(d) + self - min <= term.maxSkew);
      } else if (term.kind === 'affinity') {
        if (!(group.total === 0 && selected.has(group))) narrow(term.key, (d) => count(d) > 0);
      } else narrow(term.key, (d) => count(d) === 0);
    }
    for (const owner of this.ownersSelecting(level.pod)) {
      if (owner.key !== Labels.hostname) narrow(owner.key, (d) => (owner.counts.get(d) ?? 0) === 0);
    }
    return out;
  }

  /** A number naming the term's group: terms with equal key, selector and namespaces share it. */
  groupNumber(term: TopologyTerm): number {
    const group = this.groupFor(term);
    let n = this.groupNumbers.get(group);
    if (n === undefined) this.groupNumbers.set(group, (n = this.groupNumbers.size));
    return n;
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
      this.groupsGen++;
    }
    this.byTerm.set(term, group);
    return group;
  }

  private bump(group: Group, d: Domain): void {
    const before = group.counts.get(d) ?? 0;
    group.counts.set(d, before + 1);
    group.total++;
    this.countsVersion++;
    if (before === 0 && group.key === Labels.hostname && this.openPlaces.has(d))
      group.openWithPods = (group.openWithPods ?? 0) + 1;
  }

  /**
   * Mark a hostname (a planned claim) as open to more pods, or closed for good: the scheduler stops scanning
   * closed claims, and `blockedEverywhere` compares against the open ones.
   */
  open(hostname: string, open: boolean): void {
    if (open === this.openPlaces.has(hostname)) return;
    if (open) this.openPlaces.add(hostname);
    else this.openPlaces.delete(hostname);
    for (const group of [...this.groups.values(), ...this.owners.values()]) {
      if (group.key !== Labels.hostname || !(group.counts.get(hostname) ?? 0)) continue;
      group.openWithPods = (group.openWithPods ?? 0) + (open ? 1 : -1);
    }
  }

  /**
   * Whether a hostname term (or a running pod's hostname anti-affinity) refuses this pod on every open place:
   * one-per-node pods then skip the scan of planned claims and go straight to a new one.
   */
  blockedEverywhere(level: PodConstraints): boolean {
    const open = this.openPlaces.size;
    if (open === 0) return false;
    for (const term of level.terms) {
      if (term.key !== Labels.hostname) continue;
      const group = this.groupFor(term);
      const withPods = group.openWithPods ?? 0;
      const selected = this.groupsSelecting(level.pod).has(group);
      // Refused where a matching pod is: anti-affinity, or a spread whose skew one more pod would break.
      const refusedWhereOccupied =
        term.kind === 'anti' || (term.kind === 'spread' && term.maxSkew + 1 - (selected ? 1 : 0) <= 1);
      if (refusedWhereOccupied && withPods === open) return true;
      // Required affinity is refused where no matching pod is (unless it may start the group).
      if (term.kind === 'affinity' && withPods === 0 && !(group.total === 0 && selected)) return true;
    }
    for (const owner of this.ownersSelecting(level.pod)) {
      if (owner.key === Labels.hostname && (owner.openWithPods ?? 0) === open) return true;
    }
    return false;
  }

  /**
   * Some term (of a pod being placed, or a running pod's anti-affinity) counts this pod per hostname: moving it
   * from one claim to another changes what that term sees. Other keys take the same domain on claims with the
   * same requirements.
   */
  countedPerHostname(pod: Pod): boolean {
    for (const group of this.groupsSelecting(pod)) if (group.key === Labels.hostname) return true;
    return this.ownersSelecting(pod).some((owner) => owner.key === Labels.hostname);
  }

  /** The groups whose selector counts this pod, in creation order. */
  private groupsSelecting(pod: Pod): ReadonlySet<Group> {
    // No terms at all (the common case for the pods already running): nothing to look up per pod.
    if (this.groups.size === 0) return NO_GROUPS;
    const cached = this.selecting.get(pod);
    if (cached && cached.gen === this.groupsGen) return cached.groups;
    // Pods with the same namespace and labels are selected alike (replicas share their template's labels).
    const signature = selectionSignature(pod);
    let shared = this.selectingBySignature.get(signature);
    if (!shared || shared.gen !== this.groupsGen) {
      const groups = new Set<Group>();
      for (const group of this.groups.values()) if (selects(group, pod)) groups.add(group);
      shared = { gen: this.groupsGen, groups };
      this.selectingBySignature.set(signature, shared);
    }
    this.selecting.set(pod, shared);
    return shared.groups;
  }

  /** The running pods' anti-affinity terms that exclude this pod, in creation order. */
  private ownersSelecting(pod: Pod): Group[] {
    const cached = this.owning.get(pod);
    if (cached && cached.gen === this.ownersGen) return cached.owners;
    const owners = [...this.owners.values()].filter((owner) => selects(owner, pod));
    this.owning.set(pod, { gen: this.ownersGen, owners });
    return owners;
  }

  private cachedMinCount(group: Group, term: TopologyTerm, level: PodConstraints): number {
    const cached = this.mins.get(term);
    if (cached && cached.version === this.countsVersion && cached.level === level) return cached.min;
    const min = this.minCount(group, term, level);
    this.mins.set(term, { version: this.countsVersion, level, min });
    return min;
  }

  private universeOf(key: string): { list: Domain[]; set: ReadonlySet<Domain> } {
    let domains = this.domains.get(key);
    if (!domains) {
      const set = this.domainsOf(key).domains;
      this.domains.set(key, (domains = { list: [...set], set }));
    }
    return domains;
  }

  /** The domains a place offers for a key: one for a node, possibly several for a claim not yet pinned. */
  private candidates(place: Place, key: string): Domain[] {
    if (key === Labels.hostname) return [place.hostname];
    if (place.kind === 'node') {
      const v = place.labels[key];
      return v === undefined ? [] : [v];
    }
    const r = place.requirements.get(key);
    const universe = this.universeOf(key);
    if (!r) return [...universe.list];
    if (!r.complement) return [...r.values].filter((v) => universe.set.size === 0 || universe.set.has(v));
    return universe.list.filter((v) => r.has(v));
  }

  private domainOf(place: Place, key: string): Domain | undefined {
    const candidates = this.candidates(place, key);
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /** The smallest count among domains the pod could use; hostname always has an empty new node available. */
  private minCount(group: Group, term: TopologyTerm, level: PodConstraints): number {
    if (term.key === Labels.hostname) return 0;
    let domains = this.universeOf(term.key).list;
    if (term.honorNodeAffinity) {
      domains = domains.filter((d) =>
        level.alternatives.some((reqs) => {
          const r = reqs.get(term.key);
          return !r || r.has(d);
        }),
      );
    }
    if (term.honorTaints) {
      // The kube-scheduler's view of taints here: only NoSchedule and NoExecute exclude a node.
      const { sources } = this.domainsOf(term.key);
      domains = domains.filter((d) =>
        (sources.get(d) ?? [[]]).some((taints) => !untoleratedTaint(level.tolerations, taints)),
      );
    }
    if (term.minDomains !== undefined && domains.length < term.minDomains) return 0;
    let min = Infinity;
    for (const d of domains) min = Math.min(min, group.counts.get(d) ?? 0);
    return min === Infinity ? 0 : min;
  }
}
