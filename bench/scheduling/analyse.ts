/**
 * What a scheduling plan is worth: pods placed, NodeClaims, utilisation, cost, and whether the pod-to-pod
 * constraints (topology spread, pod affinity and anti-affinity) actually hold in the plan. The last part is an
 * independent check: a scheduler that ignores a constraint places every pod, so "unschedulable" alone would
 * hide missing support.
 */
import { Labels } from '../../sdk/api/well-known';
import { cheapestOffering, type InstanceType } from '../../runtime/scheduling/instance-types';
import type { LabelSelector, Pod, PodAffinityTerm } from '../../runtime/kube/objects';
import { podKey } from '../../runtime/scheduling/pod-requirements';
import { podRequests } from '../../runtime/scheduling/resources';
import {
  sortPodsForPacking,
  type PlannedNodeClaim,
  type SchedulingInput,
  type SchedulingResult,
} from '../../runtime/scheduling/scheduler';

// ---------------------------------------------------------------------------------------------------------------
// Utilisation and cost.

export interface Utilisation {
  /** Σ pod cpu requests / Σ allocatable cpu of each claim's cheapest option. */
  cpu: number;
  memory: number;
}

function cheapestOption(claim: PlannedNodeClaim): InstanceType {
  const it = claim.instanceTypeOptions[0];
  if (!it) throw new Error(`a planned NodeClaim for ${claim.nodePoolName} has no instance type options`);
  return it;
}

export function planUtilisation(claims: PlannedNodeClaim[]): Utilisation {
  let cpuReq = 0;
  let memReq = 0;
  let cpuAlloc = 0;
  let memAlloc = 0;
  for (const claim of claims) {
    for (const p of claim.pods) {
      const r = podRequests(p);
      cpuReq += r.cpu ?? 0;
      memReq += r.memory ?? 0;
    }
    const it = cheapestOption(claim);
    cpuAlloc += it.allocatable.cpu ?? 0;
    memAlloc += it.allocatable.memory ?? 0;
  }
  return { cpu: cpuAlloc ? cpuReq / cpuAlloc : 0, memory: memAlloc ? memReq / memAlloc : 0 };
}

/**
 * Claims full on one resource but mostly empty on the other (≥ 95% of one, < 50% of the other, against the
 * cheapest option): the signature of packing that never mixes cpu-heavy and memory-heavy pods.
 */
export function oneSidedClaims(claims: PlannedNodeClaim[]): number {
  let n = 0;
  for (const claim of claims) {
    const it = cheapestOption(claim);
    let cpu = 0;
    let mem = 0;
    for (const p of claim.pods) {
      const r = podRequests(p);
      cpu += r.cpu ?? 0;
      mem += r.memory ?? 0;
    }
    const c = cpu / (it.allocatable.cpu ?? Infinity);
    const m = mem / (it.allocatable.memory ?? Infinity);
    if ((c >= 0.95 && m < 0.5) || (m >= 0.95 && c < 0.5)) n++;
  }
  return n;
}

/** Claims whose cheapest option carries GPUs although none of its pods asks for one. */
export function gpuClaimsWithoutGpuPods(claims: PlannedNodeClaim[]): number {
  return claims.filter(
    (c) =>
      (cheapestOption(c).capacity['nvidia.com/gpu'] ?? 0) > 0 &&
      c.pods.every((p) => !podRequests(p)['nvidia.com/gpu']),
  ).length;
}

/** $/hour of the plan: each claim at the cheapest offering of its first (cheapest) option. */
export function planCost(claims: PlannedNodeClaim[]): number {
  let total = 0;
  for (const claim of claims) {
    const offering = cheapestOffering(cheapestOption(claim), claim.requirements);
    if (!offering)
      throw new Error(`no offering for ${cheapestOption(claim).name} under ${claim.requirements}`);
    total += offering.price;
  }
  return total;
}

export { costLowerBound, ratioAwareLowerBound, type CostLowerBound } from '../../runtime/cost/bounds';

/** How many claims launch each instance type and capacity type, most used first: "m7g.4xlarge/spot" → 3. */
export function chosenInstanceTypes(claims: PlannedNodeClaim[]): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const claim of claims) {
    const it = cheapestOption(claim);
    const offering = cheapestOffering(it, claim.requirements);
    const name = `${it.name}/${offering?.capacityType ?? 'none'}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** Claims left with fewer distinct values of a minValues key than the NodePool demands. */
export function minValuesShortfalls(input: SchedulingInput, result: SchedulingResult): number {
  let short = 0;
  for (const claim of result.newNodeClaims) {
    const pool = input.nodePools.find((p) => p.nodePool.metadata.name === claim.nodePoolName);
    for (const req of pool?.nodePool.spec.template.spec.requirements ?? []) {
      if (req.minValues === undefined) continue;
      const values = new Set<string>();
      for (const it of claim.instanceTypeOptions) {
        const r = it.requirements.get(req.key);
        const v = r?.any();
        if (v !== undefined) values.add(v);
      }
      if (values.size < req.minValues) {
        short++;
        break;
      }
    }
  }
  return short;
}

// ---------------------------------------------------------------------------------------------------------------
// Constraint check.

/** Where a placed pod runs: the labels its node will carry (undecided keys are absent). */
interface Placement {
  labels: Record<string, string>;
}

function placements(input: SchedulingInput, result: SchedulingResult): Map<Pod, Placement> {
  const out = new Map<Pod, Placement>();
  const nodeLabels = new Map(input.nodes.map((n) => [n.name, n.labels]));
  for (const [name, pods] of result.existing) {
    const labels = { [Labels.hostname]: name, ...nodeLabels.get(name) };
    for (const p of pods) out.set(p, { labels });
  }
  result.newNodeClaims.forEach((claim, i) => {
    // A claim's zone (or any other label) is only known when its requirements pin a single value.
    const labels = { ...claim.requirements.singleValueLabels(), [Labels.hostname]: `planned-claim-${i}` };
    for (const p of claim.pods) out.set(p, { labels });
  });
  return out;
}

function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const v = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && (v === undefined || !values.includes(v))) return false;
    if (e.operator === 'NotIn' && v !== undefined && values.includes(v)) return false;
    if (e.operator === 'Exists' && v === undefined) return false;
    if (e.operator === 'DoesNotExist' && v !== undefined) return false;
  }
  return true;
}

/** A label selector and topology key scoped to one namespace: pods it counts, per domain. */
class Group {
  /** Matching pods per domain value. */
  readonly counts = new Map<string, number>();
  total = 0;

  constructor(
    readonly key: string,
    readonly namespaces: readonly string[],
    readonly selector: LabelSelector | undefined,
  ) {}

  static id(key: string, namespaces: readonly string[], selector: LabelSelector | undefined): string {
    return JSON.stringify([key, [...namespaces].sort(), selector ?? null]);
  }

  matches(p: Pod): boolean {
    return (
      this.namespaces.includes(p.metadata.namespace ?? 'default') &&
      selectorMatches(this.selector, p.metadata.labels ?? {})
    );
  }

  add(domain: string | undefined): void {
    this.total++;
    if (domain !== undefined) this.counts.set(domain, (this.counts.get(domain) ?? 0) + 1);
  }

  count(domain: string): number {
    return this.counts.get(domain) ?? 0;
  }
}

class Groups {
  private readonly byId = new Map<string, Group>();

  get(pod: Pod, key: string, selector: LabelSelector | undefined, namespaces?: string[]): Group {
    const ns = namespaces && namespaces.length ? namespaces : [pod.metadata.namespace ?? 'default'];
    const id = Group.id(key, ns, selector);
    let g = this.byId.get(id);
    if (!g) {
      g = new Group(key, ns, selector);
      this.byId.set(id, g);
    }
    return g;
  }

  all(): Group[] {
    return [...this.byId.values()];
  }
}

/** Values a topology key can take for new capacity: what the instance types offer, plus existing nodes' labels. */
function domainUniverse(input: SchedulingInput, key: string): string[] {
  const values = new Set<string>();
  for (const pool of input.nodePools) {
    for (const it of pool.instanceTypes) {
      const r = it.requirements.get(key);
      if (r && !r.complement) for (const v of r.values) values.add(v);
    }
  }
  for (const n of input.nodes) {
    const v = n.labels[key];
    if (v !== undefined) values.add(v);
  }
  return [...values];
}

function requiredTerms(p: Pod, kind: 'podAffinity' | 'podAntiAffinity'): readonly PodAffinityTerm[] {
  return p.spec.affinity?.[kind]?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}

export interface ConstraintViolation {
  pod: Pod;
  reason: string;
}

/**
 * Pods whose required topology spread, pod affinity or pod anti-affinity does not hold in the plan.
 *
 * Spread and anti-affinity are checked by replaying the plan in packing order, the order the scheduler places
 * pods (Kubernetes' rule: a pod is judged against the pods placed before it). Affinity is checked on the final
 * plan, since the kube-scheduler retries a pod until its peers exist: another matching pod must share the domain,
 * except for one pod per group that matches its own selector (Kubernetes lets the first pod of a self-affine
 * group start anywhere). Hostname domains are unbounded, so the minimum count there is 0. A pod whose domain the
 * plan leaves open (a claim spanning several zones) fails a zonal constraint: the plan does not guarantee it.
 */
export function constraintViolations(
  input: SchedulingInput,
  result: SchedulingResult,
): ConstraintViolation[] {
  const where = placements(input, result);
  const order = sortPodsForPacking(input.pods).filter((p) => where.has(p));
  const spread = new Groups();
  const affinity = new Groups();
  const anti = new Groups();
  const antiHolders = new Groups();

  // Register every group first so counts cover pods placed before the first pod that uses a group.
  const spreadOf = new Map<Pod, { group: Group; maxSkew: number }[]>();
  const affinityOf = new Map<Pod, Group[]>();
  const antiOf = new Map<Pod, Group[]>();
  for (const p of order) {
    const s = (p.spec.topologySpreadConstraints ?? [])
      .filter((c) => c.whenUnsatisfiable === 'DoNotSchedule')
      .map((c) => ({ group: spread.get(p, c.topologyKey, c.labelSelector), maxSkew: c.maxSkew }));
    if (s.length) spreadOf.set(p, s);
    const a = requiredTerms(p, 'podAffinity').map((t) =>
      affinity.get(p, t.topologyKey, t.labelSelector, t.namespaces),
    );
    if (a.length) affinityOf.set(p, a);
    const aa = requiredTerms(p, 'podAntiAffinity').map((t) =>
      anti.get(p, t.topologyKey, t.labelSelector, t.namespaces),
    );
    if (aa.length) {
      antiOf.set(p, aa);
      for (const t of requiredTerms(p, 'podAntiAffinity'))
        antiHolders.get(p, t.topologyKey, t.labelSelector, t.namespaces);
    }
  }
  const universes = new Map<string, string[]>();
  const universe = (key: string): string[] => {
    let u = universes.get(key);
    if (!u) universes.set(key, (u = domainUniverse(input, key)));
    return u;
  };

  // Affinity is judged on the final plan, so count every placed pod first.
  const affinityGroups = affinity.all();
  for (const p of order) {
    const labels = (where.get(p) as Placement).labels;
    for (const g of affinityGroups) if (g.matches(p)) g.add(labels[g.key]);
  }

  const bootstrapped = new Set<Group>();
  const violations: ConstraintViolation[] = [];
  const spreadGroups = spread.all();
  const antiGroups = anti.all();
  const holderGroups = antiHolders.all();
  for (const p of order) {
    const labels = (where.get(p) as Placement).labels;
    const reason = spreadViolation(p, labels) ?? affinityViolation(p, labels) ?? antiViolation(p, labels);
    if (reason) violations.push({ pod: p, reason });
    // Count the pod where it landed, for the pods after it.
    for (const g of spreadGroups) if (g.matches(p)) g.add(labels[g.key]);
    for (const g of antiGroups) if (g.matches(p)) g.add(labels[g.key]);
    for (const t of requiredTerms(p, 'podAntiAffinity'))
      antiHolders.get(p, t.topologyKey, t.labelSelector, t.namespaces).add(labels[t.topologyKey]);
  }
  return violations;

  function spreadViolation(p: Pod, labels: Record<string, string>): string | undefined {
    for (const { group, maxSkew } of spreadOf.get(p) ?? []) {
      const domain = labels[group.key];
      if (domain === undefined) return `spread: ${group.key} left open by the plan`;
      const self = group.matches(p) ? 1 : 0;
      const min =
        group.key === Labels.hostname ? 0 : Math.min(...universe(group.key).map((d) => group.count(d)));
      if (group.count(domain) + self - min > maxSkew) return `spread: skew over ${maxSkew} on ${group.key}`;
    }
    return undefined;
  }

  function affinityViolation(p: Pod, labels: Record<string, string>): string | undefined {
    for (const group of affinityOf.get(p) ?? []) {
      const domain = labels[group.key];
      if (domain === undefined) return `affinity: ${group.key} left open by the plan`;
      const self = group.matches(p) ? 1 : 0;
      if (group.count(domain) - self > 0) continue;
      // One pod per group may be the self-affine pod that started it, placed before any other match.
      if (self === 1 && !bootstrapped.has(group)) {
        bootstrapped.add(group);
        continue;
      }
      return `affinity: no matching pod in the same ${group.key}`;
    }
    return undefined;
  }

  function antiViolation(p: Pod, labels: Record<string, string>): string | undefined {
    for (const group of antiOf.get(p) ?? []) {
      const domain = labels[group.key];
      if (domain === undefined) return `anti-affinity: ${group.key} left open by the plan`;
      if (group.count(domain) > 0) return `anti-affinity: shares ${group.key} with a matching pod`;
    }
    // The other direction: a pod placed earlier that repels this one.
    for (const g of holderGroups) {
      const domain = labels[g.key];
      if (domain !== undefined && g.matches(p) && g.count(domain) > 0)
        return `anti-affinity: shares ${g.key} with a pod that repels it`;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Per-class summary.

export interface ClassSummary {
  class: string;
  pods: number;
  scheduled: number;
  unschedulable: number;
  /** Placed, but the plan breaks the pod's constraint. */
  violated: number;
  /** Violations and unschedulable pods by reason, most frequent first. */
  reasons: { reason: string; pods: number }[];
}

export interface PlanAnalysis {
  pods: number;
  scheduled: number;
  unschedulable: number;
  nodeClaims: number;
  podsPerClaim: { min: number; max: number; mean: number };
  utilisation: Utilisation;
  oneSidedClaims: number;
  minValuesShortfalls: number;
  violated: number;
  classes: ClassSummary[];
}

/** The first reason recorded for an unschedulable pod, shortened to its kind (names and details dropped). */
function unschedulableReason(reasons: string[]): string {
  const first = (reasons[0] ?? 'no reason given').replace(/^NodePool "[^"]*": /, '');
  const short = first.replace(/"[^"]*"/g, '…').replace(/\(.*\)/, '');
  return `unschedulable: ${short.trim()}`;
}

/**
 * For a pod left unschedulable for want of an affinity peer: whether the plan does place a matching pod, after
 * it in packing order. Such a pod is schedulable; a solver that retries failed pods would place it.
 */
function peersPlacedLater(pod: Pod, placed: Pod[], order: Map<Pod, number>): boolean {
  const terms = pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  if (terms.length === 0) return false;
  const ns = pod.metadata.namespace ?? 'default';
  const at = order.get(pod) ?? 0;
  return terms.every((t) =>
    placed.some(
      (q) =>
        (t.namespaces?.length ? t.namespaces : [ns]).includes(q.metadata.namespace ?? 'default') &&
        selectorMatches(t.labelSelector, q.metadata.labels ?? {}) &&
        (order.get(q) ?? 0) > at,
    ),
  );
}

export function analysePlan(
  input: SchedulingInput,
  result: SchedulingResult,
  classOf: (p: Pod) => string,
  classOrder: readonly string[],
): PlanAnalysis {
  const violations = constraintViolations(input, result);
  const summaries = new Map<string, ClassSummary & { reasonCounts: Map<string, number> }>();
  const summary = (cls: string): ClassSummary & { reasonCounts: Map<string, number> } => {
    let s = summaries.get(cls);
    if (!s) {
      s = {
        class: cls,
        pods: 0,
        scheduled: 0,
        unschedulable: 0,
        violated: 0,
        reasons: [],
        reasonCounts: new Map(),
      };
      summaries.set(cls, s);
    }
    return s;
  };
  for (const cls of classOrder) summary(cls);
  for (const p of input.pods) summary(classOf(p)).pods++;
  const bump = (s: { reasonCounts: Map<string, number> }, reason: string): void => {
    s.reasonCounts.set(reason, (s.reasonCounts.get(reason) ?? 0) + 1);
  };
  const order = new Map(sortPodsForPacking(input.pods).map((p, i) => [p, i]));
  const placed = input.pods.filter((p) => !result.unschedulable.has(podKey(p)));
  for (const p of input.pods) {
    const s = summary(classOf(p));
    const entry = result.unschedulable.get(podKey(p));
    if (entry) {
      s.unschedulable++;
      const later = peersPlacedLater(p, placed, order)
        ? ' (matching pods are placed later in the same solve)'
        : '';
      bump(s, `${unschedulableReason(entry.reasons)}${later}`);
    } else s.scheduled++;
  }
  for (const v of violations) {
    const s = summary(classOf(v.pod));
    s.violated++;
    bump(s, v.reason);
  }
  const counts = result.newNodeClaims.map((c) => c.pods.length);
  const scheduled = input.pods.length - result.unschedulable.size;
  return {
    pods: input.pods.length,
    scheduled,
    unschedulable: result.unschedulable.size,
    nodeClaims: result.newNodeClaims.length,
    podsPerClaim: {
      min: counts.length ? Math.min(...counts) : 0,
      max: counts.length ? Math.max(...counts) : 0,
      mean: counts.length ? counts.reduce((a, b) => a + b, 0) / counts.length : 0,
    },
    utilisation: planUtilisation(result.newNodeClaims),
    oneSidedClaims: oneSidedClaims(result.newNodeClaims),
    minValuesShortfalls: minValuesShortfalls(input, result),
    violated: violations.length,
    classes: [...summaries.values()].map(({ reasonCounts, ...s }) => ({
      ...s,
      reasons: [...reasonCounts.entries()]
        .map(([reason, pods]) => ({ reason, pods }))
        .sort((a, b) => b.pods - a.pods || a.reason.localeCompare(b.reason)),
    })),
  };
}
