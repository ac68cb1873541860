/**
 * A simulated EC2: launches "instances" from the real catalog after a boot delay, each joining the cluster through
 * its kubelet (./kubelet.ts). Capacity can be withheld per offering to exercise insufficient-capacity fallbacks.
 */
import { Labels } from '../../../sdk/api/well-known';
import type { Clock } from '../../clock/clock';
import { InMemoryMessageSource, noticeFor } from '../interruption/memory-source';
import type { ActionableKind, ActionableMessage } from '../interruption/messages';
import type { KubeApi } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { nameOf, type EC2NodeClass, type NodeClaim, type NodePool } from '../../kube/objects';
import { Requirements } from '../../scheduling/requirements';
import { fits, fromResourceList } from '../../scheduling/resources';
import {
  InsufficientCapacityError,
  NodeClaimNotFoundError,
  type CloudProvider,
  type DriftReason,
  AWS_REPAIR_POLICIES,
  type RepairPolicy,
  type OverlayInstanceTypes,
} from '../types';
import {
  compatibleOfferings,
  instanceTypeCompatible,
  type InstanceType,
  type Offering,
  type OfferingReservation,
} from '../../scheduling/instance-types';
import { reservationLabels } from '../aws/capacity-reservations';
import { SimulatedReservations } from './reservations';
import { NodeClassFaults } from './node-class-faults';
import { ZonalShiftOfferings, type ShiftedZones } from '../zonal-shift';
import { SimulatedZonalShifts } from './zonal-shifts';
import { SimulatedKubelet } from './kubelet';
import { nodeClassVolumesHourlyPrice } from '../aws/ebs-pricing';
import { launchedResources } from '../aws/network-interfaces';
import { DEFAULT_CAPACITY_SETTINGS, type CapacitySettings } from '../../scheduling/allocatable';
import {
  assertCatalogServes,
  specsFor,
  defaultCatalog,
  nodeClassShape,
  priceOf,
  specLabels,
  toInstanceType,
  type Catalog,
} from './catalog';

export interface SimulatedInstance {
  id: string;
  providerID: string;
  instanceType: string;
  zone: string;
  capacityType: Offering['capacityType'];
  price: number;
  nodeClaimName: string;
  /** The claim's uid: a new claim reusing a name is a new launch. */
  nodeClaimUid: string;
  nodePoolName: string;
  launchedAt: number;
  state: 'pending' | 'running' | 'terminated';
  /** The capacity reservation it runs in (capacity type `reserved`). */
  reservation?: Omit<OfferingReservation, 'capacity'>;
}

export interface SimulatedCloudOptions {
  api: KubeApi;
  clock: Clock;
  catalog?: Catalog;
  /** VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS. @default upstream's (DEFAULT_CAPACITY_SETTINGS) */
  capacity?: CapacitySettings;
  /** Time from launch until the node registers with the API server. @default 30s */
  bootDelayMs?: number;
  /** Time from registration until the node reports Ready. @default 10s */
  readyDelayMs?: number;
  /** First instance number; ids count up from here in hex. */
  firstInstance?: bigint;
  /** FEATURE_GATES ReservedCapacity: offer and launch into the catalog's reservations. @default true */
  reservedCapacity?: boolean;
  /** Told once per node class whose capacityReservationSelectorTerms the gate being off leaves unused. */
  warn?: (message: string) => void;
}

const FIRST_INSTANCE = 0x0123456789abcdef0n;
/** How long an offering that failed for lack of capacity is skipped (the upstream ICE cache TTL). */
export const UNAVAILABLE_TTL_MS = 3 * 60_000;

function offeringKey(capacityType: string, instanceType: string, zone: string): string {
  return `${capacityType}:${instanceType}:${zone}`;
}

export class SimulatedCloud implements CloudProvider {
  readonly name = 'simulated';
  readonly catalog: Catalog;
  readonly capacity: CapacitySettings;
  private readonly instances = new Map<string, SimulatedInstance>();
  private readonly withheld = new Set<string>();
  private readonly unavailableUntil = new Map<string, number>();
  private readonly instanceTypeCache = new Map<string, InstanceType[]>();
  private nextInstance: bigint;
  /** NodeOverlays to choose launches by (NodeOverlay gate); the instance's own price stays the catalog's. */
  private overlays: OverlayInstanceTypes | undefined;
  private readonly bootDelayMs: number;
  private readonly kubelet: SimulatedKubelet;
  /** Interruption notices for simulated instances: the interruption controller's message source. */
  readonly interruptions = new InMemoryMessageSource();
  readonly reservations: SimulatedReservations;
  /** The simulated ARC: impair a zone with `arc.shiftZone`; the zonal shift controller's source. */
  readonly arc: SimulatedZonalShifts;
  private readonly shiftedOfferings = new ZonalShiftOfferings();
  /** Node classes whose launches fail or whose nodes never join (scenario tests). */
  readonly nodeClassFaults = new NodeClassFaults();

  constructor(private readonly opts: SimulatedCloudOptions) {
    this.catalog = opts.catalog ?? defaultCatalog;
    this.capacity = opts.capacity ?? DEFAULT_CAPACITY_SETTINGS;
    this.bootDelayMs = opts.bootDelayMs ?? 30_000;
    this.kubelet = new SimulatedKubelet(opts.api, opts.clock, opts.readyDelayMs ?? 10_000);
    this.nextInstance = opts.firstInstance ?? FIRST_INSTANCE;
    this.arc = new SimulatedZonalShifts(this.catalog);
    this.reservations = new SimulatedReservations(
      this.catalog,
      (id) =>
        [...this.instances.values()].filter((i) => i.state !== 'terminated' && i.reservation?.id === id)
          .length,
    );
  }

  /** Make an offering fail with insufficient capacity until restored. */
  withholdCapacity(capacityType: string, instanceType: string, zone: string): void {
    this.withheld.add(offeringKey(capacityType, instanceType, zone));
  }

  restoreCapacity(capacityType: string, instanceType: string, zone: string): void {
    this.withheld.delete(offeringKey(capacityType, instanceType, zone));
  }

  /**
   * Send the notice EC2 would send about a running instance: by default a spot interruption warning (only spot
   * instances get one). The instance keeps running; the interruption controller is expected to act on it.
   */
  interrupt(providerID: string, kind: ActionableKind = 'spotInterruption'): ActionableMessage {
    const instance = this.instances.get(providerID);
    if (!instance || instance.state === 'terminated')
      throw new NodeClaimNotFoundError(`instance ${providerID} not found`);
    if (
      (kind === 'spotInterruption' || kind === 'rebalanceRecommendation') &&
      instance.capacityType !== 'spot'
    ) {
      throw new Error(`instance ${providerID} is ${instance.capacityType}: EC2 sends ${kind} only for spot`);
    }
    const notice = noticeFor(kind, instance.id, { time: this.opts.clock.now(), region: this.catalog.region });
    this.interruptions.push(notice);
    return notice;
  }

  useZonalShift(shiftedZones: ShiftedZones): void {
    this.shiftedOfferings.use(shiftedZones);
  }

  /** Skip an offering for launches for the insufficient-capacity TTL (after a spot interruption, for instance). */
  markUnavailable(instanceType: string, zone: string, capacityType: string): void {
    this.unavailableUntil.set(
      offeringKey(capacityType, instanceType, zone),
      this.opts.clock.now() + UNAVAILABLE_TTL_MS,
    );
  }

  /** The live instance launched for this claim (same name and uid), if any. */
  private launchedFor(nodeClaim: NodeClaim): SimulatedInstance | undefined {
    for (const i of this.instances.values()) {
      if (
        i.state !== 'terminated' &&
        i.nodeClaimName === nodeClaim.metadata.name &&
        i.nodeClaimUid === (nodeClaim.metadata.uid ?? '')
      ) {
        return i;
      }
    }
    return undefined;
  }

  allInstances(): SimulatedInstance[] {
    return [...this.instances.values()];
  }

  /** The AWS provider's, since this cloud stands in for EC2 and its nodes for EKS nodes. */
  repairPolicies(): readonly RepairPolicy[] {
    return AWS_REPAIR_POLICIES;
  }

  async nodeOverheadPrice(nodePool: NodePool): Promise<number> {
    const nodeClass = await this.nodeClassFor(nodePool);
    return nodeClass ? nodeClassVolumesHourlyPrice(nodeClass) : 0;
  }

  async getInstanceTypes(nodePool: NodePool): Promise<InstanceType[]> {
    const nodeClass = await this.nodeClassFor(nodePool);
    assertCatalogServes(nodeClass, this.name);
    const now = this.opts.clock.now();
    const unavailable = [...this.unavailableUntil].filter(([, until]) => until > now).map(([key]) => key);
    // Every provisioning round and disruption pass asks; the answer only changes with the node class's kubelet
    // settings and AMI family or the set of offerings out of capacity, so build it once per such state.
    const shape = nodeClassShape(nodeClass);
    const nitroOnly = nodeClass?.spec.connectionTracking !== undefined;
    const cacheKey = JSON.stringify([
      shape.kubelet ?? null,
      shape.amiFamily ?? null,
      nitroOnly,
      unavailable.sort(),
    ]);
    const cached = this.instanceTypeCache.get(cacheKey);
    if (cached) return this.withReservations(cached, nodeClass);
    const blocked = new Set(unavailable);
    const types = specsFor(this.catalog.specs, nodeClass).map((spec) =>
      toInstanceType(spec, this.catalog.region, shape, this.capacity, (ct, zone) =>
        blocked.has(offeringKey(ct, spec.name, zone)),
      ),
    );
    // A few entries cover every node class; the oldest goes first as out-of-capacity states come and go.
    if (this.instanceTypeCache.size >= 16)
      this.instanceTypeCache.delete(this.instanceTypeCache.keys().next().value as string);
    this.instanceTypeCache.set(cacheKey, types);
    return this.withReservations(types, nodeClass);
  }

  /** Reserved offerings, counted afresh (launches move the counts); none with the gate off. */
  private withReservations(types: InstanceType[], nodeClass: EC2NodeClass | undefined): InstanceType[] {
    const { reservedCapacity, warn, clock } = this.opts;
    // Zonal shift last, so reserved offerings in a shifted zone are unavailable too.
    return this.shiftedOfferings.apply(
      this.reservations.offer(types, nodeClass, clock.now(), reservedCapacity !== false, warn),
    );
  }

  /**
   * Idempotent on the NodeClaim, as CreateFleet's client token makes EC2: a claim that already has a live
   * instance (a retry after a lost answer or a failed status write) gets that instance back, not a second one.
   */
  useNodeOverlays(apply: OverlayInstanceTypes): void {
    this.overlays = apply;
  }

  async create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    const nodePoolName = nodeClaim.metadata.labels?.[Labels.nodePool] ?? '';
    const nodePool = await this.opts.api.get(Kinds.NodePool, nodePoolName);
    if (!nodePool)
      throw new Error(`NodeClaim ${nodeClaim.metadata.name}: NodePool "${nodePoolName}" not found`);
    const existing = this.launchedFor(nodeClaim);
    if (existing) {
      const it = (await this.getInstanceTypes(nodePool)).find((t) => t.name === existing.instanceType);
      if (it) return this.describe(existing, it, nodeClaim);
    }
    const fault = this.nodeClassFaults.of(nodePool);
    if (fault?.kind === 'launch') throw fault.error;
    const reqs = Requirements.fromSelectors(nodeClaim.spec.requirements);
    const requests = fromResourceList(nodeClaim.spec.resources?.requests);
    const own = await this.getInstanceTypes(nodePool);
    const types = (this.overlays ? this.overlays(nodePoolName, own) : own).filter(
      (it) => instanceTypeCompatible(it, reqs) && fits(requests, it.allocatable),
    );
    let choice: { it: InstanceType; offering: Offering } | undefined;
    for (const it of types) {
      for (const o of compatibleOfferings(it, reqs)) {
        if (this.withheld.has(offeringKey(o.capacityType, it.name, o.zone))) {
          // Like EC2 answering InsufficientInstanceCapacity: remember it so the next plan avoids this offering.
          this.unavailableUntil.set(
            offeringKey(o.capacityType, it.name, o.zone),
            this.opts.clock.now() + UNAVAILABLE_TTL_MS,
          );
          continue;
        }
        if (!choice || o.price < choice.offering.price) choice = { it, offering: o };
      }
    }
    if (!choice) {
      throw new InsufficientCapacityError(
        `no capacity for NodeClaim ${nodeClaim.metadata.name} among ${types.length} compatible instance type(s)`,
      );
    }
    const id = `i-${(this.nextInstance++).toString(16).padStart(17, '0')}`;
    const { it, offering } = choice;
    const instance: SimulatedInstance = {
      id,
      providerID: `aws:///${offering.zone}/${id}`,
      instanceType: it.name,
      zone: offering.zone,
      capacityType: offering.capacityType,
      // What the cloud charges, not what an overlay told the scheduler.
      price:
        own
          .find((t) => t.name === it.name)
          ?.offerings.find((o) => o.zone === offering.zone && o.capacityType === offering.capacityType)
          ?.price ?? offering.price,
      nodeClaimName: nameOf(nodeClaim),
      nodeClaimUid: nodeClaim.metadata.uid ?? '',
      nodePoolName,
      launchedAt: this.opts.clock.now(),
      state: 'pending',
      ...(offering.reservation ? { reservation: SimulatedReservations.launched(offering.reservation) } : {}),
    };
    this.instances.set(instance.providerID, instance);
    const launched = this.describe(instance, it, nodeClaim);
    this.opts.clock.setTimer(this.bootDelayMs, () => {
      if (fault?.kind === 'register') return;
      this.kubelet.join(instance, launched).catch(() => undefined);
    });
    return launched;
  }

  /**
   * Take over an instance already running (a cluster snapshot's node), owned by its NodeClaim, so garbage
   * collection finds it and nothing launches it again; with `join` (a claim whose Node has not registered yet) its
   * kubelet joins after the boot delay. Charged at the catalog's price.
   */
  adopt(instance: Omit<SimulatedInstance, 'id' | 'price' | 'state'>, join?: NodeClaim): SimulatedInstance {
    const id = instance.providerID.split('/').pop() ?? instance.providerID;
    const price = priceOf(this.catalog, instance.instanceType, instance.capacityType, instance.zone);
    const adopted: SimulatedInstance = {
      ...instance,
      id,
      price: price ?? 0,
      state: join ? 'pending' : 'running',
    };
    this.instances.set(adopted.providerID, adopted);
    // New launches take ids after every adopted one, so they never collide.
    const n = /^i-([0-9a-f]+)$/.exec(id)?.[1];
    if (n !== undefined && BigInt(`0x${n}`) >= this.nextInstance) this.nextInstance = BigInt(`0x${n}`) + 1n;
    if (join)
      this.opts.clock.setTimer(
        this.bootDelayMs,
        () => void this.kubelet.join(adopted, join).catch(() => undefined),
      );
    return adopted;
  }

  async delete(nodeClaim: NodeClaim): Promise<void> {
    const instance = this.instances.get(nodeClaim.status?.providerID ?? '');
    if (!instance || instance.state === 'terminated') {
      throw new NodeClaimNotFoundError(`instance ${nodeClaim.status?.providerID ?? '(none)'} not found`);
    }
    instance.state = 'terminated';
  }

  async get(providerID: string): Promise<NodeClaim> {
    const instance = this.instances.get(providerID);
    if (!instance || instance.state === 'terminated')
      throw new NodeClaimNotFoundError(`instance ${providerID} not found`);
    return this.claimFor(instance);
  }

  async list(): Promise<NodeClaim[]> {
    return [...this.instances.values()].filter((i) => i.state !== 'terminated').map((i) => this.claimFor(i));
  }

  async isDrifted(nodeClaim: NodeClaim): Promise<DriftReason> {
    const type = nodeClaim.metadata.labels?.[Labels.instanceType];
    if (type && !this.catalog.specs.some((s) => s.name === type)) return 'InstanceTypeNotFound';
    // In a reservation its node class no longer selects (upstream's CapacityReservationDrift).
    const reservation = this.instances.get(nodeClaim.status?.providerID ?? '')?.reservation;
    if (!reservation || this.opts.reservedCapacity === false) return undefined;
    const nodeClass = await this.opts.api.get(Kinds.EC2NodeClass, nodeClaim.spec.nodeClassRef.name);
    const selected = this.reservations.selected(nodeClass, this.opts.clock.now());
    return selected.some((r) => r.id === reservation.id) ? undefined : 'CapacityReservationDrift';
  }

  async expiringReservations(ids: readonly string[]): Promise<Set<string>> {
    if (this.opts.reservedCapacity === false) return new Set();
    return this.reservations.expiring(ids, this.opts.clock.now());
  }

  private async nodeClassFor(nodePool: NodePool): Promise<EC2NodeClass | undefined> {
    const ref = nodePool.spec.template.spec.nodeClassRef;
    return this.opts.api.get(Kinds.EC2NodeClass, ref.name);
  }

  private labelsFor(instance: SimulatedInstance): Record<string, string> {
    const spec = this.catalog.specs.find((s) => s.name === instance.instanceType);
    return {
      ...(spec ? specLabels(spec, this.catalog.region) : {}),
      [Labels.zone]: instance.zone,
      [Labels.capacityType]: instance.capacityType,
      ...reservationLabels(instance.reservation),
      [Labels.nodePool]: instance.nodePoolName,
    };
  }

  private describe(instance: SimulatedInstance, it: InstanceType, nodeClaim: NodeClaim): NodeClaim {
    const out = structuredClone(nodeClaim);
    out.metadata.labels = { ...out.metadata.labels, ...this.labelsFor(instance) };
    out.status = {
      ...out.status,
      providerID: instance.providerID,
      imageID: 'ami-simulated-al2023',
      ...launchedResources(it, nodeClaim, undefined),
    };
    return out;
  }

  private claimFor(instance: SimulatedInstance): NodeClaim {
    return {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: {
        name: instance.nodeClaimName,
        labels: this.labelsFor(instance),
        creationTimestamp: new Date(instance.launchedAt).toISOString(),
      },
      spec: {
        requirements: [],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: '' },
        expireAfter: 'Never',
      },
      status: { providerID: instance.providerID },
    };
  }

  /** Make a node unhealthy (or healthy again): see SimulatedKubelet.setNodeCondition. */
  setNodeCondition(
    nodeName: string,
    type: string,
    status: 'True' | 'False' | 'Unknown',
    reason = '',
  ): Promise<void> {
    return this.kubelet.setNodeCondition(nodeName, type, status, reason);
  }
}
