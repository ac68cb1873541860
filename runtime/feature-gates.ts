/**
 * FEATURE_GATES, with upstream Karpenter's gate names and defaults (core v1.15). A gate decides behaviour only where
 * karpenter-ts has the feature; for the others, what a migrating user passes decides what happens:
 *
 * - a gate upstream turns on by default (ReservedCapacity, which upstream's Helm chart also renders as `=true`):
 *   accepted with a start-up warning when set to true, since failing would break every chart-based install;
 * - a gate upstream leaves off by default: `=false` is accepted (it asks for what karpenter-ts does anyway), `=true`
 *   stops the process, since the user asked for a feature that is not there;
 * - a name upstream does not know: stops the process, naming the gate and listing the known ones.
 */

export interface FeatureGateSpec {
  name: string;
  /** Upstream's default. */
  upstreamDefault: boolean;
  /** karpenter-ts has the feature, so the gate decides behaviour. */
  supported: boolean;
  /** What the gate does (supported) or what is missing (unsupported). */
  note: string;
}

export const FEATURE_GATES = [
  {
    name: 'NodeRepair',
    upstreamDefault: false,
    supported: true,
    note: "replaces a node whose condition matches the cloud provider's repair policies past their toleration, replacement first, within the Unhealthy budget, unless more than 20% of its NodePool is unhealthy",
  },
  {
    name: 'ReservedCapacity',
    upstreamDefault: true,
    supported: true,
    note: 'EC2NodeClass capacityReservationSelectorTerms are resolved, offered as capacity type reserved and launched into (off: the terms are ignored, with a warning)',
  },
  {
    name: 'SpotToSpotConsolidation',
    upstreamDefault: false,
    supported: true,
    note: 'consolidation may replace a spot node with a cheaper spot node (given 15 cheaper instance types)',
  },
  {
    name: 'NodeOverlay',
    upstreamDefault: false,
    supported: true,
    note: 'NodeOverlays (karpenter.sh/v1alpha1) change the price and extended resources of the instance types they select, for provisioning, consolidation, launches and the price metrics',
  },
  {
    name: 'StaticCapacity',
    upstreamDefault: false,
    supported: true,
    note: 'NodePools with spec.replicas keep that many nodes; off, they get none and a Warning Event says why',
  },
  {
    name: 'CapacityBuffer',
    upstreamDefault: false,
    supported: true,
    note: 'CapacityBuffers (autoscaling.x-k8s.io/v1beta1) keep spare capacity ready: planned after real pods, bought again once used, kept by consolidation (off: a Warning Event per buffer)',
  },
  {
    name: 'TerminateFirstDrift',
    upstreamDefault: false,
    supported: true,
    note: 'a drifted node that cannot be replaced first is deleted first, within the Drifted budget, where upstream does: its pods fit only into the slot it holds in a full capacity reservation (the provisioner refills it), or its static NodePool is Ready at its node limit or launches only into full reservations (the pool refills it); off, it waits. Unlike upstream, which goes node by node, replace-first drift is decided before terminate-first drift',
  },
  {
    name: 'TerminateFirstRepair',
    upstreamDefault: false,
    supported: true,
    note: 'node repair launches the replacement first; where it cannot (a node whose pods fit only into the slot it holds in a full capacity reservation, or a static NodePool at its node limit or launching only into full reservations), the unhealthy node is deleted first and the slot refilled; off, it waits',
  },
  {
    name: 'PodDeletionCostManagement',
    upstreamDefault: false,
    supported: true,
    note: 'pod deletion costs, in karpenter-ts’s own node order; on by default here (POD_DELETION_COST), and a gate given explicitly turns them on or off',
  },
] as const satisfies readonly FeatureGateSpec[];

export type FeatureGateName = (typeof FEATURE_GATES)[number]['name'];
export type FeatureGates = Record<FeatureGateName, boolean>;

export const DEFAULT_FEATURE_GATES = Object.fromEntries(
  FEATURE_GATES.map((g) => [g.name, g.upstreamDefault]),
) as FeatureGates;

const BY_NAME = new Map<string, FeatureGateSpec>(FEATURE_GATES.map((g) => [g.name, g]));

/** "A=true, B=false" → the explicit entries; throws with the offending entry when the syntax is wrong. */
export function parseFeatureGateList(value: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(true|false)$/.exec(entry);
    if (!m) throw new Error(`bad entry "${entry}"`);
    out[m[1] as string] = m[2] === 'true';
  }
  return out;
}

/** Problems that stop the process: unknown gates, and default-off gates enabled for a feature that is absent. */
export function featureGateProblems(explicit: Record<string, boolean>): string[] {
  const problems: string[] = [];
  for (const [name, on] of Object.entries(explicit)) {
    const gate = BY_NAME.get(name);
    if (!gate) {
      problems.push(
        `FEATURE_GATES: unknown gate "${name}"; known gates: ${FEATURE_GATES.map((g) => g.name).join(', ')}`,
      );
    } else if (on && !gate.supported && !gate.upstreamDefault) {
      problems.push(
        `FEATURE_GATES: ${name}=true cannot be honoured: ${gate.note}; remove it or set it to false`,
      );
    }
  }
  return problems;
}

/** Warnings for default-on gates enabled for a feature karpenter-ts lacks (accepted, but without effect). */
export function featureGateWarnings(explicit: Record<string, boolean>): string[] {
  return Object.entries(explicit).flatMap(([name, on]) => {
    const gate = BY_NAME.get(name);
    return on && gate && !gate.supported && gate.upstreamDefault
      ? [`FEATURE_GATES: ${name}=true has no effect: ${gate.note}`]
      : [];
  });
}

/** Upstream's defaults overlaid with the explicit entries (which featureGateProblems has already checked). */
export function resolveFeatureGates(explicit: Record<string, boolean>): FeatureGates {
  const out = { ...DEFAULT_FEATURE_GATES };
  for (const [name, on] of Object.entries(explicit)) if (BY_NAME.has(name)) out[name as FeatureGateName] = on;
  return out;
}
