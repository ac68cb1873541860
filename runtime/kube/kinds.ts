import type {
  CapacityBuffer,
  CSINode,
  DaemonSet,
  Deployment,
  EC2NodeClass,
  Event,
  KubeObject,
  Lease,
  Namespace,
  Node,
  NodeClaim,
  NodeOverlay,
  NodePool,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  PodTemplateObject,
  ReplicaSet,
  Service,
  StatefulSet,
  StorageClass,
  VolumeAttachment,
} from './objects';

/** Where a kind lives in the API: enough to build REST paths and to key an object store. */
export interface ResourceKind<T extends KubeObject = KubeObject> {
  readonly group: string;
  readonly version: string;
  readonly kind: T['kind'];
  readonly plural: string;
  readonly namespaced: boolean;
  /** Phantom field carrying the object type; never set. */
  readonly __type?: T;
}

function kind<T extends KubeObject>(
  group: string,
  version: string,
  k: string,
  plural: string,
  namespaced: boolean,
): ResourceKind<T> {
  return { group, version, kind: k, plural, namespaced };
}

export const Kinds = {
  Pod: kind<Pod>('', 'v1', 'Pod', 'pods', true),
  Node: kind<Node>('', 'v1', 'Node', 'nodes', false),
  Namespace: kind<Namespace>('', 'v1', 'Namespace', 'namespaces', false),
  Event: kind<Event>('', 'v1', 'Event', 'events', true),
  Deployment: kind<Deployment>('apps', 'v1', 'Deployment', 'deployments', true),
  ReplicaSet: kind<ReplicaSet>('apps', 'v1', 'ReplicaSet', 'replicasets', true),
  StatefulSet: kind<StatefulSet>('apps', 'v1', 'StatefulSet', 'statefulsets', true),
  DaemonSet: kind<DaemonSet>('apps', 'v1', 'DaemonSet', 'daemonsets', true),
  PodDisruptionBudget: kind<PodDisruptionBudget>(
    'policy',
    'v1',
    'PodDisruptionBudget',
    'poddisruptionbudgets',
    true,
  ),
  NodePool: kind<NodePool>('karpenter.sh', 'v1', 'NodePool', 'nodepools', false),
  NodeClaim: kind<NodeClaim>('karpenter.sh', 'v1', 'NodeClaim', 'nodeclaims', false),
  NodeOverlay: kind<NodeOverlay>('karpenter.sh', 'v1alpha1', 'NodeOverlay', 'nodeoverlays', false),
  CapacityBuffer: kind<CapacityBuffer>(
    'autoscaling.x-k8s.io',
    'v1beta1',
    'CapacityBuffer',
    'capacitybuffers',
    true,
  ),
  PodTemplate: kind<PodTemplateObject>('', 'v1', 'PodTemplate', 'podtemplates', true),
  EC2NodeClass: kind<EC2NodeClass>('karpenter.k8s.aws', 'v1', 'EC2NodeClass', 'ec2nodeclasses', false),
  PersistentVolumeClaim: kind<PersistentVolumeClaim>(
    '',
    'v1',
    'PersistentVolumeClaim',
    'persistentvolumeclaims',
    true,
  ),
  PersistentVolume: kind<PersistentVolume>('', 'v1', 'PersistentVolume', 'persistentvolumes', false),
  StorageClass: kind<StorageClass>('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false),
  VolumeAttachment: kind<VolumeAttachment>(
    'storage.k8s.io',
    'v1',
    'VolumeAttachment',
    'volumeattachments',
    false,
  ),
  Lease: kind<Lease>('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  CSINode: kind<CSINode>('storage.k8s.io', 'v1', 'CSINode', 'csinodes', false),
  Service: kind<Service>('', 'v1', 'Service', 'services', true),
} as const;

export function apiVersionOf(k: ResourceKind): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

/** "apps/v1/deployments": a stable key for a kind. */
export function kindKey(k: ResourceKind): string {
  return `${apiVersionOf(k)}/${k.plural}`;
}
