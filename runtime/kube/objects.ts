/**
 * The Kubernetes object shapes the runtime reads and writes, in wire form (what the API server sends as JSON:
 * timestamps are RFC 3339 strings, quantities are strings). Only the fields the controllers use are typed;
 * everything else round-trips untouched.
 */
import type {
  CapacityBuffer,
  EC2NodeClass,
  NodeClaim,
  NodeOverlay,
  NodePool,
  ObjectMeta,
  Taint,
  NodeSelectorRequirement,
} from '../../sdk';

export type {
  ObjectMeta,
  Taint,
  NodeSelectorRequirement,
  NodePool,
  NodeClaim,
  EC2NodeClass,
  NodeOverlay,
  CapacityBuffer,
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/**
 * The name of an object read from the API server, which always has one (`metadata.name` is optional only because
 * objects about to be created may use generateName instead). Throws, naming the kind, when it is missing.
 */
export function nameOf(obj: { kind?: string; metadata?: { name?: string; generateName?: string } }): string {
  const name = obj.metadata?.name;
  if (name === undefined) {
    const generated = obj.metadata?.generateName ? ` (generateName "${obj.metadata.generateName}")` : '';
    throw new Error(`${obj.kind || 'object'}${generated} has no metadata.name`);
  }
  return name;
}

/** The owner reference marked controller: the ReplicaSet of a pod, the Deployment of a ReplicaSet. */
export function controllerRef(
  obj: KubeObject,
): NonNullable<ObjectMeta['ownerReferences']>[number] | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.controller);
}

export type ResourceList = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  topologyKey: string;
  matchLabelKeys?: string[];
}

export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[];
}

export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
  };
  podAffinity?: PodAffinity;
  podAntiAffinity?: PodAffinity;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector?: LabelSelector;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore';
  nodeTaintsPolicy?: 'Honor' | 'Ignore';
  matchLabelKeys?: string[];
}

export interface Container {
  name: string;
  image?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
  ports?: { containerPort: number; hostPort?: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath?: string }[];
}

/** A pod volume: only the sources that tie a pod to a zone (claims, generic ephemeral volumes) are typed. */
export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  ephemeral?: { volumeClaimTemplate?: { spec: PersistentVolumeClaimSpec } };
}

export interface PersistentVolumeClaimSpec {
  storageClassName?: string;
  /** The bound PersistentVolume; empty while unbound. */
  volumeName?: string;
  accessModes?: string[];
  resources?: { requests?: ResourceList };
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers: Container[];
  initContainers?: Container[];
  priority?: number;
  priorityClassName?: string;
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
  schedulerName?: string;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Pod extends KubeObject {
  kind: 'Pod';
  spec: PodSpec;
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    conditions?: PodCondition[];
    nominatedNodeName?: string;
  };
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Node extends KubeObject {
  kind: 'Node';
  spec?: { providerID?: string; taints?: Taint[]; unschedulable?: boolean };
  status?: { capacity?: ResourceList; allocatable?: ResourceList; conditions?: NodeCondition[] };
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

/** A core/v1 PodTemplate object: a pod template stored on its own (a CapacityBuffer's podTemplateRef). */
export interface PodTemplateObject extends KubeObject {
  kind: 'PodTemplate';
  template: PodTemplate;
}

export interface Deployment extends KubeObject {
  kind: 'Deployment';
  spec: { replicas?: number; selector: LabelSelector; template: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number };
}

export interface StatefulSet extends KubeObject {
  kind: 'StatefulSet';
  spec: { replicas?: number; selector: LabelSelector; serviceName?: string; template: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number };
}

export interface ReplicaSet extends KubeObject {
  kind: 'ReplicaSet';
  spec: { replicas?: number; selector: LabelSelector; template: PodTemplate };
  status?: {
    replicas?: number;
    /** ReplicaFailure=True: pods could not be created (a quota, an admission webhook). */
    conditions?: { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string }[];
  };
}

export interface DaemonSet extends KubeObject {
  kind: 'DaemonSet';
  spec: { selector: LabelSelector; template: PodTemplate };
}

export interface PodDisruptionBudget extends KubeObject {
  kind: 'PodDisruptionBudget';
  spec: { selector?: LabelSelector; minAvailable?: number | string; maxUnavailable?: number | string };
  status?: {
    disruptionsAllowed?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    expectedPods?: number;
  };
}

export interface Event extends KubeObject {
  kind: 'Event';
  involvedObject: { apiVersion?: string; kind: string; name: string; namespace?: string; uid?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
  source?: { component?: string };
}

export interface Namespace extends KubeObject {
  kind: 'Namespace';
}

/** storage.k8s.io/v1 VolumeAttachment: a CSI volume attached to a node; gone once the volume is detached. */
export interface VolumeAttachment extends KubeObject {
  kind: 'VolumeAttachment';
  spec: {
    attacher: string;
    nodeName: string;
    source: { persistentVolumeName?: string };
  };
  status?: { attached?: boolean };
}

/**
 * storage.k8s.io/v1 CSINode, named after its Node: each CSI driver on the node and how many of its volumes the node
 * can attach (`allocatable.count`, absent when unlimited).
 */
export interface CSINode extends KubeObject {
  kind: 'CSINode';
  spec: { drivers?: { name: string; nodeID?: string; allocatable?: { count?: number } }[] };
}

/** v1 PersistentVolumeClaim: a pod's request for storage, bound to a PersistentVolume once provisioned. */
export interface PersistentVolumeClaim extends KubeObject {
  kind: 'PersistentVolumeClaim';
  spec: PersistentVolumeClaimSpec;
  status?: { phase?: 'Pending' | 'Bound' | 'Lost' };
}

/** v1 PersistentVolume: its node affinity says which nodes (zones) can mount it. */
export interface PersistentVolume extends KubeObject {
  kind: 'PersistentVolume';
  spec: {
    storageClassName?: string;
    capacity?: ResourceList;
    csi?: { driver: string; volumeHandle: string };
    nodeAffinity?: { required?: { nodeSelectorTerms: NodeSelectorTerm[] } };
    claimRef?: { namespace?: string; name?: string };
  };
}

/** storage.k8s.io/v1 StorageClass: with WaitForFirstConsumer, volumes are created where the pod lands. */
export interface StorageClass extends KubeObject {
  kind: 'StorageClass';
  provisioner: string;
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  allowedTopologies?: { matchLabelExpressions?: { key: string; values: string[] }[] }[];
  parameters?: Record<string, string>;
}

/** v1 Service: only its cluster IP is read (kube-system/kube-dns, the cluster DNS nodes are told). */
export interface Service extends KubeObject {
  kind: 'Service';
  spec?: { clusterIP?: string; clusterIPs?: string[] };
}

/** coordination.k8s.io/v1 Lease: leader election. Times are MicroTime (RFC 3339 with microseconds). */
export interface Lease extends KubeObject {
  kind: 'Lease';
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}
