/**
 * The cloud seam, shaped like Karpenter's CloudProvider: controllers launch, find and delete capacity only
 * through this interface. Implementations: the simulated cloud (embedded simulator, tests) and AWS (EC2 Fleet).
 */
import type { NodeClaim, NodePool } from '../kube/objects';
import type { InstanceType } from '../scheduling/instance-types';
import type { ShiftedZones } from './zonal-shift';

/** Why a NodeClaim no longer matches its cloud configuration, or undefined when it does. */
export type DriftReason = string | undefined;

export class NodeClaimNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeClaimNotFoundError';
  }
}

/** Launch failed because no requested offering had capacity; the offerings tried are marked unavailable. */
export class InsufficientCapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InsufficientCapacityError';
  }
}

/** Why a cloud call failed, as the NodeClaim's condition reason. */
export type CloudProviderErrorReason =
  'Throttled' | 'AccessDenied' | 'InvalidParameter' | 'NodeClassNotReady' | 'AwsError';

/**
 * A cloud call failed for a reason the user can act on: which call (`action`, as an IAM action name such as
 * "ec2:CreateFleet"), why, and what to fix (in the message). Retryable errors clear up by themselves.
 */
export class CloudProviderError extends Error {
  constructor(
    readonly reason: CloudProviderErrorReason,
    readonly action: string,
    message: string,
    readonly retryable = reason === 'Throttled' || reason === 'AwsError',
  ) {
    super(message);
    this.name = 'CloudProviderError';
  }
}

/**
 * When node repair replaces an unhealthy node (upstream's cloudprovider.RepairPolicy): a Node condition of this type
 * and status, held for `tolerationMs` since its last transition. Only ReplaceNode exists here (no in-place reboot).
 */
export interface RepairPolicy {
  conditionType: string;
  conditionStatus: 'True' | 'False' | 'Unknown';
  /** Matched against the condition's reason; absent: any reason. */
  reasonRegex?: string;
  tolerationMs: number;
  /**
   * Bound on the drain of a node repaired for this condition: min(this, the NodeClaim's terminationGracePeriod); 0
   * skips the drain. @default undefined (the NodeClaim's own terminationGracePeriod applies)
   */
  terminationGracePeriodMs?: number;
  /** 0–100; higher repairs first. @default 0 */
  priority?: number;
}

/** The kubelet's Ready condition false or unknown for 30 min (the AWS provider's, v1.14). */
export const KUBELET_READY_POLICIES: readonly RepairPolicy[] = [
  { conditionType: 'Ready', conditionStatus: 'False', tolerationMs: 30 * 60_000 },
  { conditionType: 'Ready', conditionStatus: 'Unknown', tolerationMs: 30 * 60_000 },
];

/** The AWS provider's repair policies (v1.14): kubelet Ready, and the EKS node monitoring agent's conditions. */
export const AWS_REPAIR_POLICIES: readonly RepairPolicy[] = [
  ...KUBELET_READY_POLICIES,
  { conditionType: 'AcceleratedHardwareReady', conditionStatus: 'False', tolerationMs: 10 * 60_000 },
  { conditionType: 'StorageReady', conditionStatus: 'False', tolerationMs: 30 * 60_000 },
  { conditionType: 'NetworkingReady', conditionStatus: 'False', tolerationMs: 30 * 60_000 },
  { conditionType: 'KernelReady', conditionStatus: 'False', tolerationMs: 30 * 60_000 },
  { conditionType: 'ContainerRuntimeReady', conditionStatus: 'False', tolerationMs: 30 * 60_000 },
];

export interface CloudProvider {
  readonly name: string;
  /** It writes EC2NodeClass status (Ready and its parts); NodePools then follow the node class's Ready. */
  readonly reportsNodeClassStatus?: boolean;
  /** Launch an instance for the claim; returns the claim with status (providerID, capacity, allocatable) and labels. */
  create(nodeClaim: NodeClaim): Promise<NodeClaim>;
  /** Terminate the claim's instance; throws NodeClaimNotFoundError once it is gone. */
  delete(nodeClaim: NodeClaim): Promise<void>;
  get(providerID: string): Promise<NodeClaim>;
  list(): Promise<NodeClaim[]>;
  /** Instance types a NodePool may launch, with allocatable computed for its node class. */
  getInstanceTypes(nodePool: NodePool): Promise<InstanceType[]>;
  isDrifted(nodeClaim: NodeClaim): Promise<DriftReason>;
  /**
   * USD per hour every node of this NodePool costs besides its instance: the EBS volumes its node class gives
   * it. The scheduler adds it to each offering's price, so fewer, larger nodes win when they save volumes.
   */
  nodeOverheadPrice(nodePool: NodePool): Promise<number>;
  /** The unhealthy Node conditions node repair (the NodeRepair gate) replaces nodes for. */
  repairPolicies(): readonly RepairPolicy[];
  /**
   * With the NodeOverlay gate on, how to overlay a NodePool's instance types (controllers/nodeoverlay), so a launch
   * chooses among the claim's offerings by the prices the scheduler saw, as upstream's AWS provider does (CreateFleet
   * "prioritized" by the overlaid prices). Without it, launches go by the cloud's own prices.
   */
  useNodeOverlays?(apply: OverlayInstanceTypes): void;
  /**
   * USD/hour to add to a launched node's price, as its instance type's offering shows it, to get what it bills: set
   * by SAVINGS_PLANS (controllers/savings-plans) for a covered node whose plan is used up; absent means 0.
   */
  nodePriceAdjustment?(node: PricedNode): number;
  /**
   * With ENABLE_ZONAL_SHIFT, the zones under a zonal shift: their offerings are unavailable (`zonalShift: true`) in
   * getInstanceTypes, so neither plans nor launches use them. A cloud without it cannot follow zonal shifts.
   */
  useZonalShift?(shiftedZones: ShiftedZones): void;
  /**
   * Which of these capacity reservations are capacity blocks in EC2's reclaim window (from 40 minutes before their
   * end), whose instances EC2 is about to take back. Clouds without reservations leave it out.
   */
  expiringReservations?(ids: readonly string[]): Promise<Set<string>>;
}

/** A node or claim as nodePriceAdjustment needs it (ClusterState's StateNode is one). */
export interface PricedNode {
  name: string;
  nodeClaim?: NodeClaim;
}

/** A NodePool's instance types with the NodeOverlays applied (the pool's own when it is not yet evaluated). */
export type OverlayInstanceTypes = (nodePoolName: string, types: InstanceType[]) => InstanceType[];
