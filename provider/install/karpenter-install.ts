/**
 * `karpenter-ts:index:KarpenterInstall`: everything karpenter-ts needs on an existing EKS cluster: IAM (controller
 * role with Pod Identity or IRSA, node role, instance profile, access entry), the interruption queue and its rules,
 * discovery tags, the CRDs, namespace, service account, RBAC, the controller Deployment with its PDB and metrics
 * Service, typed NodePools / EC2NodeClasses, and the drift preview.
 */
import * as pulumi from '@pulumi/pulumi';
import type { EC2NodeClass, NodePool } from '../../sdk/pulumi';
import { driftPreview, type DriftPreview } from '../drift-preview';
import { controllerImage } from '../image/controller-image';
import {
  DEFAULT_LOG_LEVEL,
  DEFAULT_NAMESPACE,
  DEFAULT_REPLICAS,
  DEFAULT_SERVICE_ACCOUNT,
  defaultResources,
  type KarpenterInstallArgs,
} from './args';
import { createMonitoring, type Monitoring } from '../monitoring/monitoring';
import { createControllerWorkload } from './controller-workload';
import { METRICS_PORT_NAME, selectorLabels } from './manifests';
import { createdAwsSide, existingAwsSide } from './aws-side';
import { createKarpenterObjects } from './karpenter-objects';
import { validateInstallArgs } from './validate';

export const INSTALL_TYPE = 'karpenter-ts:index:KarpenterInstall';

export class KarpenterInstall extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly serviceAccountName: pulumi.Output<string>;
  public readonly controllerRoleArn: pulumi.Output<string>;
  public readonly nodeRoleName: pulumi.Output<string>;
  public readonly nodeRoleArn: pulumi.Output<string>;
  /** The node role's instance profile; undefined with `existingAws` (the controller makes its own). */
  public readonly instanceProfileName: pulumi.Output<string | undefined>;
  public readonly interruptionQueueName: pulumi.Output<string | undefined>;
  public readonly imageRef: pulumi.Output<string>;
  public readonly nodePools: NodePool[];
  public readonly nodeClasses: EC2NodeClass[];
  /** The drift report (live during a preview with a reachable cluster, hashes otherwise). */
  public readonly driftPreview: pulumi.Output<DriftPreview | undefined>;
  /** The ServiceMonitor, PrometheusRule and dashboard ConfigMap asked for in `monitoring`. */
  public readonly monitoring: Monitoring;
  /**
   * What Karpenter objects made outside the install must depend on (the CRDs and the controller), so they are
   * created after them and deleted before them: `new NodePool(name, args, { dependsOn: install.objectDependencies })`.
   */
  public readonly objectDependencies: pulumi.Resource[];

  constructor(name: string, args: KarpenterInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    validateInstallArgs(name, args);
    super(INSTALL_TYPE, name, {}, opts);
    const namespace = args.namespace ?? DEFAULT_NAMESPACE;
    const serviceAccountName = args.serviceAccountName ?? DEFAULT_SERVICE_ACCOUNT;
    const tags = { 'app.kubernetes.io/managed-by': 'karpenter-ts', ...args.tags };

    // AWS side: created, or taken as given (existingAws) with no AWS resource or invoke.
    const aws = args.existingAws
      ? existingAwsSide(args.existingAws)
      : createdAwsSide(name, args, { tags, namespace, serviceAccountName }, this);
    const image = controllerImage(name, args.image, args.imageBuild ?? {}, this);

    // Cluster side.
    const workload = createControllerWorkload(
      name,
      {
        kubernetesProvider: args.kubernetesProvider,
        namespace,
        createNamespace: args.createNamespace !== false,
        serviceAccountName,
        irsaRoleArn: aws.irsaRoleArn,
        awsDependencies: aws.dependencies,
        controller: {
          image: image.ref,
          replicas: args.replicas ?? DEFAULT_REPLICAS,
          resources: args.resources ?? defaultResources(),
          nodeSelector: args.controllerNodeSelector,
          tolerations: args.controllerTolerations,
          settings: {
            clusterName: args.clusterName,
            clusterEndpoint: args.clusterEndpoint,
            clusterCABundle: args.clusterCertificateAuthority,
            interruptionQueue: aws.interruptionQueueName,
            region: aws.region,
            logLevel: args.logLevel ?? DEFAULT_LOG_LEVEL,
            featureGates: args.featureGates,
            ...(args.clusterCaps ? { clusterCaps: args.clusterCaps } : {}),
            ...(args.savingsPlans?.length ? { savingsPlans: args.savingsPlans } : {}),
            ...(args.enableZonalShift ? { enableZonalShift: true } : {}),
          },
        },
      },
      this,
    );

    this.monitoring = createMonitoring(
      {
        name,
        namespace,
        serviceLabels: selectorLabels(name),
        portName: METRICS_PORT_NAME,
      },
      args.monitoring ?? {},
      { parent: this, provider: args.kubernetesProvider, dependsOn: [workload.metricsService] },
    );

    // Karpenter objects, after the CRDs and the controller (see ./karpenter-objects for why).
    this.objectDependencies = [...workload.crds, workload.deployment];
    const objects = createKarpenterObjects(
      name,
      {
        kubernetesProvider: args.kubernetesProvider,
        nodePools: args.nodePools,
        nodeClasses: args.nodeClasses,
        defaultNodePool: args.defaultNodePool,
        clusterName: args.clusterName,
        nodeRoleName: aws.nodeRoleName,
        dependsOn: this.objectDependencies,
      },
      this,
    );
    this.nodeClasses = objects.nodeClasses;
    this.nodePools = objects.nodePools;

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
            region: preview.region,
            kubernetesVersion: preview.kubernetesVersion,
            resolver: preview.resolver,
            logTo: this,
          });

    this.namespace = pulumi.output(namespace);
    this.serviceAccountName = pulumi.output(serviceAccountName);
    this.controllerRoleArn = aws.controllerRoleArn;
    this.nodeRoleName = aws.nodeRoleName;
    this.nodeRoleArn = aws.nodeRoleArn;
    this.instanceProfileName = aws.instanceProfileName;
    this.interruptionQueueName = pulumi.output(aws.interruptionQueueName);
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
