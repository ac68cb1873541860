/**
 * The seed module's "common mistakes" table as checks over NodePool and EC2NodeClass resources. Each check is a
 * plain function from a resource (its Pulumi type and properties) to the problems found, so it is testable without
 * a policy engine; ./pack wraps them for @pulumi/policy.
 */
import { CostPerHourLimit, Labels } from '../../sdk/api/well-known';

export interface CheckedResource {
  /** The Pulumi type token, e.g. kubernetes:karpenter.sh/v1:NodePool. */
  type: string;
  props: Record<string, unknown>;
}

export interface MistakeRule {
  name: string;
  description: string;
  /** The fix, from the seed table. */
  remedy: string;
  applies: 'NodePool' | 'EC2NodeClass';
  check(spec: Record<string, unknown>): string[];
}

/** Spot needs room to move: fewer instance types than this is the "too narrow" mistake. */
export const MIN_SPOT_INSTANCE_TYPES = 5;

/** Requirement keys and values that mean a NodePool launches GPU nodes. */
const GPU_CATEGORIES = ['g', 'p'];
const GPU_KEYS = [
  Labels.instanceGpuCount,
  Labels.instanceGpuName,
  Labels.instanceGpuManufacturer,
  Labels.instanceGpuMemory,
];
const GPU_RESOURCES = ['nvidia.com/gpu', 'amd.com/gpu', 'aws.amazon.com/neuron'];

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

/** The object's kind when it is a Karpenter NodePool or EC2NodeClass, whatever resource class declared it. */
export function karpenterKind(resource: CheckedResource): 'NodePool' | 'EC2NodeClass' | undefined {
  const { apiVersion, kind } = resource.props as { apiVersion?: unknown; kind?: unknown };
  if (resource.type === 'kubernetes:karpenter.sh/v1:NodePool') return 'NodePool';
  if (resource.type === 'kubernetes:karpenter.k8s.aws/v1:EC2NodeClass') return 'EC2NodeClass';
  if (apiVersion === 'karpenter.sh/v1' && kind === 'NodePool') return 'NodePool';
  if (apiVersion === 'karpenter.k8s.aws/v1' && kind === 'EC2NodeClass') return 'EC2NodeClass';
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function requirements(spec: Record<string, unknown>): Requirement[] {
  const template = record(record(spec.template).spec);
  return array(template.requirements).filter(
    (r): r is Requirement => typeof record(r).key === 'string' && typeof record(r).operator === 'string',
  );
}

function inValues(reqs: Requirement[], key: string): string[] | undefined {
  const req = reqs.find((r) => r.key === key && r.operator === 'In');
  return req ? (req.values ?? []) : undefined;
}

export const nodePoolLimits: MistakeRule = {
  name: 'nodepool-has-limits',
  description: 'A NodePool without CPU or memory limits can scale without bound',
  remedy: 'set spec.limits.cpu and/or spec.limits.memory to a reasonable ceiling',
  applies: 'NodePool',
  check(spec) {
    const limits = record(spec.limits);
    // A spend cap bounds the pool too (the next rule asks for one of CPU or spend).
    return limits.cpu === undefined && limits.memory === undefined && limits[CostPerHourLimit] === undefined
      ? ['has no CPU or memory limits: a runaway workload (an HPA bug) scales nodes and cost without bound']
      : [];
  },
};

export const nodePoolCpuOrSpendLimit: MistakeRule = {
  name: 'nodepool-has-cpu-or-spend-limit',
  description: 'A NodePool with neither a CPU limit nor a spend cap can run up cost without bound',
  remedy: `set spec.limits.cpu, or a spend cap in USD/hour: spec.limits["${CostPerHourLimit}"], e.g. "50"`,
  applies: 'NodePool',
  check(spec) {
    const limits = record(spec.limits);
    if (limits.cpu !== undefined || limits[CostPerHourLimit] !== undefined) return [];
    return [
      limits.memory === undefined
        ? 'has neither a CPU limit nor a spend cap: nothing bounds what its nodes cost'
        : 'has a memory limit but neither a CPU limit nor a spend cap: memory alone does not bound what it costs (one large instance type can hold it all)',
    ];
  },
};

export const nodePoolBudgets: MistakeRule = {
  name: 'nodepool-has-disruption-budgets',
  description:
    'A NodePool without a limiting disruption budget lets consolidation disrupt every node at once',
  remedy: 'add spec.disruption.budgets, e.g. [{ nodes: "10%" }]',
  applies: 'NodePool',
  check(spec) {
    const budgets = array(record(spec.disruption).budgets).map(record);
    if (budgets.length === 0) {
      return ['has no disruption budgets: consolidation and drift may disrupt all its nodes at once'];
    }
    const limiting = budgets.some((b) => typeof b.nodes === 'string' && b.nodes !== '100%');
    return limiting ? [] : ['has only 100% disruption budgets, which limit nothing'];
  },
};

export const nodeClassImdsV2: MistakeRule = {
  name: 'ec2nodeclass-requires-imdsv2',
  description: 'Nodes must not allow IMDSv1',
  remedy: 'set spec.metadataOptions.httpTokens: required',
  applies: 'EC2NodeClass',
  check(spec) {
    const options = record(spec.metadataOptions);
    return options.httpTokens === 'optional'
      ? [
          'allows IMDSv1 (metadataOptions.httpTokens: optional): pods can read node credentials without a token',
        ]
      : [];
  },
};

export const multiZoneSubnets: MistakeRule = {
  name: 'ec2nodeclass-multi-zone-subnets',
  description: 'Nodes confined to one zone go down with it',
  remedy: 'select subnets in several zones, e.g. by a discovery tag',
  applies: 'EC2NodeClass',
  check(spec) {
    const terms = array(spec.subnetSelectorTerms).map(record);
    const onlyIds = terms.length > 0 && terms.every((t) => typeof t.id === 'string');
    return onlyIds && new Set(terms.map((t) => t.id)).size === 1
      ? [`selects a single subnet (${String(terms[0].id)}), so every node lands in one zone`]
      : [];
  },
};

export const nodePoolMultiZone: MistakeRule = {
  name: 'nodepool-multi-zone',
  description: 'A NodePool pinned to one zone goes down with it',
  remedy: `allow several values of ${Labels.zone}, or drop the requirement`,
  applies: 'NodePool',
  check(spec) {
    const zones = inValues(requirements(spec), Labels.zone);
    return zones !== undefined && zones.length === 1
      ? [`requires ${Labels.zone} In [${zones[0]}]: an outage of that zone is an outage of the pool`]
      : [];
  },
};

/** True when the pool's requirements or limits ask for GPU instances. */
export function isGpuNodePool(spec: Record<string, unknown>): boolean {
  const reqs = requirements(spec);
  const categories = inValues(reqs, Labels.instanceCategory);
  if (
    categories !== undefined &&
    categories.length > 0 &&
    categories.every((c) => GPU_CATEGORIES.includes(c))
  ) {
    return true;
  }
  if (
    reqs.some((r) => GPU_KEYS.includes(r.key as (typeof GPU_KEYS)[number]) || GPU_RESOURCES.includes(r.key))
  ) {
    return true;
  }
  return Object.keys(record(spec.limits)).some((k) => GPU_RESOURCES.includes(k));
}

export const gpuTaints: MistakeRule = {
  name: 'gpu-nodepool-has-taints',
  description: 'GPU nodes without a taint attract ordinary pods',
  remedy: 'taint the pool, e.g. nvidia.com/gpu:NoSchedule, and tolerate it in GPU workloads',
  applies: 'NodePool',
  check(spec) {
    if (!isGpuNodePool(spec)) return [];
    const taints = array(record(record(spec.template).spec).taints);
    return taints.length === 0
      ? ['launches GPU nodes but has no taints: ordinary pods will land on expensive GPU nodes']
      : [];
  },
};

export const spotFlexibility: MistakeRule = {
  name: 'spot-nodepool-allows-many-instance-types',
  description: 'Spot capacity with few instance types is often unavailable and costs more',
  remedy: `allow at least ${MIN_SPOT_INSTANCE_TYPES} instance types (prefer categories and sizes over exact types)`,
  applies: 'NodePool',
  check(spec) {
    const reqs = requirements(spec);
    const capacity = inValues(reqs, Labels.capacityType);
    if (!capacity?.includes('spot')) return [];
    const types = inValues(reqs, Labels.instanceType);
    if (types !== undefined && types.length < MIN_SPOT_INSTANCE_TYPES) {
      return [
        `allows spot with only ${types.length} instance type${types.length === 1 ? '' : 's'} ` +
          `(${types.join(', ')}): spot is often unavailable for so few; allow at least ${MIN_SPOT_INSTANCE_TYPES}`,
      ];
    }
    const families = inValues(reqs, Labels.instanceFamily);
    if (families !== undefined && families.length === 1 && types === undefined) {
      return [`allows spot from a single instance family (${families[0]}): widen it to several families`];
    }
    return [];
  },
};

export const MISTAKE_RULES: readonly MistakeRule[] = [
  nodePoolLimits,
  nodePoolCpuOrSpendLimit,
  nodePoolBudgets,
  nodeClassImdsV2,
  multiZoneSubnets,
  nodePoolMultiZone,
  gpuTaints,
  spotFlexibility,
];

/** The problems `rule` finds in `resource`, or none when the rule does not apply to it. */
export function checkResource(rule: MistakeRule, resource: CheckedResource): string[] {
  if (karpenterKind(resource) !== rule.applies) return [];
  const spec = record(resource.props.spec);
  const name = record(resource.props.metadata).name;
  const label = `${rule.applies} ${typeof name === 'string' ? name : '(unnamed)'}`;
  return rule.check(spec).map((problem) => `${label} ${problem}. Fix: ${rule.remedy}.`);
}
