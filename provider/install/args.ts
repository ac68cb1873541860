/**
 * KarpenterInstall's arguments and their defaults, apart from the component so validation and the functions that
 * create resources can read them without importing the component.
 */
import type { MonitoringArgs } from '../monitoring/monitoring';
import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { EC2NodeClass, EC2NodeClassArgs, NodePool, NodePoolArgs } from '../../sdk/pulumi';
import type { DriftResolver, NodeClaimReader, PlannedHashes } from '../drift-preview';
import type { ControllerIdentity } from '../iam/controller-role';
import type { ExistingAwsResources } from './aws-side';
import type { ImageBuildArgs } from '../image/controller-image';
import type { ObjectFactory } from './karpenter-objects';
import type { SavingsPlan } from '../../runtime/scheduling/savings-plans';

export interface DriftPreviewOptions {
  /** Report, during `pulumi preview`, which NodeClaims the planned change would drift. @default true */
  enabled?: boolean;
  /** Reads live NodeClaims. @default a reader using `kubeconfig` when it is given */
  readNodeClaims?: NodeClaimReader;
  /**
   * The hashes this component output last time (`driftPreview.hashes`), for a report without a cluster.
   * @default unset: without a cluster, only the planned hashes are reported
   */
  previousHashes?: pulumi.Input<PlannedHashes>;
  /**
   * The AWS region to resolve selector terms (tags, names, aliases) and read instances' subnets and security
   * groups in, with the program's AWS credentials. @default unset: only `id` terms and the NodeClaims' image ids
   */
  region?: pulumi.Input<string>;
  /** The cluster's Kubernetes minor for AMI aliases. @default read from the cluster through `kubeconfig` */
  kubernetesVersion?: pulumi.Input<string>;
  /** Resolves terms and reads instances instead of the AWS SDK. @default unset */
  resolver?: DriftResolver;
}

/** KarpenterInstall's `clusterCaps`: each one unset means no cap. */
export interface ClusterCapsArgs {
  /** CLUSTER_MAX_NODES: nodes across all NodePools, e.g. 200. @default no cap */
  nodes?: number;
  /** CLUSTER_MAX_CPU: vCPU capacity across all NodePools, a quantity, e.g. "1000". @default no cap */
  cpu?: string;
  /** CLUSTER_MAX_MEMORY: memory capacity across all NodePools, a quantity, e.g. "4Ti". @default no cap */
  memory?: string;
  /**
   * CLUSTER_MAX_COST_PER_HOUR: USD/hour across all NodePools (instance and volumes, without PER_NODE_COST),
   * e.g. 250. @default no cap
   */
  costPerHour?: number;
}

export interface KarpenterInstallArgs {
  /** The EKS cluster's name: scopes IAM, tags discovery resources and names the queue. */
  clusterName: pulumi.Input<string>;
  /** The API server URL nodes join. */
  clusterEndpoint: pulumi.Input<string>;
  /** Base64 PEM of the cluster's CA. @default unset: the controller discovers it */
  clusterCertificateAuthority?: pulumi.Input<string>;
  /** The Kubernetes provider for the cluster. */
  kubernetesProvider: k8s.Provider;
  /**
   * AWS resources made outside the install (node role, controller role, interruption queue, region and account):
   * with it the install creates no AWS resource and makes no AWS call, only the cluster half. It then needs
   * `image`, and refuses the arguments that shape AWS resources (`nodeRoleName`, `identity`, `interruptionQueue*`,
   * `discovery*`, `tags`, `imageBuild`). @default unset: the install creates them
   */
  existingAws?: ExistingAwsResources;
  /** The cluster's kubeconfig, used only by the drift preview to read live NodeClaims. @default unset */
  kubeconfig?: pulumi.Input<string>;
  /** The namespace the controller runs in. @default "karpenter" */
  namespace?: string;
  /** Create the namespace (false when it already exists, e.g. kube-system). @default true */
  createNamespace?: boolean;
  /** The controller's service account, which its AWS identity is bound to. @default "karpenter" */
  serviceAccountName?: string;
  /** How the controller gets AWS credentials. @default { kind: "podIdentity" } */
  identity?: ControllerIdentity;
  /** Create the SQS interruption queue and its EventBridge rules. @default true */
  interruptionQueue?: boolean;
  /**
   * The interruption queue's name, which the controller is told.
   * @default the cluster name (cut to SQS's 80 characters with a hash when longer)
   */
  interruptionQueueName?: pulumi.Input<string>;
  /**
   * A controller image to run; when unset the image is built from runtime/Dockerfile and pushed to ECR.
   * @default unset: built
   */
  image?: pulumi.Input<string>;
  /** How to build the image when `image` is unset. @default {} */
  imageBuild?: ImageBuildArgs;
  /** Controller pods; only the leader acts, the others take over. @default 2 (one leader, one standby) */
  replicas?: number;
  /**
   * The controller container's resources.
   * @default { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } }
   */
  resources?: k8s.types.input.core.v1.ResourceRequirements;
  /** The controller's log level. @default "info" */
  logLevel?: string;
  /** Feature gates for the controller, e.g. "SpotToSpotConsolidation=true". @default unset */
  featureGates?: string;
  /**
   * Cluster-wide caps across every NodePool (the controller's CLUSTER_MAX_* settings, karpenter-ts only): pods
   * past one stay pending with the cap as their FailedScheduling reason, as for a NodePool's limits.
   * @default {} (no caps)
   */
  clusterCaps?: ClusterCapsArgs;
  /**
   * Savings-Plan-style commitments (the controller's SAVINGS_PLANS, karpenter-ts only): the on-demand usage each
   * covers bills at its discount up to its commitment, and new capacity of a covered family is priced at that rate
   * while there is room, so the scheduler fills what you have committed to first. Give the commitment left for the
   * nodes karpenter-ts launches (less what other usage, e.g. managed node groups, already takes). Validated at
   * preview. @default [] (none)
   */
  savingsPlans?: SavingsPlan[];
  /**
   * ENABLE_ZONAL_SHIFT: avoid zones under an ARC zonal shift (no launches there, their nodes replaced within the
   * Drifted budget). The cluster must be registered with zonal shift, or the controller stops at start; the
   * controller role is always allowed arc-zonal-shift:GetManagedResource on this cluster. @default false
   */
  enableZonalShift?: boolean;
  /** Node selector for the controller pods (e.g. the system node group's labels). @default {} */
  controllerNodeSelector?: Record<string, string>;
  /** Tolerations of the controller pods, replacing the default. @default tolerate CriticalAddonsOnly */
  controllerTolerations?: k8s.types.input.core.v1.Toleration[];
  /**
   * The name of the role Karpenter's nodes run as.
   * @default `KarpenterNodeRole-<clusterName>` (cut to IAM's 64 characters with a hash when longer)
   */
  nodeRoleName?: pulumi.Input<string>;
  /** Subnets to tag `karpenter.sh/discovery=<cluster>` (for nodes to launch into). @default [] */
  discoverySubnetIds?: pulumi.Input<string>[];
  /** Security groups to tag `karpenter.sh/discovery=<cluster>`. @default [] */
  discoverySecurityGroupIds?: pulumi.Input<string>[];
  /**
   * NodePools the install creates after the CRDs and the controller (and deletes before them): args, or a function
   * `(opts) => new NodePool(name, args, opts)` for a resource of your own naming (key = object name). A NodePool
   * built before the install is refused: it could not wait for them. @default {}
   */
  nodePools?: Record<string, NodePoolArgs | ObjectFactory<NodePool>>;
  /** EC2NodeClasses, the same way as `nodePools`. @default {} */
  nodeClasses?: Record<string, EC2NodeClassArgs | ObjectFactory<EC2NodeClass>>;
  /** Also create a "default" EC2NodeClass (AL2023, discovery selectors) and a "default" NodePool. @default false */
  defaultNodePool?: boolean;
  /** The drift report during `pulumi preview`. @default { enabled: true } */
  driftPreview?: DriftPreviewOptions;
  /** Tags on every AWS resource, besides `app.kubernetes.io/managed-by=karpenter-ts`. @default {} */
  tags?: Record<string, string>;
  /**
   * A ServiceMonitor, the alert rules and the Grafana dashboard for a Prometheus operator / Grafana stack (see
   * docs/METRICS.md). @default {} (none of them)
   */
  monitoring?: MonitoringArgs;
}

/** The defaults documented above, applied where the resources are created. */
export const DEFAULT_NAMESPACE = 'karpenter';
export const DEFAULT_SERVICE_ACCOUNT = 'karpenter';
export const DEFAULT_REPLICAS = 2;
export const DEFAULT_LOG_LEVEL = 'info';

/** A fresh object each call, so no install shares (or can mutate) another's. */
export function defaultResources(): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } };
}
