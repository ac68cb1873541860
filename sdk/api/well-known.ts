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
  excludeFromExternalLoadBalancers: 'node.kubernetes.io/exclude-from-external-load-balancers',
} as const;

export const Annotations = {
  doNotDisrupt: 'karpenter.sh/do-not-disrupt',
  nodePoolHash: 'karpenter.sh/nodepool-hash',
  nodePoolHashVersion: 'karpenter.sh/nodepool-hash-version',
  ec2NodeClassHash: 'karpenter.k8s.aws/ec2nodeclass-hash',
  ec2NodeClassHashVersion: 'karpenter.k8s.aws/ec2nodeclass-hash-version',
} as const;

export const Taints = {
  disrupted: { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' },
  unregistered: { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
} as const;

export const Finalizers = {
  termination: 'karpenter.sh/termination',
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
export const DisruptionReasons = ['Underutilized', 'Empty', 'Drifted'] as const;
export type DisruptionReason = (typeof DisruptionReasons)[number] | 'Expired' | 'Interrupted';
