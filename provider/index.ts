/**
 * karpenter-ts's Pulumi components (`karpenter-ts/provider`): KarpenterCluster (an EKS cluster with everything) and
 * KarpenterInstall (an existing cluster), plus the pieces they are made of for programs that want only some.
 */
export { KarpenterCluster, CLUSTER_TYPE } from './cluster/karpenter-cluster';
export type { KarpenterClusterArgs, ExistingVpc, SystemNodeGroupArgs } from './cluster/karpenter-cluster';
export { KarpenterInstall, INSTALL_TYPE } from './install/karpenter-install';
export type { ClusterCapsArgs, KarpenterInstallArgs, DriftPreviewOptions } from './install/args';
export type { ExistingAwsResources } from './install/aws-side';
export type { MonitoringArgs, Monitoring } from './monitoring/monitoring';
export { defaultNodeClassArgs, defaultNodePoolArgs, DISCOVERY_TAG } from './install/defaults';
export { controllerPolicyStatements, controllerPolicies } from './iam/controller-policy';
export type { ControllerPolicyScope } from './iam/controller-policy';
export type { ControllerIdentity } from './iam/controller-role';
export { INTERRUPTION_RULES } from './interruption/rules';
export { previewDrift, offlineDrift, kubeconfigReader, awsResolver } from './drift-preview';
export type {
  DriftPreview,
  DriftResolver,
  NodeClaimReader,
  PlannedHashes,
  PreviewFacts,
} from './drift-preview';
export { MISTAKE_RULES } from './policy/rules';
export { NodePool, EC2NodeClass } from '../sdk/pulumi';
export type { NodePoolArgs, EC2NodeClassArgs } from '../sdk/pulumi';
