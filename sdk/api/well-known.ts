/**
 * Label, annotation, taint and finalizer names shared by the controller, the simulator and the Pulumi
 * components. They are the upstream `karpenter.sh` / `karpenter.k8s.aws` names so that manifests, dashboards
 * and tooling written for Karpenter keep working.
 */

export const KARPENTER_GROUP = 'karpenter.sh';
export const AWS_GROUP = 'karpenter.k8s.aws';

export const Labels = {
  nodePool: 'karpenter.sh/nodepool',
  capacityType: 'karpenter.sh/capacity-type',
  registered: 'karpenter.sh/registered',
  initialized: 'karpenter.sh/initialized',
  instanceType: 'node.kubernetes.io/instance-type',
  zone: 'topology.kubernetes.io/zone',
  region: 'topology.kubernetes.io/region',
  zoneId: 'topology.k8s.aws/zone-id',
  arch: 'kubernetes.io/arch',
  os: 'kubernetes.io/os',
  hostname: 'kubernetes.io/hostname',
  ec2NodeClass: 'karpenter.k8s.aws/ec2nodeclass',
  instanceCategory: 'karpenter.k8s.aws/instance-category',
  instanceFamily: 'karpenter.k8s.aws/instance-family',
  instanceGeneration: 'karpenter.k8s.aws/instance-generation',
  instanceSize: 'karpenter.k8s.aws/instance-size',
  instanceCpu: 'karpenter.k8s.aws/instance-cpu',
  instanceCpuManufacturer: 'karpenter.k8s.aws/instance-cpu-manufacturer',
  instanceMemory: 'karpenter.k8s.aws/instance-memory',
  instanceHypervisor: 'karpenter.k8s.aws/instance-hypervisor',
  instanceGpuName: 'karpenter.k8s.aws/instance-gpu-name',
  instanceGpuManufacturer: 'karpenter.k8s.aws/instance-gpu-manufacturer',
  instanceGpuCount: 'karpenter.k8s.aws/instance-gpu-count',
  instanceGpuMemory: 'karpenter.k8s.aws/instance-gpu-memory',
  instanceNetworkBandwidth: 'karpenter.k8s.aws/instance-network-bandwidth',
  instanceEbsBandwidth: 'karpenter.k8s.aws/instance-ebs-bandwidth',
  instanceLocalNvme: 'karpenter.k8s.aws/instance-local-nvme',
  excludeFromExternalLoadBalancers: 'node.kubernetes.io/exclude-from-external-load-balancers',
  /** On nodes launched into a capacity reservation (capacity type `reserved`), as upstream. */
  capacityReservationId: 'karpenter.k8s.aws/capacity-reservation-id',
  /** `default` or `capacity-block`. */
  capacityReservationType: 'karpenter.k8s.aws/capacity-reservation-type',
  /** `true` or `false`. */
  capacityReservationInterruptible: 'karpenter.k8s.aws/capacity-reservation-interruptible',
  /** The placement group a node class with placementGroupSelector launches into (upstream's). */
  placementGroupId: 'karpenter.k8s.aws/placement-group-id',
  /** The partition, 1 to the group's count, of a node in a partition placement group. */
  placementGroupPartition: 'karpenter.k8s.aws/placement-group-partition',
} as const;

/**
 * The `karpenter.k8s.aws` labels the instance types here carry (plus the node class label Karpenter sets), which
 * scheduling treats as well-known. NodePools may also name the keys in AwsUnmodelledLabels; see labels.ts for
 * which keys of the domain a NodePool or NodeClaim may use.
 */
export const AwsWellKnownLabels: readonly string[] = [
  Labels.ec2NodeClass,
  Labels.instanceCategory,
  Labels.instanceFamily,
  Labels.instanceGeneration,
  Labels.instanceSize,
  Labels.instanceCpu,
  Labels.instanceCpuManufacturer,
  'karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz',
  Labels.instanceMemory,
  Labels.instanceHypervisor,
  Labels.instanceGpuName,
  Labels.instanceGpuManufacturer,
  Labels.instanceGpuCount,
  Labels.instanceGpuMemory,
  Labels.instanceNetworkBandwidth,
  Labels.instanceEbsBandwidth,
  Labels.instanceLocalNvme,
  'karpenter.k8s.aws/instance-encryption-in-transit-supported',
  'karpenter.k8s.aws/instance-accelerator-name',
  'karpenter.k8s.aws/instance-accelerator-manufacturer',
  'karpenter.k8s.aws/instance-accelerator-count',
  // Carried by the instance types of a node class with a placementGroupSelector (absent otherwise).
  Labels.placementGroupId,
  Labels.placementGroupPartition,
];

/**
 * `karpenter.k8s.aws` labels upstream's AWS provider also registers as well-known (v1.14.1 pkg/apis/v1/labels.go):
 * capacity reservations, tenancy and flex instances. Upstream admits them in NodePool and
 * NodeClaim requirements and template labels, so the schemas here do too. The instance types here do not carry
 * them, so scheduling does not treat them as well-known; the capacity reservation ones are offering labels, which a
 * NodePool's or NodeClaim's requirements on them do steer (runtime/scheduling/instance-types.ts compatibleOfferings).
 */
export const AwsUnmodelledLabels: readonly string[] = [
  Labels.capacityReservationId,
  Labels.capacityReservationType,
  Labels.capacityReservationInterruptible,
  'karpenter.k8s.aws/instance-tenancy',
  'karpenter.k8s.aws/instance-capability-flex',
];

export const Annotations = {
  doNotDisrupt: 'karpenter.sh/do-not-disrupt',
  /** On a Node or NodeClaim: node repair leaves it alone ("true"). */
  doNotRepair: 'karpenter.sh/do-not-repair',
  /**
   * On a NodeClaim: the RFC 3339 time its drain ends at the latest, whatever its terminationGracePeriod says (node
   * repair sets it from its policy's drain bound).
   */
  nodeClaimTerminationTimestamp: 'karpenter.sh/nodeclaim-termination-timestamp',
  nodePoolHash: 'karpenter.sh/nodepool-hash',
  nodePoolHashVersion: 'karpenter.sh/nodepool-hash-version',
  ec2NodeClassHash: 'karpenter.k8s.aws/ec2nodeclass-hash',
  ec2NodeClassHashVersion: 'karpenter.k8s.aws/ec2nodeclass-hash-version',
  /** Set on a NodeClaim launched with fewer instance types than a minValues asked for (MIN_VALUES_POLICY=BestEffort). */
  minValuesRelaxed: 'karpenter.sh/nodeclaim-min-values-relaxed',
  /**
   * On the in-memory pods the provisioner plans for a ReplicaSet that is still creating its pods (karpenter-ts
   * only; never written to the API server): see runtime/controllers/provisioning/expected-pods.ts.
   */
  expectedPod: 'karpenter-ts.sh/expected-pod',
  /**
   * Kubernetes' annotation: among a ReplicaSet's pods, those with the lower cost are deleted first on scale-down
   * (an int32; unset or unparsable reads as 0).
   */
  podDeletionCost: 'controller.kubernetes.io/pod-deletion-cost',
  /**
   * On a NodeClaim (karpenter-ts only): the pod-deletion-cost its ReplicaSet pods are given, so scale-downs empty
   * whole nodes, lowest first. See runtime/controllers/deletion-cost/.
   */
  nodePodDeletionCost: 'karpenter-ts.sh/pod-deletion-cost',
} as const;

/**
 * The spend cap of a NodePool (karpenter-ts only): a key of `spec.limits`, in USD per hour, e.g.
 * `karpenter-ts.sh/cost-per-hour: "50"`. A key of upstream's `spec.limits` map, which takes any key with a quantity:
 * the manifest still applies on upstream's CRDs, where no node carries the key and the limit never binds. See
 * runtime/scheduling/spend.ts.
 */
export const CostPerHourLimit = 'karpenter-ts.sh/cost-per-hour';

export const Taints = {
  disrupted: { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' },
  unregistered: { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
  /**
   * On nodes consolidation expects to remove after the current command (karpenter-ts only): the kube-scheduler's
   * TaintToleration scoring then puts evicted pods on the nodes that stay, so no pod is moved twice. A preference,
   * never a constraint: our own scheduling ignores it, and the disruption controller takes it off when the
   * outlook changes or consolidation is done.
   */
  consolidationCandidate: { key: 'karpenter-ts.sh/consolidation-candidate', effect: 'PreferNoSchedule' },
} as const;

/**
 * Taints a node carries while it starts and loses without anyone's help: the kubelet's and the node lifecycle
 * controller's readiness taints, the cloud controller's, our registration taint. A launching node is planned as if
 * they were gone, and is not Initialized until they are. Matched by key and effect.
 */
export const KnownEphemeralTaints: readonly { key: string; effect: string }[] = [
  { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
  { key: 'node.cloudprovider.kubernetes.io/uninitialized', effect: 'NoSchedule' },
  Taints.unregistered,
];
/** Key prefixes of ephemeral taint families (the Node Readiness Controller's `readiness.k8s.io/<rule>`). */
export const KnownEphemeralTaintKeyPrefixes: readonly string[] = ['readiness.k8s.io/'];

export const Finalizers = {
  termination: 'karpenter.sh/termination',
  /** Held by an EC2NodeClass until no NodeClaim uses it and its cloud resources are deleted. */
  nodeClassTermination: 'karpenter.k8s.aws/termination',
} as const;

/** Extended resources the AWS instance types carry (upstream's names). */
export const ExtendedResources = {
  /** EFA devices: a type's EfaInfo.MaximumEfaInterfaces, or a node class's efa-only interfaces. */
  efa: 'vpc.amazonaws.com/efa',
} as const;

export const CapacityType = {
  spot: 'spot',
  onDemand: 'on-demand',
  reserved: 'reserved',
} as const;
export type CapacityType = (typeof CapacityType)[keyof typeof CapacityType];

/** NodeClaim condition types (status.conditions[].type). */
export const ConditionTypes = {
  launched: 'Launched',
  registered: 'Registered',
  initialized: 'Initialized',
  ready: 'Ready',
  consolidatable: 'Consolidatable',
  drifted: 'Drifted',
  drained: 'Drained',
  instanceTerminating: 'InstanceTerminating',
  disruptionReason: 'DisruptionReason',
} as const;

/** Reasons a node is disrupted; the budget `reasons` field uses the first three. */
export const DisruptionReasons = ['Underutilized', 'Empty', 'Drifted', 'Unhealthy'] as const;
export type DisruptionReason = (typeof DisruptionReasons)[number] | 'Expired' | 'Interrupted';

/** EC2NodeClass `amiFamily` values. */
export const AmiFamilies = [
  'AL2',
  'AL2023',
  'Bottlerocket',
  'Custom',
  'Windows2019',
  'Windows2022',
  'Windows2025',
] as const;
export type AmiFamily = (typeof AmiFamilies)[number];

/** The family part of an AMI `alias` (family@version) and the amiFamily it implies. */
export const AmiAliasFamilies: Readonly<Record<string, AmiFamily>> = {
  al2: 'AL2',
  al2023: 'AL2023',
  bottlerocket: 'Bottlerocket',
  windows2019: 'Windows2019',
  windows2022: 'Windows2022',
  windows2025: 'Windows2025',
};

/** Kubelet eviction signals Karpenter passes through (evictionHard / evictionSoft / evictionSoftGracePeriod keys). */
export const EvictionSignals = [
  'memory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'pid.available',
] as const;

/** Resources kubelet systemReserved / kubeReserved may reserve. */
export const ReservableResources = ['cpu', 'memory', 'ephemeral-storage', 'pid'] as const;

/**
 * EC2 tag keys the controller writes on what it launches, and that its IAM policy is scoped by: the controller
 * may only tag, and later delete, what carries them.
 */
export const OwnershipTags = {
  /** `kubernetes.io/cluster/<name>=owned` */
  cluster: (clusterName: string): string => `kubernetes.io/cluster/${clusterName}`,
  eksClusterName: 'eks:eks-cluster-name',
  nodePool: Labels.nodePool,
  nodeClaim: 'karpenter.sh/nodeclaim',
  ec2NodeClass: Labels.ec2NodeClass,
  region: Labels.region,
} as const;

/** EC2 tag keys Karpenter writes on everything it launches; an EC2NodeClass may not set them. */
export const ReservedTagKeys = {
  exact: [
    OwnershipTags.eksClusterName,
    OwnershipTags.nodePool,
    OwnershipTags.nodeClaim,
    OwnershipTags.ec2NodeClass,
  ],
  prefix: ['kubernetes.io/cluster'],
} as const;
