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
   * Which of these capacity reservations are capacity blocks in EC2's reclaim window (from 40 minutes before their
   * end), whose instances EC2 is about to take back. Clouds without reservations leave it out.
   */
  expiringReservations?(ids: readonly string[]): Promise<Set<string>>;
}
