/**
 * `karpenter-ts:index:KarpenterCluster`: an EKS cluster through @pulumi/eks (access entries, a VPC unless one is
 * given, a small managed node group for the controller and system pods, the Pod Identity agent) with
 * KarpenterInstall on top, in one `pulumi up`.
 */
import * as aws from '@pulumi/aws';
import * as eks from '@pulumi/eks';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { NODE_MANAGED_POLICIES, managedPolicyArn } from '../iam/node-role';
import { ec2Trust } from '../iam/trust';
import { DISCOVERY_TAG } from '../install/defaults';
import type { KarpenterInstallArgs } from '../install/args';
import { KarpenterInstall } from '../install/karpenter-install';
import { clusterAccessFromKubeconfig } from './kubeconfig';
import { createVpc } from './vpc';

export const CLUSTER_TYPE = 'karpenter-ts:index:KarpenterCluster';

/** The system node group runs the controller; it needs no SSM access, unlike Karpenter's nodes. */
const SYSTEM_NODE_POLICIES = NODE_MANAGED_POLICIES.filter((p) => p !== 'AmazonSSMManagedInstanceCore');

export interface ExistingVpc {
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  /** Nodes go here; they are tagged `karpenter.sh/discovery=<cluster>`. */
  privateSubnetIds: pulumi.Input<string>[];
}

export interface SystemNodeGroupArgs {
  /** @default ["m5.large"] */
  instanceTypes?: string[];
  /** @default 2 */
  desiredSize?: number;
  /** @default 2 */
  minSize?: number;
  /** @default 3 */
  maxSize?: number;
}

export interface KarpenterClusterArgs extends Omit<
  KarpenterInstallArgs,
  'clusterName' | 'clusterEndpoint' | 'clusterCertificateAuthority' | 'kubernetesProvider' | 'kubeconfig'
> {
  /** The EKS cluster's name. @default the resource name */
  clusterName?: string;
  /** Kubernetes version. @default @pulumi/eks's default */
  kubernetesVersion?: pulumi.Input<string>;
  /** Use this VPC instead of creating one. @default a new VPC */
  vpc?: ExistingVpc;
  /** Zones of the new VPC. @default 3 */
  zones?: number;
  /** @default { instanceTypes: ["m5.large"], desiredSize: 2, minSize: 2, maxSize: 3 } */
  systemNodeGroup?: SystemNodeGroupArgs;
}

export class KarpenterCluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<string>;
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly provider: k8s.Provider;
  public readonly eksCluster: eks.Cluster;
  public readonly install: KarpenterInstall;

  constructor(name: string, args: KarpenterClusterArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const system = args.systemNodeGroup ?? {};
    const minSize = system.minSize ?? 2;
    const maxSize = system.maxSize ?? 3;
    const desiredSize = system.desiredSize ?? 2;
    if (!(minSize >= 1 && minSize <= desiredSize && desiredSize <= maxSize)) {
      throw new Error(
        `invalid KarpenterCluster "${name}": systemNodeGroup needs 1 <= minSize <= desiredSize <= maxSize` +
          ` (got ${minSize}, ${desiredSize}, ${maxSize}); two nodes keep both controller replicas up`,
      );
    }
    super(CLUSTER_TYPE, name, {}, opts);
    const clusterName = args.clusterName ?? name;
    const tags = { 'app.kubernetes.io/managed-by': 'karpenter-ts', ...args.tags };
    const parent = { parent: this };
    const vpc = args.vpc ?? createVpc(name, { clusterName, zones: args.zones ?? 3, tags }, this);

    const cluster = new eks.Cluster(
      name,
      {
        name: clusterName,
        version: args.kubernetesVersion,
        vpcId: vpc.vpcId,
        publicSubnetIds: vpc.publicSubnetIds,
        privateSubnetIds: vpc.privateSubnetIds,
        authenticationMode: eks.AuthenticationMode.Api,
        skipDefaultNodeGroup: true,
        createOidcProvider: args.identity?.kind === 'irsa',
        tags,
      },
      parent,
    );
    this.eksCluster = cluster;
    this.kubeconfig = cluster.kubeconfigJson;
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: cluster.kubeconfigJson }, parent);
    const access = cluster.kubeconfigJson.apply(clusterAccessFromKubeconfig);
    this.endpoint = access.endpoint;
    const eksClusterName = cluster.eksCluster.apply((c) => pulumi.output(c.name));

    // Pod Identity needs its agent on every node.
    const podIdentityAgent = new aws.eks.Addon(
      `${name}-pod-identity-agent`,
      { clusterName: eksClusterName, addonName: 'eks-pod-identity-agent', tags },
      parent,
    );

    const systemRole = new aws.iam.Role(
      `${name}-system`,
      { assumeRolePolicy: JSON.stringify(ec2Trust()), tags },
      parent,
    );
    const partition = aws.getPartitionOutput({}, parent).partition;
    const systemAttachments = SYSTEM_NODE_POLICIES.map(
      (policy) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-system-${policy}`,
          { role: systemRole.name, policyArn: partition.apply((p) => managedPolicyArn(p, policy)) },
          parent,
        ),
    );
    const systemNodes = new aws.eks.NodeGroup(
      `${name}-system`,
      {
        clusterName: eksClusterName,
        nodeRoleArn: systemRole.arn,
        subnetIds: vpc.privateSubnetIds,
        instanceTypes: system.instanceTypes ?? ['m5.large'],
        scalingConfig: { desiredSize, minSize, maxSize },
        labels: { 'karpenter-ts/system': 'true' },
        tags,
      },
      { parent: this, dependsOn: systemAttachments },
    );

    // The EKS-managed cluster security group lets nodes reach the control plane: Karpenter's nodes use it too.
    const clusterSecurityGroupId = cluster.eksCluster.apply((c) =>
      pulumi.output(c.vpcConfig).apply((v) => v.clusterSecurityGroupId),
    );
    new aws.ec2.Tag(
      `${name}-discovery-sg`,
      { resourceId: clusterSecurityGroupId, key: DISCOVERY_TAG, value: clusterName },
      parent,
    );

    // Everything but this component's own args goes to the install.
    const installArgs = { ...args };
    delete installArgs.vpc;
    delete installArgs.zones;
    delete installArgs.systemNodeGroup;
    delete installArgs.kubernetesVersion;
    delete installArgs.clusterName;
    this.install = new KarpenterInstall(
      name,
      {
        ...installArgs,
        identity:
          args.identity?.kind === 'irsa'
            ? {
                kind: 'irsa',
                oidcProviderArn: cluster.oidcProviderArn,
                oidcProviderUrl: cluster.oidcProviderUrl,
              }
            : args.identity,
        clusterName: eksClusterName,
        clusterEndpoint: access.endpoint,
        clusterCertificateAuthority: access.certificateAuthority,
        kubernetesProvider: this.provider,
        kubeconfig: cluster.kubeconfigJson,
        // A given VPC's subnets get the tag here; ours carry it from creation.
        discoverySubnetIds: args.vpc ? args.vpc.privateSubnetIds : args.discoverySubnetIds,
        controllerNodeSelector: { 'karpenter-ts/system': 'true', ...args.controllerNodeSelector },
      },
      { parent: this, dependsOn: [systemNodes, podIdentityAgent] },
    );

    this.clusterName = eksClusterName;
    this.vpcId = pulumi.output(vpc.vpcId);
    this.privateSubnetIds = pulumi.all(vpc.privateSubnetIds);
    this.registerOutputs({
      clusterName: this.clusterName,
      kubeconfig: this.kubeconfig,
      endpoint: this.endpoint,
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
