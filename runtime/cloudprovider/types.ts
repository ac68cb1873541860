/**
 * The cloud seam, shaped like Karpenter's CloudProvider: controllers launch, find and delete capacity only
 * through this interface. Implementations: the simulated cloud (embedded simulator, tests) and AWS (EC2 Fleet).
 */
import type { NodeClaim, NodePool } from '../kube/objects';
import type { InstanceType } from '../scheduling/instance-types';

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
  /**
   * With the NodeOverlay gate on, how to overlay a NodePool's instance types (controllers/nodeoverlay), so a launch
   * chooses among the claim's offerings by the prices the scheduler saw, as upstream's AWS provider does (CreateFleet
   * "prioritized" by the overlaid prices). Without it, launches go by the cloud's own prices.
   */
  useNodeOverlays?(apply: OverlayInstanceTypes): void;
}

/** A NodePool's instance types with the NodeOverlays applied (the pool's own when it is not yet evaluated). */
export type OverlayInstanceTypes = (nodePoolName: string, types: InstanceType[]) => InstanceType[];
