/**
 * The scheduling simulation's input and output: pods, the nodes they may land on, the NodePools that may launch
 * more, and the plan that comes back. Shared by the scheduler, provisioning, consolidation and previews.
 */
import type { InstanceType } from './instance-types';
import type { NodePool, Pod, Taint } from '../kube/objects';
import type { Requirements } from './requirements';
import type { Resources } from './resources';
import type { VolumeTopologyResolver } from './volume-topology';
import type { VolumeLimits } from './volume-limits';

/** Upper bound of instance types passed to the cloud per NodeClaim (the CreateFleet override limit). */
export const MAX_INSTANCE_TYPES = 60;

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
  /**
   * Capacity the pool may still add before its limits; absent means unlimited. The spend cap's key
   * (CostPerHourLimit) holds the USD/hour the pool may still add (see spend.ts).
   */
  remaining?: Resources;
  /**
   * What the cluster-wide caps (CLUSTER_MAX_NODES, _CPU, _MEMORY, _COST_PER_HOUR) still allow across every
   * NodePool, keyed as `remaining`: the same object on every pool of a round, read, never changed (each round
   * works on its own copy). Absent means no cluster caps.
   */
  cluster?: Resources;
  /**
   * USD/hour included in every offering price that the cloud does not bill (PER_NODE_COST): taken off before a
   * price counts against the spend cap.
   * @default 0
   */
  unbilledPerNode?: number;
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
  /**
   * A spend cap (the pool's or the cluster's) counted this claim at its cheapest option: it offers the cloud only
   * options of that price (spend.ts cappedOptions).
   * @default false
   */
  spendCapped?: boolean;
  /** minValues BestEffort lowered a minValues the options could not meet (requirements carry the lower value). */
  minValuesRelaxed?: boolean;
}

/**
 * What to do when a claim's options cannot keep a requirement's minValues distinct values: refuse (Strict), or
 * lower minValues to what is left and say so (BestEffort). Karpenter's MIN_VALUES_POLICY.
 */
export type MinValuesPolicy = 'Strict' | 'BestEffort';
export type PreferencePolicy = 'Respect' | 'Ignore';

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
  /** Ignore: preferred affinities and ScheduleAnyway spreads do not count (PREFERENCE_POLICY). @default 'Respect' */
  preferencePolicy?: PreferencePolicy;
  /**
   * Pack the pods of interchangeable planned claims again by price (see Scheduler.repack); off gives the first
   * pass's plan, for comparison.
   * @default true
   */
  repack?: boolean;
  /**
   * Where the plan needs several new claims of one NodePool and requirements, put their pods on one claim if any
   * instance type holds them all, even at a higher price: consolidation can launch only one replacement
   * (upstream's rule), and a plan of two small claims would otherwise stop a replacement saving far more.
   * @default false
   */
  oneNewClaim?: boolean;
  /** Told how many pods the queue holds at the start of each pass, and how many it gives up on. */
  onQueue?: (depth: number) => void;
  /** Count the pending pods by effective zone (see effective-zone.ts) into `pendingByZone`. @default false */
  effectiveZones?: boolean;
}

export interface SchedulingResult {
  /** Pods placed on existing or in-flight nodes, by node name. */
  existing: Map<string, Pod[]>;
  newNodeClaims: PlannedNodeClaim[];
  /** Pods with nowhere to go, each with one reason per place considered. */
  unschedulable: Map<string, { pod: Pod; reasons: string[] }>;
  /** Pods not simulated at all, as a volume they need cannot be resolved (in `unschedulable` with that reason). */
  ignored?: number;
  /** With `effectiveZones`: the pods simulated, by effective zone. */
  pendingByZone?: Map<string, number>;
}
