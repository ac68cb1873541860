/**
 * The AWS cloud provider: EC2NodeClass resolution, priced instance types, launch through launch templates and
 * CreateFleet, and get/list/delete of the instances by tag. Every AWS failure surfaces as a CloudProviderError that
 * names the call and the fix (or InsufficientCapacityError when no offering had capacity).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Labels, type CapacityType, OwnershipTags, Taints } from '../../../sdk/api/well-known';
import type { Clock } from '../../clock/clock';
import type { KubeApi } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../kube/objects';
import { Requirements } from '../../scheduling/requirements';
import { fits, fromResourceList, toResourceList } from '../../scheduling/resources';
import { specLabels } from '../simulated/catalog';
import {
  compatibleOfferings,
  InsufficientCapacityError,
  instanceTypeCompatible,
  NodeClaimNotFoundError,
  type CloudProvider,
  type DriftReason,
  type InstanceType,
} from '../types';
import { amiPerArch } from './amis';
import { amiFamilyOf } from './block-devices';
import { nodeClassVolumesHourlyPrice } from './ebs-pricing';
import type { AwsClients } from './clients';
import { classifyAwsError, CloudProviderError } from './errors';
import { launchInstance, type FleetOffering, type LaunchedInstance } from './fleet';
import { InstanceTypeProvider } from './instance-types';
import {
  describeInstance,
  findClaimInstance,
  instanceIdOf,
  instanceToNodeClaim,
  LIVE_STATES,
  listClusterInstances,
  providerIDOf,
  terminateInstance,
} from './instances';
import { LaunchTemplateProvider } from './launch-templates';
import { deleteInstanceProfile, deleteLaunchTemplates } from './nodeclass-cleanup';
import {
  assertReady,
  resolveNodeClass,
  writeNodeClassStatus,
  type ResolvedNodeClass,
} from './nodeclass-status';
import { PricingProvider } from './pricing';
import { subnetPerZone } from './subnets';
import { TtlCache } from './ttl-cache';
import { UnavailableOfferings } from './unavailable-offerings';
import { userDataFor } from './user-data';

/** Kubernetes minor used for AMI aliases when none is configured. */
export const DEFAULT_KUBERNETES_VERSION = '1.33';
/** How long a node class resolution (subnets, groups, AMIs, profile) is reused. */
export const NODECLASS_TTL_MS = 60_000;

export interface AwsProviderSettings {
  api: KubeApi;
  clock: Clock;
  logger: Logger;
  clusterName: string;
  clusterEndpoint: string;
  clusterCABundle?: string;
  region: string;
  /** Kubernetes minor version, for AMI alias parameters. @default DEFAULT_KUBERNETES_VERSION */
  kubernetesVersion?: string;
  /** The cluster's service CIDR (nodeadm needs it). @default '10.100.0.0/16' */
  serviceCIDR?: string;
  /** Ask the Pricing API (false on emulators, which have none: the static table answers). @default true */
  usePricingApi?: boolean;
}

export class AwsCloudProvider implements CloudProvider {
  readonly name = 'aws';
  readonly unavailable: UnavailableOfferings;
  readonly pricing: PricingProvider;
  readonly instanceTypes: InstanceTypeProvider;
  private readonly launchTemplates: LaunchTemplateProvider;
  private readonly resolved: TtlCache<ResolvedNodeClass>;
  private readonly k8s: string;

  constructor(
    private readonly s: AwsProviderSettings,
    readonly clients: AwsClients,
  ) {
    this.k8s = s.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
    this.unavailable = new UnavailableOfferings(s.clock);
    this.pricing = new PricingProvider({
      ec2: clients.ec2,
      pricing: clients.pricing,
      region: s.region,
      clock: s.clock,
      logger: s.logger,
      ...(s.usePricingApi === false ? { usePricingApi: false } : {}),
    });
    this.instanceTypes = new InstanceTypeProvider({
      ec2: clients.ec2,
      pricing: this.pricing,
      unavailable: this.unavailable,
      clock: s.clock,
      region: s.region,
    });
    this.launchTemplates = new LaunchTemplateProvider(clients.ec2, s.clock);
    this.resolved = new TtlCache(s.clock, NODECLASS_TTL_MS);
  }

  /** For the interruption controller: a spot offering just reclaimed is not offered for 3 minutes. */
  markUnavailable(instanceType: string, zone: string, capacityType: CapacityType | string): void {
    this.unavailable.mark(capacityType, instanceType, zone);
  }

  /** Resolves the node class (cached 1 min) and records the outcome in its status. */
  async resolveNodeClass(nodeClass: EC2NodeClass): Promise<ResolvedNodeClass> {
    const key = `${nodeClass.metadata.name}:${createHash('sha256').update(JSON.stringify(nodeClass.spec)).digest('hex')}`;
    return this.resolved.getOrLoad(key, async () => {
      const r = await resolveNodeClass(
        {
          ...this.clients,
          clusterName: this.s.clusterName,
          region: this.s.region,
          kubernetesVersion: this.k8s,
        },
        nodeClass,
      );
      try {
        await writeNodeClassStatus(this.s.api, this.s.clock, nodeClass, r);
      } catch (err) {
        this.s.logger.warn(
          { nodeClass: nodeClass.metadata.name, err: (err as Error).message },
          'could not write EC2NodeClass status',
        );
      }
      return r;
    });
  }

  /**
   * Resolves every EC2NodeClass and writes its status (cached resolutions are reused). A periodic caller keeps node
   * class status current even when nothing launches.
   */
  async refreshNodeClasses(): Promise<void> {
    const { items } = await this.s.api.list(Kinds.EC2NodeClass);
    for (const nc of items) await this.resolveNodeClass(nc);
  }

  /** For the EC2NodeClass finalizer: delete its launch templates and the instance profile we created for it. */
  async deleteNodeClassResources(nodeClass: EC2NodeClass): Promise<void> {
    await deleteLaunchTemplates(this.clients.ec2, this.s.clusterName, nodeClass.metadata.name as string);
    await deleteInstanceProfile(
      this.clients.iam,
      { clusterName: this.s.clusterName, region: this.s.region },
      nodeClass,
    );
  }

  async nodeOverheadPrice(nodePool: NodePool): Promise<number> {
    const nodeClass = await this.nodeClassOf(nodePool);
    return nodeClass ? nodeClassVolumesHourlyPrice(nodeClass) : 0;
  }

  async getInstanceTypes(nodePool: NodePool): Promise<InstanceType[]> {
    const nodeClass = await this.nodeClassOf(nodePool);
    if (!nodeClass) return [];
    const r = await this.resolveNodeClass(nodeClass);
    const zones = [...new Set(r.subnets.map((s) => s.zone))];
    const arches = new Set(r.amis.map((a) => a.arch));
    const types = await this.instanceTypes.list(zones, nodeClass.spec.kubelet);
    // Only types some resolved AMI can boot.
    return types.filter((it) => {
      const arch = it.requirements.get(Labels.arch);
      return !arch || [...arches].some((a) => arch.has(a));
    });
  }

  /**
   * Launches the claim. Throws InsufficientCapacityError when no offering had capacity (those offerings are skipped
   * for 3 minutes), or a CloudProviderError naming the failed AWS call and the fix.
   */
  async create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    try {
      return await this.launch(nodeClaim);
    } catch (err) {
      // Every AWS call is wrapped already; an SDK error reaching here escaped that, so still give it a name.
      if (typeof err === 'object' && err !== null && '$metadata' in err) throw classifyAwsError(err, 'aws');
      throw err;
    }
  }

  private async launch(nodeClaim: NodeClaim): Promise<NodeClaim> {
    const claimName = nodeClaim.metadata.name as string;
    const poolName = nodeClaim.metadata.labels?.[Labels.nodePool] ?? '';
    const nodePool = await this.s.api.get(Kinds.NodePool, poolName);
    if (!nodePool) throw new Error(`NodeClaim ${claimName}: NodePool "${poolName}" not found`);
    const nodeClass = await this.nodeClassOf(nodePool);
    if (!nodeClass)
      throw new CloudProviderError(
        'NodeClassNotReady',
        'ec2nodeclass',
        `NodeClaim ${claimName}: EC2NodeClass "${nodeClaim.spec.nodeClassRef.name}" not found: create it or fix nodeClassRef`,
        true,
      );
    const r = await this.resolveNodeClass(nodeClass);
    assertReady(nodeClass, r);
    const reqs = Requirements.fromSelectors(nodeClaim.spec.requirements);
    const requests = fromResourceList(nodeClaim.spec.resources?.requests);
    const types = (await this.getInstanceTypes(nodePool)).filter(
      (it) => instanceTypeCompatible(it, reqs) && fits(requests, it.allocatable),
    );
    if (types.length === 0)
      throw new InsufficientCapacityError(
        `no available instance type fits NodeClaim ${claimName} and its requirements`,
      );

    const family = amiFamilyOf(nodeClass);
    const amis = amiPerArch(r.amis);
    const subnets = subnetPerZone(r.subnets);
    const fixedMaxPods =
      nodeClass.spec.kubelet?.maxPods !== undefined || nodeClass.spec.kubelet?.podsPerCore !== undefined;
    const labels = { ...nodeClaim.metadata.labels };
    // The kubelet registers with the unregistered taint; the lifecycle lifts it at registration (as Karpenter does).
    const taints = [
      ...(nodeClaim.spec.taints ?? []),
      ...(nodeClaim.spec.startupTaints ?? []),
      { ...Taints.unregistered },
    ];
    const offerings: FleetOffering[] = [];
    const templateFor = new Map<string, Promise<string>>();
    for (const it of types) {
      const arch = [...amis.keys()].find((a) => it.requirements.get(Labels.arch)?.has(a) ?? true);
      const ami = arch ? amis.get(arch) : undefined;
      if (!ami) continue;
      const maxPods = fixedMaxPods ? it.capacity.pods : undefined;
      const key = `${ami.id}:${maxPods ?? ''}`;
      if (!templateFor.has(key)) {
        const userData = userDataFor(family, {
          clusterName: this.s.clusterName,
          clusterEndpoint: this.s.clusterEndpoint,
          ...(this.s.clusterCABundle ? { clusterCABundle: this.s.clusterCABundle } : {}),
          ...(this.s.serviceCIDR ? { serviceCIDR: this.s.serviceCIDR } : {}),
          ...(nodeClass.spec.kubelet ? { kubelet: nodeClass.spec.kubelet } : {}),
          ...(maxPods !== undefined ? { maxPods } : {}),
          labels,
          taints,
          ...(nodeClass.spec.userData ? { custom: nodeClass.spec.userData } : {}),
        });
        templateFor.set(
          key,
          this.launchTemplates.ensure({
            clusterName: this.s.clusterName,
            nodePoolName: poolName,
            nodeClassName: nodeClass.metadata.name as string,
            amiFamily: family,
            amiId: ami.id,
            securityGroupIds: r.securityGroups.map((g) => g.id),
            ...(userData !== undefined ? { userData } : {}),
            instanceProfile: r.instanceProfile as string,
            ...(nodeClass.spec.blockDeviceMappings
              ? { blockDeviceMappings: nodeClass.spec.blockDeviceMappings }
              : {}),
            metadataOptions: nodeClass.spec.metadataOptions,
            ...(nodeClass.spec.detailedMonitoring !== undefined
              ? { detailedMonitoring: nodeClass.spec.detailedMonitoring }
              : {}),
            ...(nodeClass.spec.associatePublicIPAddress !== undefined
              ? { associatePublicIPAddress: nodeClass.spec.associatePublicIPAddress }
              : {}),
            ...(nodeClass.spec.tags ? { tags: nodeClass.spec.tags } : {}),
          }),
        );
      }
      const launchTemplateName = await (templateFor.get(key) as Promise<string>);
      for (const o of compatibleOfferings(it, reqs)) {
        const subnet = subnets.get(o.zone);
        if (!subnet || (o.capacityType !== 'spot' && o.capacityType !== 'on-demand')) continue;
        offerings.push({
          instanceType: it.name,
          zone: o.zone,
          subnetId: subnet.id,
          capacityType: o.capacityType,
          price: o.price,
          launchTemplateName,
        });
      }
    }
    if (offerings.length === 0)
      throw new InsufficientCapacityError(
        `no offering of ${types.length} compatible type(s) has a subnet and an AMI for NodeClaim ${claimName}`,
      );

    const tags: Record<string, string> = {
      ...nodeClass.spec.tags,
      [OwnershipTags.cluster(this.s.clusterName)]: 'owned',
      [OwnershipTags.eksClusterName]: this.s.clusterName,
      [Labels.nodePool]: poolName,
      [OwnershipTags.nodeClaim]: claimName,
      [Labels.ec2NodeClass]: nodeClass.metadata.name as string,
      Name: claimName,
    };
    const token = nodeClaim.metadata.uid ?? claimName;
    // Idempotent on the claim: a retry after a lost CreateFleet answer or a failed status write gets the instance
    // that launch made. The client token alone does not cover it: EC2 refuses a reused token whose parameters
    // changed (an offering marked unavailable since), and remembers tokens only for a while.
    const found = await findClaimInstance(this.clients.ec2, this.s.clusterName, claimName);
    const launched: LaunchedInstance = found
      ? {
          instanceId: found.InstanceId as string,
          instanceType: found.InstanceType as string,
          zone: found.Placement?.AvailabilityZone ?? '',
          capacityType: found.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
        }
      : await launchInstance(
          { ec2: this.clients.ec2, unavailable: this.unavailable },
          offerings,
          token,
          tags,
        );
    if (found)
      this.s.logger.info(
        { nodeClaim: claimName, instanceId: launched.instanceId },
        'found the instance already launched for the nodeclaim',
      );
    const it =
      types.find((t) => t.name === launched.instanceType) ??
      (await this.getInstanceTypes(nodePool)).find((t) => t.name === launched.instanceType);
    if (!it) {
      throw new Error(
        `NodeClaim ${claimName}: its instance ${launched.instanceId} is a ${launched.instanceType}, which NodePool "${poolName}" no longer offers`,
      );
    }
    const spec = await this.instanceTypes.spec(launched.instanceType);
    const ami = [...amis.values()].find((a) => it.requirements.get(Labels.arch)?.has(a.arch) ?? true);
    const out = structuredClone(nodeClaim);
    out.metadata.labels = {
      ...out.metadata.labels,
      ...(spec ? specLabels({ ...spec, zones: [], onDemandPrice: 0, spotPrice: {} }, this.s.region) : {}),
      [Labels.instanceType]: launched.instanceType,
      [Labels.zone]: launched.zone,
      [Labels.capacityType]: launched.capacityType,
      [Labels.nodePool]: poolName,
    };
    out.status = {
      ...out.status,
      providerID: providerIDOf(launched.zone, launched.instanceId),
      ...(ami ? { imageID: ami.id } : {}),
      capacity: toResourceList(it.capacity),
      allocatable: toResourceList(it.allocatable),
    };
    return out;
  }

  async delete(nodeClaim: NodeClaim): Promise<void> {
    const providerID = nodeClaim.status?.providerID ?? '';
    const id = instanceIdOf(providerID);
    const instance = id ? await describeInstance(this.clients.ec2, id) : undefined;
    if (!id || !instance || !LIVE_STATES.includes(instance.State?.Name ?? ''))
      throw new NodeClaimNotFoundError(`instance ${providerID || '(none)'} not found`);
    await terminateInstance(this.clients.ec2, id);
  }

  async get(providerID: string): Promise<NodeClaim> {
    const id = instanceIdOf(providerID);
    const instance = id ? await describeInstance(this.clients.ec2, id) : undefined;
    if (!instance) throw new NodeClaimNotFoundError(`instance ${providerID} not found`);
    return instanceToNodeClaim(instance);
  }

  /** Every live instance this cluster's Karpenter launched, for the leaked-instance garbage collector. */
  async list(): Promise<NodeClaim[]> {
    const instances = await listClusterInstances(this.clients.ec2, this.s.clusterName);
    return instances.filter((i) => LIVE_STATES.includes(i.State?.Name ?? '')).map(instanceToNodeClaim);
  }

  /** The instance no longer matches its node class: AMI, subnet or security groups changed. */
  async isDrifted(nodeClaim: NodeClaim): Promise<DriftReason> {
    const id = instanceIdOf(nodeClaim.status?.providerID ?? '');
    const instance = id ? await describeInstance(this.clients.ec2, id) : undefined;
    const nodeClass = await this.s.api.get(Kinds.EC2NodeClass, nodeClaim.spec.nodeClassRef.name);
    if (!instance || !nodeClass) return undefined;
    const r = await this.resolveNodeClass(nodeClass);
    if (!r.problems.AMIsReady && r.amis.length && !r.amis.some((a) => a.id === instance.ImageId))
      return 'AMIDrift';
    if (!r.problems.SubnetsReady && r.subnets.length && !r.subnets.some((s) => s.id === instance.SubnetId))
      return 'SubnetDrift';
    const groups = (instance.SecurityGroups ?? []).map((g) => g.GroupId).sort();
    const want = r.securityGroups.map((g) => g.id).sort();
    if (!r.problems.SecurityGroupsReady && want.length && JSON.stringify(groups) !== JSON.stringify(want))
      return 'SecurityGroupDrift';
    return undefined;
  }

  private async nodeClassOf(nodePool: NodePool): Promise<EC2NodeClass | undefined> {
    return this.s.api.get(Kinds.EC2NodeClass, nodePool.spec.template.spec.nodeClassRef.name);
  }
}
