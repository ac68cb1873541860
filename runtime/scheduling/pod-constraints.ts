/**
 * Everything that restricts where a pod may go, in one structure the scheduler evaluates: node requirements
 * (OR'ed alternatives from required node affinity) and topology terms (spread, pod affinity, pod anti-affinity).
 * Preferences start out as if they were required and are relaxed one at a time, in Karpenter's order, when the
 * pod cannot otherwise be placed: preferred pod affinity, preferred pod anti-affinity, preferred node affinity,
 * then ScheduleAnyway topology spread, and last (when some node or NodePool has one) PreferNoSchedule taints, which
 * count as NoSchedule until then.
 */
import type { LabelSelector, NodeSelectorTerm, Pod, PodAffinityTerm, Toleration } from '../kube/objects';
import { podRequirementAlternatives } from './pod-requirements';
import { Requirement, type Requirements } from './requirements';

export type TopologyKind = 'spread' | 'affinity' | 'anti';

export interface TopologyTerm {
  kind: TopologyKind;
  key: string;
  selector: LabelSelector;
  namespaces: string[];
  /** Spread only. */
  maxSkew: number;
  minDomains?: number;
  /** Spread only: count only domains the pod's node requirements allow (nodeAffinityPolicy Honor, the default). */
  honorNodeAffinity: boolean;
  /** Spread only: count only domains of nodes whose taints the pod tolerates (nodeTaintsPolicy Honor). */
  honorTaints?: boolean;
}

export interface PodConstraints {
  pod: Pod;
  alternatives: Requirements[];
  terms: TopologyTerm[];
  /** Preferences dropped to reach this level, for explanations. */
  relaxed: string[];
  /**
   * The tolerations this level places with. Every taint, PreferNoSchedule included, must be tolerated; the last
   * level may add a toleration of every PreferNoSchedule taint.
   */
  tolerations: Toleration[];
}

export interface ConstraintLevelOptions {
  /**
   * Some node or NodePool has a PreferNoSchedule taint: add a last level that tolerates them all, as Karpenter
   * does once every other preference is relaxed.
   * @default false
   */
  preferNoScheduleTaints?: boolean;
  /**
   * PREFERENCE_POLICY=Ignore: schedule as if the pod had no preferred affinities and no ScheduleAnyway spreads
   * (PreferNoSchedule taints are still tolerated only as the last resort).
   * @default false
   */
  ignorePreferences?: boolean;
}

/** Karpenter's last relaxation: tolerate any PreferNoSchedule taint. */
const TOLERATE_PREFER_NO_SCHEDULE: Toleration = { operator: 'Exists', effect: 'PreferNoSchedule' };

/** The selector a term really uses: matchLabelKeys copy the pod's own values in. */
function effectiveSelector(
  pod: Pod,
  selector: LabelSelector | undefined,
  matchLabelKeys?: string[],
): LabelSelector {
  const out: LabelSelector = {
    ...(selector?.matchLabels ? { matchLabels: { ...selector.matchLabels } } : {}),
    ...(selector?.matchExpressions ? { matchExpressions: [...selector.matchExpressions] } : {}),
  };
  for (const key of matchLabelKeys ?? []) {
    const value = pod.metadata.labels?.[key];
    if (value !== undefined) out.matchLabels = { ...out.matchLabels, [key]: value };
  }
  return out;
}

function affinityTerm(pod: Pod, kind: 'affinity' | 'anti', term: PodAffinityTerm): TopologyTerm {
  return {
    kind,
    key: term.topologyKey,
    selector: effectiveSelector(pod, term.labelSelector, term.matchLabelKeys),
    namespaces: term.namespaces?.length ? term.namespaces : [pod.metadata.namespace ?? 'default'],
    maxSkew: 0,
    honorNodeAffinity: true,
  };
}

interface Preference {
  describe: string;
  term?: TopologyTerm;
  nodeTerm?: NodeSelectorTerm;
}

function addNodeTerm(alternatives: Requirements[], term: NodeSelectorTerm): Requirements[] {
  return alternatives.map((reqs) => {
    const out = reqs.clone();
    for (const expr of term.matchExpressions ?? []) out.add(Requirement.fromSelector(expr));
    return out;
  });
}

/** The pod's constraints from strictest (every preference required) to loosest (only what is required). */
export function constraintLevels(pod: Pod, opts: ConstraintLevelOptions = {}): PodConstraints[] {
  const namespace = pod.metadata.namespace ?? 'default';
  const required: TopologyTerm[] = [];
  for (const t of pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    required.push(affinityTerm(pod, 'affinity', t));
  }
  for (const t of pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    required.push(affinityTerm(pod, 'anti', t));
  }
  const preferences: Preference[] = [];
  const byWeight = <T extends { weight: number }>(list: T[] | undefined) =>
    [...(list ?? [])].sort((a, b) => a.weight - b.weight);
  for (const p of byWeight(pod.spec.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution)) {
    preferences.push({
      describe: `preferred pod affinity on ${p.podAffinityTerm.topologyKey}`,
      term: affinityTerm(pod, 'affinity', p.podAffinityTerm),
    });
  }
  for (const p of byWeight(
    pod.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
  )) {
    preferences.push({
      describe: `preferred pod anti-affinity on ${p.podAffinityTerm.topologyKey}`,
      term: affinityTerm(pod, 'anti', p.podAffinityTerm),
    });
  }
  for (const p of byWeight(
    pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
  )) {
    preferences.push({ describe: 'preferred node affinity', nodeTerm: p.preference });
  }
  for (const c of pod.spec.topologySpreadConstraints ?? []) {
    const term: TopologyTerm = {
      kind: 'spread',
      key: c.topologyKey,
      selector: effectiveSelector(pod, c.labelSelector, c.matchLabelKeys),
      namespaces: [namespace],
      maxSkew: c.maxSkew,
      ...(c.minDomains !== undefined ? { minDomains: c.minDomains } : {}),
      honorNodeAffinity: c.nodeAffinityPolicy !== 'Ignore',
      ...(c.nodeTaintsPolicy === 'Honor' ? { honorTaints: true } : {}),
    };
    if (c.whenUnsatisfiable === 'DoNotSchedule') required.push(term);
    else preferences.push({ describe: `topology spread on ${c.topologyKey} (ScheduleAnyway)`, term });
  }
  if (opts.ignorePreferences) preferences.length = 0;
  const base = podRequirementAlternatives(pod);
  const levels: PodConstraints[] = [];
  for (let dropped = 0; dropped <= preferences.length; dropped++) {
    const kept = preferences.slice(dropped);
    let alternatives = base;
    for (const p of kept) if (p.nodeTerm) alternatives = addNodeTerm(alternatives, p.nodeTerm);
    levels.push({
      pod,
      alternatives,
      terms: [...required, ...kept.flatMap((p) => (p.term ? [p.term] : []))],
      relaxed: preferences.slice(0, dropped).map((p) => p.describe),
      tolerations: pod.spec.tolerations ?? [],
    });
  }
  const loosest = levels[levels.length - 1] as PodConstraints;
  if (opts.preferNoScheduleTaints) {
    levels.push({
      ...loosest,
      relaxed: [...loosest.relaxed, 'PreferNoSchedule taints'],
      tolerations: [...loosest.tolerations, TOLERATE_PREFER_NO_SCHEDULE],
    });
  }
  return levels;
}

/** The levels with extra node requirements (a pod's volume topology) added to every alternative. */
export function withNodeRequirements(levels: PodConstraints[], extra: Requirement[]): PodConstraints[] {
  if (extra.length === 0) return levels;
  return levels.map((level) => ({
    ...level,
    alternatives: level.alternatives.map((reqs) => {
      const out = reqs.clone();
      for (const r of extra) out.add(r);
      return out;
    }),
  }));
}
