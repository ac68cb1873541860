/**
 * The simulator's stand-ins for kube-controller-manager's workload controllers: Deployments own ReplicaSets,
 * ReplicaSets, StatefulSets and DaemonSets own pods, and a garbage collector removes what a deleted owner leaves
 * behind. Each controller reads informer caches and writes through the KubeApi; every choice it makes (names,
 * which pod goes on scale-down) is deterministic so simulator runs replay exactly.
 */
export { POD_TEMPLATE_HASH_LABEL, templateHash } from './deployment';
export { scaleDownOrder } from './replica-set';
export { POD_INDEX_LABEL, STATEFULSET_POD_NAME_LABEL } from './stateful-set';
export { SimWorkloadControllers, type SimWorkloadControllersOptions } from './workload-controllers';
