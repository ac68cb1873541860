/**
 * The controller's settings, from environment variables and command-line flags, with Karpenter's names where
 * Karpenter has the setting. Flags win over the environment. Everything is validated at start: a bad value stops
 * the process with one line per problem naming the variable, what it holds and what it should hold.
 */
import { z } from 'zod';
import { parseDuration } from '../sdk/api/common';
import { formatPath } from '../sdk/api/validate';
import { DEFAULT_RESERVED_ENIS, DEFAULT_VM_MEMORY_OVERHEAD_PERCENT } from './scheduling/allocatable';
import {
  featureGateProblems,
  parseFeatureGateList,
  resolveFeatureGates,
  type FeatureGates,
} from './feature-gates';
import { CLUSTER_CAP_SETTINGS, type ClusterCapSettings } from './settings-caps';
import { savingsPlansSchema, type SavingsPlan } from './scheduling/savings-plans';

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export const CLOUD_PROVIDERS = ['aws', 'kwok', 'simulated'] as const;
export const MIN_VALUES_POLICIES = ['Strict', 'BestEffort'] as const;
export const PREFERENCE_POLICIES = ['Respect', 'Ignore'] as const;
/** Upstream's Lease name (the leader elector's DEFAULT_LEASE_NAME; not imported, to keep this module light). */
export const DEFAULT_LEADER_ELECTION_NAME = 'karpenter-leader-election';

export interface Settings extends ClusterCapSettings {
  /** CLUSTER_NAME: the EKS cluster's name, used to discover and tag resources. Required for aws. */
  clusterName: string;
  /** CLUSTER_ENDPOINT: the API server URL nodes join; discovered with eks:DescribeCluster when unset. */
  clusterEndpoint?: string;
  /** CLUSTER_CA_BUNDLE: base64 CA bundle of the API server, for nodes' bootstrap. */
  clusterCABundle?: string;
  /** INTERRUPTION_QUEUE: SQS queue of spot interruption and health events; off when unset. */
  interruptionQueue?: string;
  /** AWS_REGION. Required for aws. */
  awsRegion?: string;
  /** AWS_ENDPOINT_URL: an emulator (moto) for every AWS service; unset for real AWS. */
  awsEndpoint?: string;
  /** BATCH_IDLE_DURATION: close a provisioning batch after this long without new pods. @default 1s */
  batchIdleMs: number;
  /** BATCH_MAX_DURATION: never keep a batch open longer. @default 10s */
  batchMaxMs: number;
  /** FEATURE_GATES: "Name=true,Other=false" over upstream's defaults (see feature-gates.ts). */
  featureGates: FeatureGates;
  /** LOG_LEVEL. @default "info" */
  logLevel: (typeof LOG_LEVELS)[number];
  /** METRICS_PORT: Prometheus /metrics. @default 8080 */
  metricsPort: number;
  /** HEALTH_PROBE_PORT: /healthz and /readyz. @default 8081 */
  healthProbePort: number;
  /**
   * Take a Lease before acting, so only one replica acts: the opposite of upstream's DISABLE_LEADER_ELECTION, or
   * LEADER_ELECT (karpenter-ts's older name, still read). @default true
   */
  leaderElect: boolean;
  /** DISABLE_LEADER_ELECTION, upstream's name: always `!leaderElect`. @default false */
  disableLeaderElection: boolean;
  /** LEADER_ELECTION_NAME: the Lease's name. @default "karpenter-leader-election" */
  leaderElectionName: string;
  /**
   * LEADER_ELECTION_NAMESPACE, else POD_NAMESPACE, else SYSTEM_NAMESPACE (upstream's chart sets that one to the
   * pod's namespace): where the Lease lives. @default "kube-system"
   */
  leaderElectionNamespace: string;
  /** CLOUD_PROVIDER: aws, kwok or simulated. @default "aws" */
  cloudProvider: (typeof CLOUD_PROVIDERS)[number];
  /**
   * MIN_VALUES_POLICY: Strict leaves pods pending when a requirement's minValues cannot be met; BestEffort launches
   * with fewer instance types and annotates the NodeClaim. @default "Strict"
   */
  minValuesPolicy: (typeof MIN_VALUES_POLICIES)[number];
  /**
   * PREFERENCE_POLICY: Respect tries preferred affinities and ScheduleAnyway spreads as if required, relaxing them
   * one at a time; Ignore schedules as if pods had none. @default "Respect"
   */
  preferencePolicy: (typeof PREFERENCE_POLICIES)[number];
  /** KUBE_CLIENT_QPS: sustained requests per second to the API server (token bucket refill). @default 200 */
  kubeClientQps: number;
  /** KUBE_CLIENT_BURST: requests allowed at once above the sustained rate (token bucket size). @default 300 */
  kubeClientBurst: number;
  /**
   * ISOLATED_VPC: AWS services without a VPC endpoint are unreachable: no Pricing API calls (the static price
   * table answers) and no IAM instance-profile cleanup when an EC2NodeClass is deleted, as upstream. @default false
   */
  isolatedVpc: boolean;
  /**
   * ENABLE_ZONAL_SHIFT: follow the cluster's zonal shifts (ARC on AWS; the simulated cloud's impaired zones): no
   * launches in a shifted zone, which topology spread no longer counts, and its nodes replaced elsewhere within the
   * Drifted budget. On AWS the cluster must be registered with ARC zonal shift and the controller allowed
   * arc-zonal-shift:GetManagedResource, checked at start. @default false
   */
  enableZonalShift: boolean;
  /**
   * PER_NODE_COST: USD per hour added to the price of every node the scheduler and consolidation compare, for what
   * a node costs beyond its instance and volumes: per-host agent licences, its IPv4 address, the control-plane
   * and API work every node brings, the pods each one can hold. Higher packs fewer, larger nodes.
   * @default 0.15
   */
  perNodeCost: number;
  /**
   * PLAN_DECLARED_REPLICAS: plan for the pods a ReplicaSet is still creating (spec.replicas against the pods it
   * has), so a large scale-up buys fewer, larger nodes before its pods exist. @default true
   */
  planDeclaredReplicas: boolean;
  /**
   * CONSOLIDATION_REPACK: replace several on-demand nodes with fewer or cheaper ones planned afresh when that saves
   * at least 10% of their price (runtime/controllers/disruption/repack.ts), let a consolidation whose cheapest
   * plan needs several new nodes replace with one holding them all, and plan again with every moved pod on new
   * nodes a consolidation the kube-scheduler would undo (stability.ts); upstream does none of these. @default false
   */
  consolidationRepack: boolean;
  /**
   * POD_DELETION_COST: give each ReplicaSet pod its node's controller.kubernetes.io/pod-deletion-cost, so a
   * scale-down empties whole nodes instead of thinning all of them. @default true
   */
  podDeletionCost: boolean;
  /**
   * VM_MEMORY_OVERHEAD_PERCENT: the share of each instance type's memory taken off its capacity for the hypervisor
   * and kernel, as a fraction (0.075 = 7.5%), rounded up to whole MiB. @default 0.075
   */
  vmMemoryOverheadPercent: number;
  /** RESERVED_ENIS: ENIs left out of ENI-limited max pods, e.g. for VPC CNI custom networking. @default 0 */
  reservedENIs: number;
  /**
   * SAVINGS_PLANS: Savings-Plan-style commitments, as JSON: on-demand usage they cover bills at their discount up to
   * each commitment, and new capacity is priced so while there is room (runtime/scheduling/savings-plans.ts).
   * @default none
   */
  savingsPlans?: SavingsPlan[];
}

/** See Settings.perNodeCost. */
export const DEFAULT_PER_NODE_COST = 0.15;

/** One setting: its environment variable, its flag, and how to read and check it. */
export interface SettingSpec {
  env: string;
  flag: string;
  description: string;
  schema: z.ZodType;
  /** What a valid value looks like, for the error message. */
  expected: string;
  /** Add the schema's own messages (with their paths) to the error: for values with a structure. */
  explain?: boolean;
}

const duration = z.string().transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a duration' });
    return z.NEVER;
  }
});

/** 0 lets the OS pick a free port (tests, the embedded viewer). */
const port = z.coerce.number().int().min(0).max(65535);

const bool = z
  .string()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0']))
  .transform((v) => v === 'true' || v === '1');

/** The explicit entries only: loadSettings checks the names and overlays them on upstream's defaults. */
const featureGates = z.string().transform((v, ctx) => {
  try {
    return parseFeatureGateList(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const positiveInt = z.coerce.number().int().min(1);

const optionalText = z.string().min(1);

export const SETTINGS: Record<keyof Settings, SettingSpec> = {
  clusterName: {
    env: 'CLUSTER_NAME',
    flag: 'cluster-name',
    description: 'the cluster name, for discovery and tagging',
    schema: optionalText,
    expected: 'a non-empty cluster name',
  },
  clusterEndpoint: {
    env: 'CLUSTER_ENDPOINT',
    flag: 'cluster-endpoint',
    description: 'the API server URL nodes join (unset: discovered with eks:DescribeCluster)',
    schema: z.url({ protocol: /^https?$/ }),
    expected: 'an http(s) URL such as https://ABC.gr7.us-east-1.eks.amazonaws.com',
  },
  clusterCABundle: {
    env: 'CLUSTER_CA_BUNDLE',
    flag: 'cluster-ca-bundle',
    description:
      "base64 CA bundle of the API server (unset: the controller's own kube client CA, else eks:DescribeCluster's)",
    schema: z.base64(),
    expected: 'base64-encoded PEM',
  },
  interruptionQueue: {
    env: 'INTERRUPTION_QUEUE',
    flag: 'interruption-queue',
    description: 'SQS queue name for interruption events (off when unset)',
    schema: optionalText,
    expected: 'an SQS queue name',
  },
  awsRegion: {
    env: 'AWS_REGION',
    flag: 'aws-region',
    description: 'the AWS region',
    schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
    expected: 'a region such as us-east-1',
  },
  awsEndpoint: {
    env: 'AWS_ENDPOINT_URL',
    flag: 'aws-endpoint-url',
    description: 'an AWS emulator URL (moto) for every service; unset for real AWS',
    schema: z.url({ protocol: /^https?$/ }),
    expected: 'an http(s) URL such as http://localhost:5000',
  },
  batchIdleMs: {
    env: 'BATCH_IDLE_DURATION',
    flag: 'batch-idle-duration',
    description: 'close a provisioning batch after this long without new pods (default 1s)',
    schema: duration,
    expected: 'a duration such as 1s, 500ms or 2m',
  },
  batchMaxMs: {
    env: 'BATCH_MAX_DURATION',
    flag: 'batch-max-duration',
    description: 'the longest a provisioning batch stays open (default 10s)',
    schema: duration,
    expected: 'a duration such as 10s or 1m',
  },
  featureGates: {
    env: 'FEATURE_GATES',
    flag: 'feature-gates',
    description: 'feature gates, e.g. SpotToSpotConsolidation=true',
    schema: featureGates,
    expected: 'comma-separated Name=true|false pairs, such as SpotToSpotConsolidation=true,NodeRepair=false',
  },
  kubeClientQps: {
    env: 'KUBE_CLIENT_QPS',
    flag: 'kube-client-qps',
    description: 'sustained requests per second to the Kubernetes API server (default 200)',
    schema: positiveInt,
    expected: 'a whole number of requests per second, at least 1',
  },
  kubeClientBurst: {
    env: 'KUBE_CLIENT_BURST',
    flag: 'kube-client-burst',
    description:
      'requests to the Kubernetes API server allowed at once above the sustained rate (default 300)',
    schema: positiveInt,
    expected: 'a whole number of requests, at least 1',
  },
  logLevel: {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    description: `log level: ${LOG_LEVELS.join(', ')} (default info)`,
    schema: z.enum(LOG_LEVELS),
    expected: `one of ${LOG_LEVELS.join(', ')}`,
  },
  metricsPort: {
    env: 'METRICS_PORT',
    flag: 'metrics-port',
    description: 'port of /metrics (default 8080)',
    schema: port,
    expected: 'a port number from 0 (any free port) to 65535',
  },
  healthProbePort: {
    env: 'HEALTH_PROBE_PORT',
    flag: 'health-probe-port',
    description: 'port of /healthz and /readyz (default 8081)',
    schema: port,
    expected: 'a port number from 0 (any free port) to 65535',
  },
  disableLeaderElection: {
    env: 'DISABLE_LEADER_ELECTION',
    flag: 'disable-leader-election',
    description: 'act without taking the leader Lease (default false)',
    schema: bool,
    expected: 'true or false',
  },
  leaderElect: {
    env: 'LEADER_ELECT',
    flag: 'leader-elect',
    description: 'older name: take a Lease before acting (default true); prefer DISABLE_LEADER_ELECTION',
    schema: bool,
    expected: 'true or false',
  },
  leaderElectionName: {
    env: 'LEADER_ELECTION_NAME',
    flag: 'leader-election-name',
    description: `name of the leader Lease (default ${DEFAULT_LEADER_ELECTION_NAME})`,
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
    expected: 'a Lease name (lower-case letters, digits, "-" and ".")',
  },
  leaderElectionNamespace: {
    env: 'LEADER_ELECTION_NAMESPACE',
    flag: 'leader-election-namespace',
    description:
      'namespace of the leader Lease (default POD_NAMESPACE, else SYSTEM_NAMESPACE, else kube-system)',
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
    expected: 'a namespace name (lower-case letters, digits and "-")',
  },
  cloudProvider: {
    env: 'CLOUD_PROVIDER',
    flag: 'cloud-provider',
    description: `cloud provider: ${CLOUD_PROVIDERS.join(', ')} (default aws)`,
    schema: z.enum(CLOUD_PROVIDERS),
    expected: `one of ${CLOUD_PROVIDERS.join(', ')}`,
  },
  minValuesPolicy: {
    env: 'MIN_VALUES_POLICY',
    flag: 'min-values-policy',
    description: 'Strict or BestEffort: whether minValues may be relaxed to launch (default Strict)',
    schema: z.enum(MIN_VALUES_POLICIES),
    expected: `one of ${MIN_VALUES_POLICIES.join(', ')}`,
  },
  preferencePolicy: {
    env: 'PREFERENCE_POLICY',
    flag: 'preference-policy',
    description:
      'Respect or Ignore: whether preferred affinities and ScheduleAnyway spreads count (default Respect)',
    schema: z.enum(PREFERENCE_POLICIES),
    expected: `one of ${PREFERENCE_POLICIES.join(', ')}`,
  },
  isolatedVpc: {
    env: 'ISOLATED_VPC',
    flag: 'isolated-vpc',
    description: 'no Pricing API calls and no IAM cleanup, for VPCs without those endpoints (default false)',
    schema: bool,
    expected: 'true or false',
  },
  enableZonalShift: {
    env: 'ENABLE_ZONAL_SHIFT',
    flag: 'enable-zonal-shift',
    description:
      'no launches in zones under an ARC zonal shift, whose nodes are replaced within the Drifted budget; needs arc-zonal-shift:GetManagedResource and the cluster registered with zonal shift (default false)',
    schema: bool,
    expected: 'true or false',
  },
  vmMemoryOverheadPercent: {
    env: 'VM_MEMORY_OVERHEAD_PERCENT',
    flag: 'vm-memory-overhead-percent',
    description: `share of each instance type's memory taken off its capacity for the VM, as a fraction (default ${DEFAULT_VM_MEMORY_OVERHEAD_PERCENT} = 7.5%)`,
    // Upstream only refuses negatives; 1 or more would leave no memory at all (7.5 meant as a percent, say).
    schema: z.coerce.number().min(0).lt(1),
    expected: 'a fraction of memory from 0 up to (not including) 1, e.g. 0.075 for 7.5%',
  },
  reservedENIs: {
    env: 'RESERVED_ENIS',
    flag: 'reserved-enis',
    description: `ENIs left out of ENI-limited max pods, e.g. for VPC CNI custom networking (default ${DEFAULT_RESERVED_ENIS})`,
    schema: z.coerce.number().int().min(0),
    expected: 'a whole number of ENIs, 0 or more',
  },
  perNodeCost: {
    env: 'PER_NODE_COST',
    flag: 'per-node-cost',
    description: `USD/hour each node costs beyond its instance and volumes, in every price compared (default ${DEFAULT_PER_NODE_COST})`,
    schema: z.coerce.number().min(0).max(100),
    expected: 'a number of USD per hour from 0 to 100, e.g. 0.15',
  },
  planDeclaredReplicas: {
    env: 'PLAN_DECLARED_REPLICAS',
    flag: 'plan-declared-replicas',
    description:
      'plan capacity for the pods a ReplicaSet is still creating, not only for pods already pending; needs list/watch on replicasets (default true)',
    schema: bool,
    expected: 'true or false',
  },
  consolidationRepack: {
    env: 'CONSOLIDATION_REPACK',
    flag: 'consolidation-repack',
    description:
      'replace several on-demand nodes with fewer or cheaper ones planned afresh when that saves at least 10% of their price, let a consolidation whose cheapest plan needs several new nodes replace with one that holds them all, and plan a consolidation the kube-scheduler would undo again with every moved pod on new nodes; upstream does none of these (default false)',
    schema: bool,
    expected: 'true or false',
  },
  podDeletionCost: {
    env: 'POD_DELETION_COST',
    flag: 'pod-deletion-cost',
    description:
      "write each node's pod-deletion-cost on the ReplicaSet pods bound to it (never over a pod's own), so scale-downs empty whole nodes; needs patch on pods (default true)",
    schema: bool,
    expected: 'true or false',
  },
  savingsPlans: {
    env: 'SAVINGS_PLANS',
    flag: 'savings-plans',
    description:
      'Savings-Plan-style commitments as a JSON list of {name, commitmentPerHour, discountPercent, instanceFamilies?}: on-demand usage of the families each covers (all when omitted) bills at its discount up to its commitment, nodes oldest first, and new capacity is priced at that rate while there is room (default none)',
    schema: z.string().transform((v, ctx) => {
      let json: unknown;
      try {
        json = JSON.parse(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not JSON (${(err as Error).message})` });
        return z.NEVER;
      }
      const parsed = savingsPlansSchema.safeParse(json);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          ctx.addIssue({ code: 'custom', message: `${formatPath(issue.path)}: ${issue.message}` });
        return z.NEVER;
      }
      return parsed.data;
    }),
    expected:
      'a JSON list such as [{"name":"compute","commitmentPerHour":4,"discountPercent":28,"instanceFamilies":["c6i","m6i"]}]',
    explain: true,
  },
  ...CLUSTER_CAP_SETTINGS,
};

const DEFAULTS = {
  batchIdleMs: 1000,
  batchMaxMs: 10_000,
  logLevel: 'info',
  metricsPort: 8080,
  healthProbePort: 8081,
  leaderElectionName: DEFAULT_LEADER_ELECTION_NAME,
  cloudProvider: 'aws',
  minValuesPolicy: 'Strict',
  preferencePolicy: 'Respect',
  kubeClientQps: 200,
  kubeClientBurst: 300,
  isolatedVpc: false,
  enableZonalShift: false,
  perNodeCost: DEFAULT_PER_NODE_COST,
  planDeclaredReplicas: true,
  consolidationRepack: false,
  podDeletionCost: true,
  vmMemoryOverheadPercent: DEFAULT_VM_MEMORY_OVERHEAD_PERCENT,
  reservedENIs: DEFAULT_RESERVED_ENIS,
} satisfies Partial<Settings>;

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/** Raw values by environment variable name; flags are given by the same names (the CLI maps them). */
export type RawSettings = Record<string, string | undefined>;

/**
 * Upstream's PodDeletionCostManagement gate (off by default there) and POD_DELETION_COST (on by default here) turn
 * on the same feature: a gate given explicitly decides, unless POD_DELETION_COST says the opposite. `podDeletionCost`
 * is what the controller reads; the gate map keeps what was asked.
 */
function reconcileDeletionCostGate(
  out: Record<string, unknown>,
  source: Partial<Record<keyof Settings, string>>,
  gate: boolean | undefined,
): string[] {
  if (gate !== undefined && source.podDeletionCost !== undefined && gate !== out.podDeletionCost) {
    return [
      `FEATURE_GATES: PodDeletionCostManagement=${gate} contradicts ${source.podDeletionCost}: keep one of them`,
    ];
  }
  if (gate !== undefined) out.podDeletionCost = gate;
  return [];
}

/** One bad value, as start-up reports it: where it came from, the schema's own words if the spec asks, the fix. */
function invalidSetting(
  spec: SettingSpec,
  from: string,
  raw: string,
  issues: readonly { message: string }[],
): string {
  const why = spec.explain ? `${issues.map((i) => i.message).join('; ')}; ` : '';
  return `${from}=${JSON.stringify(raw)} is invalid: ${why}expected ${spec.expected}`;
}

/** Read, default and validate settings; throws SettingsError listing every bad value. */
export function loadSettings(env: RawSettings, flags: RawSettings = {}): Settings {
  const problems: string[] = [];
  const out: Record<string, unknown> = { ...DEFAULTS };
  /** Where each valid value came from: `--flag` or ENV. */
  const source: Partial<Record<keyof Settings, string>> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [keyof Settings, SettingSpec][]) {
    const fromFlag = flags[spec.env];
    const raw = fromFlag ?? env[spec.env];
    if (raw === undefined || raw === '') continue;
    const from = fromFlag !== undefined ? `--${spec.flag}` : spec.env;
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) {
      out[key] = parsed.data;
      source[key] = `${from}=${raw}`;
    } else {
      problems.push(invalidSetting(spec, from, raw, parsed.error.issues));
    }
  }
  out.leaderElectionNamespace ??= env.POD_NAMESPACE || env.SYSTEM_NAMESPACE || 'kube-system';
  const explicitGates = (out.featureGates ?? {}) as Record<string, boolean>;
  problems.push(...featureGateProblems(explicitGates));
  out.featureGates = resolveFeatureGates(explicitGates);
  problems.push(...reconcileDeletionCostGate(out, source, explicitGates.PodDeletionCostManagement));
  problems.push(...reconcileLeaderElection(out, source));
  const settings = out as unknown as Settings & { clusterName?: string };
  if (settings.cloudProvider === 'aws') {
    if (!settings.clusterName)
      problems.push('CLUSTER_NAME is required with CLOUD_PROVIDER=aws: set it to your EKS cluster name');
    if (!settings.awsRegion)
      problems.push(
        'AWS_REGION is required with CLOUD_PROVIDER=aws: set it to the region of the cluster, e.g. us-east-1',
      );
  }
  if (settings.batchIdleMs > settings.batchMaxMs) {
    problems.push(
      `BATCH_IDLE_DURATION (${settings.batchIdleMs}ms) is longer than BATCH_MAX_DURATION (${settings.batchMaxMs}ms): make the idle duration the shorter one`,
    );
  }
  if (settings.metricsPort !== 0 && settings.metricsPort === settings.healthProbePort) {
    problems.push(
      `METRICS_PORT and HEALTH_PROBE_PORT are both ${settings.metricsPort}: give them different ports`,
    );
  }
  if (settings.kubeClientBurst < settings.kubeClientQps) {
    problems.push(
      `KUBE_CLIENT_BURST (${settings.kubeClientBurst}) is below KUBE_CLIENT_QPS (${settings.kubeClientQps}): make the burst at least the rate`,
    );
  }
  if (problems.length) throw new SettingsError(problems);
  settings.clusterName ??= settings.cloudProvider;
  return settings;
}

/**
 * DISABLE_LEADER_ELECTION (upstream's name) and LEADER_ELECT (the older one) set one thing: either may be given,
 * both only if they agree. Fills leaderElect and disableLeaderElection; returns the problem when they disagree.
 */
function reconcileLeaderElection(
  out: Record<string, unknown>,
  source: Partial<Record<keyof Settings, string>>,
): string[] {
  const disable = out.disableLeaderElection as boolean | undefined;
  const elect = out.leaderElect as boolean | undefined;
  if (disable !== undefined && elect !== undefined && disable === elect) {
    return [
      `${source.disableLeaderElection} and ${source.leaderElect} disagree: set only DISABLE_LEADER_ELECTION (LEADER_ELECT is the older name)`,
    ];
  }
  const leaderElect = elect ?? (disable === undefined ? true : !disable);
  out.leaderElect = leaderElect;
  out.disableLeaderElection = !leaderElect;
  return [];
}

/**
 * SAVINGS_PLANS for a command other than the controller (the viewer, cost): `--savings-plans`, else the
 * environment's SAVINGS_PLANS, with the controller's checks and one error naming where the value came from.
 */
export function savingsPlansOption(
  flag: string | undefined,
  env: RawSettings = process.env,
): SavingsPlan[] | undefined {
  const from = flag !== undefined ? '--savings-plans' : SETTINGS.savingsPlans.env;
  const raw = flag ?? env[SETTINGS.savingsPlans.env];
  if (raw === undefined || raw === '') return undefined;
  const spec = SETTINGS.savingsPlans;
  const parsed = spec.schema.safeParse(raw);
  if (parsed.success) return parsed.data as SavingsPlan[];
  throw new Error(invalidSetting(spec, from, raw, parsed.error.issues));
}

/** The help line of --savings-plans, for each command that prices nodes. */
export const SAVINGS_PLANS_HELP =
  "Savings-Plan-style commitments as the controller's SAVINGS_PLANS JSON: covered nodes priced at what they bill [env SAVINGS_PLANS]";

/** The names loadSettings reads, for the misspelling check. */
export const APPLIED_SETTING_NAMES: readonly string[] = [
  ...Object.values(SETTINGS).map((s) => s.env),
  'POD_NAMESPACE',
  'SYSTEM_NAMESPACE',
];
