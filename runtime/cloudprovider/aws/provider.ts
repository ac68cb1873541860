/**
 * The AWS cloud provider: EC2NodeClass resolution, priced instance types, launch through launch templates and
 * CreateFleet, and get/list/delete of the instances by tag. Every AWS failure surfaces as a CloudProviderError that
 * names the call and the fix (or InsufficientCapacityError when no offering had capacity).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Labels, type CapacityType } from '../../../sdk/api/well-known';
import type { Clock } from '../../clock/clock';
import type { KubeApi } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { nameOf, type EC2NodeClass, type NodeClaim, type NodePool } from '../../kube/objects';
import { Requirements } from '../../scheduling/requirements';
import {
  InsufficientCapacityError,
  NodeClaimNotFoundError,
  type CloudProvider,
  type DriftReason,
  AWS_REPAIR_POLICIES,
  type RepairPolicy,
  type OverlayInstanceTypes,
} from '../types';
import type { InstanceType } from '../../scheduling/instance-types';
import { amiForInstanceType, amiPerArch } from './amis';
import { CapacityReservationProvider } from './capacity-reservation-provider';
import { expiringIds, withReservedOfferings } from './capacity-reservations';
import { claimFacts, instanceNetwork, nodeClassResolution, resolvedDrift } from './drift';
import { nodeClassVolumesHourlyPrice } from './ebs-pricing';
import type { AwsClients } from './clients';
import { classifyAwsError, CloudProviderError } from './errors';
import {
  fleetContext,
  fleetPrioritized,
  type FleetOffering,
  type FleetOptions,
  type LaunchedInstance,
} from './fleet';
import { KubeDnsDiscovery } from './kube-dns';
import { InstanceTypeProvider, typesForClaim } from './instance-types';
import {
  claimInstanceTags,
  describeInstance,
  findOrLaunch,
  instanceIdOf,
  instanceToNodeClaim,
  launchedNodeClaim,
  LIVE_STATES,
  listClusterInstances,
  terminateInstance,
} from './instances';
import { claimLaunchTemplates, LaunchTemplateProvider } from './launch-templates';
import { deleteInstanceProfile, deleteLaunchTemplates } from './nodeclass-cleanup';
import {
  assertReady,
  resolveNodeClass,
  writeNodeClassStatus,
  type ResolvedNodeClass,
} from './nodeclass-status';
import { fleetOfferings } from './offerings';
import { launchedPlacementLabels, withPlacementGroup } from './placement-groups';
import { PricingProvider } from './pricing';
import { subnetPerZone } from './subnets';
import { TtlCache } from './ttl-cache';
import { UnavailableOfferings } from './unavailable-offerings';
import { ZonalShiftOfferings, type ShiftedZones } from '../zonal-shift';
import type { ClusterBootstrap } from './user-data';
import type { CapacitySettings } from '../../scheduling/allocatable';
import { nodeClassShape } from '../simulated/catalog';

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
  /** ISOLATED_VPC: IAM is unreachable, so deleting a node class leaves its instance profile, as upstream. */
  isolatedVpc?: boolean;
  /** VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS. @default upstream's */
  capacity?: CapacitySettings;
  /**
   * FEATURE_GATES ReservedCapacity: resolve capacityReservationSelectorTerms, offer and launch into the reservations.
   * Off, the terms are ignored (with a warning), as upstream. @default true (upstream's default)
   */
  reservedCapacity?: boolean;
}

/** Where a claim launches: its NodePool (named by its label) and that pool's resolved, ready EC2NodeClass. */
interface LaunchTarget {
  nodePool: NodePool;
  nodePoolName: string;
  nodeClass: EC2NodeClass;
  resolved: ResolvedNodeClass;
}

export class AwsCloudProvider implements CloudProvider {
  readonly name = 'aws';
  readonly reportsNodeClassStatus = true;
  readonly unavailable: UnavailableOfferings;
  readonly pricing: PricingProvider;
  readonly instanceTypes: InstanceTypeProvider;
  private readonly launchTemplates: LaunchTemplateProvider;
  private readonly kubeDns: KubeDnsDiscovery;
  private readonly resolved: TtlCache<ResolvedNodeClass>;
  private readonly k8s: string;
  readonly reservations: CapacityReservationProvider;
  private readonly reservedCapacity: boolean;
  private readonly shiftedOfferings = new ZonalShiftOfferings();
  private overlays: OverlayInstanceTypes | undefined;

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
      ...(s.capacity ? { capacity: s.capacity } : {}),
    });
    this.launchTemplates = new LaunchTemplateProvider(clients.ec2, s.clock);
    this.kubeDns = new KubeDnsDiscovery(s.api, s.clock, s.logger);
    this.resolved = new TtlCache(s.clock, NODECLASS_TTL_MS);
    this.reservations = new CapacityReservationProvider(clients.ec2, s.clock, s.logger);
    this.reservedCapacity = s.reservedCapacity ?? true;
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
          now: this.s.clock.now(),
          ...this.reservations.resolverOptions(nodeClass, this.reservedCapacity),
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
    await deleteLaunchTemplates(this.clients.ec2, this.s.clusterName, nameOf(nodeClass));
    if (this.s.isolatedVpc) return;
    await deleteInstanceProfile(
      this.clients.iam,
      { clusterName: this.s.clusterName, region: this.s.region },
      nodeClass,
    );
  }

  repairPolicies(): readonly RepairPolicy[] {
    return AWS_REPAIR_POLICIES;
  }

  /** ENABLE_ZONAL_SHIFT: offerings in zones ARC shifted away from are unavailable (upstream's offering resolvers). */
  useZonalShift(shiftedZones: ShiftedZones): void {
    this.shiftedOfferings.use(shiftedZones);
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
    const listed = await this.instanceTypes.list(zones, nodeClassShape(nodeClass), nodeClass.spec);
    // Reserved offerings are added per call: their counts move with every launch and termination.
    const reserved = withReservedOfferings(listed, r.capacityReservations ?? [], (id) =>
      this.reservations.availability.count(id),
    );
    const strategies = await this.instanceTypes.placementStrategies();
    const types = withPlacementGroup(reserved, r.placementGroup, strategies);
    // Only types some resolved AMI can boot.
    const bootable = types.filter((it) => {
      const arch = it.requirements.get(Labels.arch);
      return !arch || [...arches].some((a) => arch.has(a));
    });
    return this.shiftedOfferings.apply(bootable);
  }

  /**
   * Launches the claim. Throws InsufficientCapacityError when no offering had capacity (those offerings are skipped
   * for 3 minutes), or a CloudProviderError naming the failed AWS call and the fix.
   */
  useNodeOverlays(apply: OverlayInstanceTypes): void {
    this.overlays = apply;
  }

  async create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    try {
      return await this.launch(nodeClaim);
    } catch (err) {
      // Every AWS call is wrapped already; an SDK error reaching here escaped that, so still give it a name.
      if (typeof err === 'object' && err !== null && '$metadata' in err) throw classifyAwsError(err, 'aws');
      throw err;
    }
  }

  /** The launch, step by step; each step lives in the module that owns it. */
  private async launch(nodeClaim: NodeClaim): Promise<NodeClaim> {
    const claimName = nameOf(nodeClaim);
    const target = await this.launchTarget(nodeClaim);
    const { nodePool, nodePoolName, nodeClass, resolved } = target;
    const reqs = Requirements.fromSelectors(nodeClaim.spec.requirements);
    // With NodeOverlays, the types as the scheduler priced and sized them; the fleet is then prioritized by price.
    const own = await this.getInstanceTypes(nodePool);
    const types = typesForClaim(this.overlays ? this.overlays(nodePoolName, own) : own, nodeClaim, reqs);
    if (types.length === 0)
      throw new InsufficientCapacityError(
        `no available instance type fits NodeClaim ${claimName} and its requirements`,
      );
    const amis = amiPerArch(resolved.amis);
    const offerings = await fleetOfferings(types, reqs, {
      amis,
      subnets: subnetPerZone(resolved.subnets),
      launchTemplateFor: claimLaunchTemplates(this.launchTemplates, {
        cluster: await this.bootstrap(),
        nodePoolName,
        nodeClass,
        resolved,
        nodeClaim,
        reservedCapacity: this.reservedCapacity,
      }),
    });
    if (offerings.length === 0)
      throw new InsufficientCapacityError(
        `no offering of ${types.length} compatible type(s) has a subnet and an AMI for NodeClaim ${claimName}`,
      );
    const tags = claimInstanceTags(this.s.clusterName, nodeClass, nodePoolName, claimName);
    const launched = await this.findOrLaunch(nodeClaim, offerings, tags, {
      context: fleetContext(nodeClass, nodeClaim),
      prioritized: fleetPrioritized(nodeClaim),
    });
    const instanceType = await this.launchedType(claimName, target, launched, types);
    return launchedNodeClaim(nodeClaim, {
      launched,
      instanceType,
      spec: await this.instanceTypes.spec(launched.instanceType),
      ami: amiForInstanceType(amis, instanceType),
      region: this.s.region,
      nodePoolName,
      placementLabels: await launchedPlacementLabels(this.clients.ec2, resolved, nodeClaim, launched),
      networkInterfaces: nodeClass.spec.networkInterfaces,
    });
  }

  /** The claim's NodePool and its EC2NodeClass, resolved and ready, or an error saying which is missing. */
  private async launchTarget(nodeClaim: NodeClaim): Promise<LaunchTarget> {
    const claimName = nameOf(nodeClaim);
    const nodePoolName = nodeClaim.metadata.labels?.[Labels.nodePool] ?? '';
    const nodePool = await this.s.api.get(Kinds.NodePool, nodePoolName);
    if (!nodePool) throw new Error(`NodeClaim ${claimName}: NodePool "${nodePoolName}" not found`);
    const nodeClass = await this.nodeClassOf(nodePool);
    if (!nodeClass)
      throw new CloudProviderError(
        'NodeClassNotReady',
        'ec2nodeclass',
        `NodeClaim ${claimName}: EC2NodeClass "${nodeClaim.spec.nodeClassRef.name}" not found: create it or fix nodeClassRef`,
        true,
      );
    const resolved = await this.resolveNodeClass(nodeClass);
    assertReady(nodeClass, resolved);
    return { nodePool, nodePoolName, nodeClass, resolved };
  }

  /** The instance already launched for the claim, else a new one (./instances.ts findOrLaunch). */
  private findOrLaunch(
    nodeClaim: NodeClaim,
    offerings: FleetOffering[],
    tags: Record<string, string>,
    fleet: FleetOptions,
  ): Promise<LaunchedInstance> {
    const { clients, unavailable, reservations, reservedCapacity } = this;
    return findOrLaunch(
      { ec2: clients.ec2, clusterName: this.s.clusterName, logger: this.s.logger, unavailable },
      { availability: reservations.availability, reservedCapacity },
      { nodeClaim, offerings, tags, fleet },
    );
  }

  /** The launched instance's type as the NodePool offers it; one found from an earlier launch may be any of them. */
  private async launchedType(
    claimName: string,
    target: LaunchTarget,
    launched: LaunchedInstance,
    types: InstanceType[],
  ): Promise<InstanceType> {
    const it =
      types.find((t) => t.name === launched.instanceType) ??
      (await this.getInstanceTypes(target.nodePool)).find((t) => t.name === launched.instanceType);
    if (!it) {
      throw new Error(
        `NodeClaim ${claimName}: its instance ${launched.instanceId} is a ${launched.instanceType}, which NodePool "${target.nodePoolName}" no longer offers`,
      );
    }
    return it;
  }

  /** What every node's user data says about the cluster, the kube-dns IP included when there is one. */
  private async bootstrap(): Promise<ClusterBootstrap> {
    const clusterDNS = await this.kubeDns.clusterIP();
    return {
      clusterName: this.s.clusterName,
      clusterEndpoint: this.s.clusterEndpoint,
      clusterCABundle: this.s.clusterCABundle,
      serviceCIDR: this.s.serviceCIDR,
      ...(clusterDNS ? { clusterDNS } : {}),
    };
  }

  async delete(nodeClaim: NodeClaim): Promise<void> {
    const providerID = nodeClaim.status?.providerID ?? '';
    const id = instanceIdOf(providerID);
    const instance = id ? await describeInstance(this.clients.ec2, id) : undefined;
    if (!id || !instance || !LIVE_STATES.includes(instance.State?.Name ?? ''))
      throw new NodeClaimNotFoundError(`instance ${providerID || '(none)'} not found`);
    await terminateInstance(this.clients.ec2, id);
    // Its reservation has room for one more (upstream's MarkTerminated).
    const reservation = nodeClaim.metadata.labels?.[Labels.capacityReservationId];
    if (reservation) this.reservations.availability.markTerminated(reservation);
  }

  async get(providerID: string): Promise<NodeClaim> {
    const id = instanceIdOf(providerID);
    const instance = id ? await describeInstance(this.clients.ec2, id) : undefined;
    if (!instance) throw new NodeClaimNotFoundError(`instance ${providerID} not found`);
    return instanceToNodeClaim(instance, this.reservedCapacity);
  }

  /** Every live instance this cluster's Karpenter launched, for the leaked-instance garbage collector. */
  async list(): Promise<NodeClaim[]> {
    const instances = await listClusterInstances(this.clients.ec2, this.s.clusterName);
    return instances
      .filter((i) => LIVE_STATES.includes(i.State?.Name ?? ''))
      .map((i) => instanceToNodeClaim(i, this.reservedCapacity));
  }

  /**
   * Whether the instance still matches its node class as resolved now: ./drift.ts decides, in upstream's order; this
   * gathers the facts. The instance is read only when the checks before its network find nothing, and the instance
   * type only once the claim is an hour old.
   */
  async isDrifted(nodeClaim: NodeClaim): Promise<DriftReason> {
    const nodePool = await this.s.api.get(Kinds.NodePool, nodeClaim.metadata.labels?.[Labels.nodePool] ?? '');
    const nodeClass = await this.s.api.get(Kinds.EC2NodeClass, nodeClaim.spec.nodeClassRef.name);
    if (!nodePool || !nodeClass) return undefined;
    const resolution = nodeClassResolution(await this.resolveNodeClass(nodeClass));
    const facts = claimFacts(nodeClaim, await this.getInstanceTypes(nodePool), this.s.clock.now());
    const early = resolvedDrift(resolution, facts);
    if (early.reason || early.halted) return early.reason;
    const id = instanceIdOf(nodeClaim.status?.providerID ?? '');
    const instance = id ? await describeInstance(this.clients.ec2, id) : undefined;
    if (!instance) return undefined;
    return resolvedDrift(resolution, {
      ...facts,
      imageId: nodeClaim.status?.imageID ?? instance.ImageId,
      ...instanceNetwork(instance),
    }).reason;
  }

  /** Capacity blocks among these reservations that EC2 is about to reclaim (by id, so any node class's). */
  async expiringReservations(ids: readonly string[]): Promise<Set<string>> {
    if (!this.reservedCapacity || ids.length === 0) return new Set();
    const found = await this.reservations.list([...new Set(ids)].map((id) => ({ id })));
    return expiringIds(found, this.s.clock.now());
  }

  private async nodeClassOf(nodePool: NodePool): Promise<EC2NodeClass | undefined> {
    return this.s.api.get(Kinds.EC2NodeClass, nodePool.spec.template.spec.nodeClassRef.name);
  }
}
