/**
 * The cloud seam, shaped like Karpenter's CloudProvider: controllers launch, find and delete capacity only
 * through this interface. Implementations: the simulated cloud (embedded simulator, tests) and AWS (EC2 Fleet).
 */
import type { CapacityType } from '../../sdk/api/well-known';
import type { NodeClaim, NodePool } from '../kube/objects';
import type { Requirements } from '../scheduling/requirements';
import type { Resources } from '../scheduling/resources';

export interface Offering {
  capacityType: CapacityType;
  zone: string;
  /** USD per hour. */
  price: number;
  available: boolean;
}

export interface InstanceType {
  name: string;
  /** The labels a node of this type carries, as requirements (zone and capacity type span its offerings). */
  requirements: Requirements;
  /** Raw capacity: cpu in millicores, memory in bytes, pods, gpus. */
  capacity: Resources;
  /** What the kubelet keeps back: kubeReserved + systemReserved + eviction threshold. */
  overhead: Resources;
  /** capacity − overhead: what pods can request. */
  allocatable: Resources;
  offerings: Offering[];
}

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
}

/** The cheapest available offering that satisfies the requirements, if any. */
export function cheapestOffering(it: InstanceType, reqs: Requirements): Offering | undefined {
  let best: Offering | undefined;
  for (const o of compatibleOfferings(it, reqs)) if (!best || o.price < best.price) best = o;
  return best;
}

export function compatibleOfferings(it: InstanceType, reqs: Requirements): Offering[] {
  const zone = reqs.get('topology.kubernetes.io/zone');
  const ct = reqs.get('karpenter.sh/capacity-type');
  return it.offerings.filter(
    (o) => o.available && (!zone || zone.has(o.zone)) && (!ct || ct.has(o.capacityType)),
  );
}

/** The instance type's labels agree with every requirement on keys it defines, and an offering matches. */
export function instanceTypeCompatible(it: InstanceType, reqs: Requirements): boolean {
  for (const r of it.requirements.values()) {
    const want = reqs.get(r.key);
    if (want && !want.intersects(r)) return false;
  }
  return compatibleOfferings(it, reqs).length > 0;
}
