/**
 * `karpenter-ts:index:KarpenterInstall`: everything karpenter-ts needs on an existing EKS cluster: IAM (controller
 * role with Pod Identity or IRSA, node role, instance profile, access entry), the interruption queue and its rules,
 * discovery tags, the CRDs, namespace, service account, RBAC, the controller Deployment with its PDB and metrics
 * Service, typed NodePools / EC2NodeClasses, and the drift preview.
 */
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { EC2NodeClass, NodePool, type EC2NodeClassArgs, type NodePoolArgs } from '../../sdk/pulumi';
import { awsScope } from '../aws-scope';
import { driftPreview, type DriftPreview, type NodeClaimReader, type PlannedHashes } from '../drift-preview';
import { controllerImage, type ImageBuildArgs } from '../image/controller-image';
import { createControllerRole, type ControllerIdentity } from '../iam/controller-role';
import { createNodeRole } from '../iam/node-role';
import { createInterruptionQueue } from '../interruption/interruption-queue';
import { DISCOVERY_TAG, defaultNodeClassArgs, defaultNodePoolArgs } from './defaults';
import { loadCrds } from './crds';
import {
  CLUSTER_RULES,
  NAMESPACE_RULES,
  deployment,
  metricsService,
  podDisruptionBudget,
  selectorLabels,
} from './manifests';
import { validateInstallArgs } from './validate';

export const INSTALL_TYPE = 'karpenter-ts:index:KarpenterInstall';

export interface DriftPreviewOptions {
  /** @default true */
  enabled?: boolean;
  /** Reads live NodeClaims. @default a reader using `kubeconfig` when it is given */
  readNodeClaims?: NodeClaimReader;
  /** The hashes this component output last time (`driftPreview.hashes`), for a report without a cluster. */
  previousHashes?: pulumi.Input<PlannedHashes>;
}

export interface KarpenterInstallArgs {
  clusterName: pulumi.Input<string>;
  /** The API server URL nodes join. */
  clusterEndpoint: pulumi.Input<string>;
  /** Base64 PEM of the cluster's CA. */
  clusterCertificateAuthority?: pulumi.Input<string>;
  /** The Kubernetes provider for the cluster. */
  kubernetesProvider: k8s.Provider;
  /** The cluster's kubeconfig, used only by the drift preview to read live NodeClaims. */
  kubeconfig?: pulumi.Input<string>;
  /** @default "karpenter" */
  namespace?: string;
  /** Create the namespace (false when it already exists, e.g. kube-system). @default true */
  createNamespace?: boolean;
  /** @default "karpenter" */
  serviceAccountName?: string;
  /** How the controller gets AWS credentials. @default { kind: "podIdentity" } */
  identity?: ControllerIdentity;
  /** Create the SQS interruption queue and its EventBridge rules. @default true */
  interruptionQueue?: boolean;
  /** @default the cluster name */
  interruptionQueueName?: pulumi.Input<string>;
  /** A controller image to run; when unset the image is built from runtime/Dockerfile and pushed to ECR. */
  image?: pulumi.Input<string>;
  /** How to build the image when `image` is unset. @default {} */
  imageBuild?: ImageBuildArgs;
  /** @default 2 (one leader, one standby) */
  replicas?: number;
  /** @default { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } } */
  resources?: k8s.types.input.core.v1.ResourceRequirements;
  /** @default "info" */
  logLevel?: string;
  /** e.g. "SpotToSpotConsolidation=true" @default unset */
  featureGates?: string;
  /** Node selector for the controller pods (e.g. the system node group's labels). @default {} */
  controllerNodeSelector?: Record<string, string>;
  /** @default tolerate CriticalAddonsOnly */
  controllerTolerations?: k8s.types.input.core.v1.Toleration[];
  /** @default `KarpenterNodeRole-<clusterName>` */
  nodeRoleName?: pulumi.Input<string>;
  /** Subnets to tag `karpenter.sh/discovery=<cluster>` (for nodes to launch into). @default [] */
  discoverySubnetIds?: pulumi.Input<string>[];
  /** Security groups to tag `karpenter.sh/discovery=<cluster>`. @default [] */
  discoverySecurityGroupIds?: pulumi.Input<string>[];
  /** NodePools: existing typed resources, or args to create one alongside (key = resource name). @default {} */
  nodePools?: Record<string, NodePool | NodePoolArgs>;
  /** EC2NodeClasses, the same way. @default {} */
  nodeClasses?: Record<string, EC2NodeClass | EC2NodeClassArgs>;
  /** Also create a "default" EC2NodeClass (AL2023, discovery selectors) and a "default" NodePool. @default false */
  defaultNodePool?: boolean;
  /** @default { enabled: true } */
  driftPreview?: DriftPreviewOptions;
  tags?: Record<string, string>;
}

export class KarpenterInstall extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly serviceAccountName: pulumi.Output<string>;
  public readonly controllerRoleArn: pulumi.Output<string>;
  public readonly nodeRoleName: pulumi.Output<string>;
  public readonly nodeRoleArn: pulumi.Output<string>;
  public readonly instanceProfileName: pulumi.Output<string>;
  public readonly interruptionQueueName: pulumi.Output<string | undefined>;
  public readonly imageRef: pulumi.Output<string>;
  public readonly nodePools: NodePool[];
  public readonly nodeClasses: EC2NodeClass[];
  /** The drift report (live during a preview with a reachable cluster, hashes otherwise). */
  public readonly driftPreview: pulumi.Output<DriftPreview | undefined>;

  constructor(name: string, args: KarpenterInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    validateInstallArgs(name, args);
    super(INSTALL_TYPE, name, {}, opts);
    const namespace = args.namespace ?? 'karpenter';
    const serviceAccountName = args.serviceAccountName ?? 'karpenter';
    const withQueue = args.interruptionQueue ?? true;
    const tags = { 'app.kubernetes.io/managed-by': 'karpenter-ts', ...args.tags };
    const scope = awsScope({ parent: this });
    const parent = { parent: this };
    const k8sOpts = { parent: this, provider: args.kubernetesProvider };

    // AWS side.
    const nodeRole = createNodeRole(
      name,
      { clusterName: args.clusterName, partition: scope.partition, roleName: args.nodeRoleName, tags },
      this,
    );
    const queue = withQueue
      ? createInterruptionQueue(
          name,
          { queueName: args.interruptionQueueName ?? args.clusterName, tags },
          this,
        )
      : undefined;
    const controllerRole = createControllerRole(
      name,
      {
        scope: {
          partition: scope.partition,
          region: scope.region,
          accountId: scope.accountId,
          clusterName: args.clusterName,
          nodeRoleArn: nodeRole.role.arn,
          interruptionQueueArn: queue?.queue.arn,
        },
        withInterruptionQueue: withQueue,
        identity: args.identity ?? { kind: 'podIdentity' },
        namespace,
        serviceAccount: serviceAccountName,
        tags,
      },
      this,
    );
    const tagForDiscovery = (kind: string, ids: pulumi.Input<string>[] | undefined): void =>
      (ids ?? []).forEach(
        (id, i) =>
          new aws.ec2.Tag(
            `${name}-discovery-${kind}-${i}`,
            { resourceId: id, key: DISCOVERY_TAG, value: args.clusterName },
            parent,
          ),
      );
    tagForDiscovery('subnet', args.discoverySubnetIds);
    tagForDiscovery('sg', args.discoverySecurityGroupIds);
    const image = controllerImage(name, args.image, args.imageBuild ?? {}, this);

    // Cluster side.
    const crds = loadCrds().map(
      (crd) =>
        new k8s.apiextensions.v1.CustomResourceDefinition(
          `${name}-${crd.metadata.name}`,
          {
            metadata: crd.metadata,
            // Structural and validated by sdk/crd's tests; the generated YAML is the source.
            spec: crd.spec as unknown as k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec,
          },
          k8sOpts,
        ),
    );
    const ns =
      args.createNamespace === false
        ? undefined
        : new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: namespace } }, k8sOpts);
    const inNamespace = { ...k8sOpts, dependsOn: ns ? [ns] : [] };
    const labels = selectorLabels(name);
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-controller`,
      {
        metadata: {
          name: serviceAccountName,
          namespace,
          labels,
          annotations:
            args.identity?.kind === 'irsa' ? { 'eks.amazonaws.com/role-arn': controllerRole.role.arn } : {},
        },
      },
      inNamespace,
    );
    const clusterRole = new k8s.rbac.v1.ClusterRole(
      `${name}-controller`,
      { metadata: { labels }, rules: CLUSTER_RULES },
      k8sOpts,
    );
    const subject = { kind: 'ServiceAccount', name: serviceAccountName, namespace };
    const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-controller`,
      {
        metadata: { labels },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: clusterRole.metadata.name,
        },
        subjects: [subject],
      },
      k8sOpts,
    );
    const role = new k8s.rbac.v1.Role(
      `${name}-controller`,
      { metadata: { namespace, labels }, rules: NAMESPACE_RULES },
      inNamespace,
    );
    const roleBinding = new k8s.rbac.v1.RoleBinding(
      `${name}-controller`,
      {
        metadata: { namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
        subjects: [subject],
      },
      inNamespace,
    );
    const controller = new k8s.apps.v1.Deployment(
      `${name}-controller`,
      deployment({
        name,
        namespace,
        serviceAccountName,
        image: image.ref,
        replicas: args.replicas ?? 2,
        resources: args.resources ?? { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } },
        nodeSelector: args.controllerNodeSelector,
        tolerations: args.controllerTolerations,
        settings: {
          clusterName: args.clusterName,
          clusterEndpoint: args.clusterEndpoint,
          clusterCABundle: args.clusterCertificateAuthority,
          interruptionQueue: queue?.queue.name,
          region: scope.region,
          logLevel: args.logLevel ?? 'info',
          featureGates: args.featureGates,
        },
      }),
      {
        ...inNamespace,
        // Credentials and permissions must exist before the controller starts acting.
        dependsOn: [
          ...inNamespace.dependsOn,
          ...crds,
          serviceAccount,
          clusterRoleBinding,
          roleBinding,
          controllerRole.role,
          ...Object.values(controllerRole.policies),
          ...(controllerRole.podIdentityAssociation ? [controllerRole.podIdentityAssociation] : []),
        ],
      },
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-controller`,
      podDisruptionBudget({ name, namespace }),
      inNamespace,
    );
    new k8s.core.v1.Service(`${name}-metrics`, metricsService({ name, namespace }), inNamespace);

    // Karpenter objects: after the CRDs and the controller, so on destroy they go first while it still runs to
    // drain and terminate their nodes.
    const objectOpts = { ...k8sOpts, dependsOn: [...crds, controller] };
    const nodeClassEntries = Object.entries(args.nodeClasses ?? {});
    const nodePoolEntries = Object.entries(args.nodePools ?? {});
    if (args.defaultNodePool) {
      nodeClassEntries.push(['default', defaultNodeClassArgs(args.clusterName, nodeRole.role.name)]);
      nodePoolEntries.push(['default', defaultNodePoolArgs()]);
    }
    this.nodeClasses = nodeClassEntries.map(([key, value]) =>
      EC2NodeClass.isInstance(value)
        ? value
        : new EC2NodeClass(
            `${name}-${key}`,
            { ...value, metadata: value.metadata ?? { name: key } },
            objectOpts,
          ),
    );
    this.nodePools = nodePoolEntries.map(([key, value]) =>
      NodePool.isInstance(value)
        ? value
        : new NodePool(
            `${name}-${key}`,
            { ...value, metadata: value.metadata ?? { name: key } },
            {
              ...objectOpts,
              dependsOn: [...objectOpts.dependsOn, ...this.nodeClasses],
            },
          ),
    );

    const preview = args.driftPreview ?? {};
    this.driftPreview =
      preview.enabled === false || this.nodePools.length === 0
        ? pulumi.output(undefined)
        : driftPreview({
            nodePools: this.nodePools,
            nodeClasses: this.nodeClasses,
            readNodeClaims: preview.readNodeClaims,
            kubeconfig: args.kubeconfig,
            previousHashes: preview.previousHashes,
            logTo: this,
          });

    this.namespace = pulumi.output(namespace);
    this.serviceAccountName = pulumi.output(serviceAccountName);
    this.controllerRoleArn = controllerRole.role.arn;
    this.nodeRoleName = nodeRole.role.name;
    this.nodeRoleArn = nodeRole.role.arn;
    this.instanceProfileName = nodeRole.instanceProfile.name;
    this.interruptionQueueName = queue ? queue.queue.name : pulumi.output(undefined);
    this.imageRef = image.ref;
    this.registerOutputs({
      namespace: this.namespace,
      serviceAccountName: this.serviceAccountName,
      controllerRoleArn: this.controllerRoleArn,
      nodeRoleName: this.nodeRoleName,
      nodeRoleArn: this.nodeRoleArn,
      instanceProfileName: this.instanceProfileName,
      interruptionQueueName: this.interruptionQueueName,
      imageRef: this.imageRef,
      driftPreview: this.driftPreview,
    });
  }
}
