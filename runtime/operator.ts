/**
 * Wires the controllers together over the two seams (KubeApi, CloudProvider) and a Clock. The same Operator runs
 * in a real cluster (client-node + AWS, wall clock) and in the embedded simulator (in-memory API + simulated
 * cloud, simulated clock).
 */
import { NodeHealthController } from './controllers/node/health/controller';
import type { Clock } from './clock/clock';
import type { Controller } from './controllers/controller';
import type { CloudProvider } from './cloudprovider/types';
import { DisruptionController } from './controllers/disruption/controller';
import { DeletionCostController } from './controllers/deletion-cost/controller';
import { HashController } from './controllers/hash/controller';
import { NodePoolStatusController } from './controllers/nodepool/status/controller';
import { RegistrationHealth } from './controllers/nodepool/status/registration-health';
import { StaticCapacityController } from './controllers/nodepool/static/controller';
import { ExpirationController } from './controllers/expiration/controller';
import { CapacityReservationExpirationController } from './controllers/capacity-reservation/expiration/controller';
import { CapacityBufferController } from './controllers/capacity-buffer/controller';
import {
  InterruptionController,
  type InterruptionSettings,
  type InterruptionSourceOptions,
} from './controllers/interruption';
import { NodeClassFinalizerController } from './controllers/nodeclass/controller';
import { GarbageCollectionController } from './controllers/nodeclaim/garbagecollection/controller';
import type { EC2NodeClass } from './kube/objects';
import { NodeClaimLifecycleController } from './controllers/nodeclaim/lifecycle/controller';
import { withNodeOverlays } from './controllers/nodeoverlay/cloud';
import { NodeOverlayController } from './controllers/nodeoverlay/controller';
import { OverlayStore, UnevaluatedNodePoolError } from './controllers/nodeoverlay/overlays';
import { ProvisioningController } from './controllers/provisioning/controller';
import { TerminationController } from './controllers/termination/controller';
import { ZonalShiftController } from './controllers/zonal-shift/controller';
import type { ZonalShiftSource } from './cloudprovider/zonal-shift';
import { EventRecorder } from './events/recorder';
import type { KubeApi } from './kube/api';
import type { Logger } from './logging';
import type { MinValuesPolicy, PreferencePolicy, SchedulingResult } from './scheduling/scheduler';
import { clusterCaps, type ClusterCapSettings } from './settings-caps';
import { SavingsPlanPricing } from './controllers/savings-plans/pricing';
import { withCoverage, type SavingsPlan } from './scheduling/savings-plans';
import { ClusterState } from './state/cluster-state';

export interface OperatorSettings extends ClusterCapSettings {
  /** @default 1000 */
  batchIdleMs?: number;
  /** @default 10000 */
  batchMaxMs?: number;
  /** Whether scheduling may relax minValues to launch. @default "Strict" */
  minValuesPolicy?: MinValuesPolicy;
  /** Whether preferred affinities and ScheduleAnyway spreads count. @default "Respect" */
  preferencePolicy?: PreferencePolicy;
  /** USD/hour added to every node's price in scheduling and consolidation. @default 0 */
  perNodeCost?: number;
  /** Repack consolidation (Settings.consolidationRepack). @default false, as upstream */
  consolidationRepack?: boolean;
  /** The SpotToSpotConsolidation feature gate. @default false, as upstream */
  spotToSpotConsolidation?: boolean;
  /** The TerminateFirstDrift feature gate: delete a drifted node in a full reservation first. @default false */
  terminateFirstDrift?: boolean;
  /** The TerminateFirstRepair feature gate: delete an unhealthy node first where it cannot be replaced first. @default false */
  terminateFirstRepair?: boolean;
  /** The StaticCapacity feature gate: keep static NodePools at spec.replicas nodes. @default false, as upstream */
  staticCapacity?: boolean;
  /** The NodeRepair feature gate: replace nodes whose conditions match the cloud's repair policies. @default false */
  nodeRepair?: boolean;
  /** Plan for the pods ReplicaSets are still creating (Settings.planDeclaredReplicas). @default false */
  planDeclaredReplicas?: boolean;
  /** Give ReplicaSet pods their node's pod-deletion-cost (Settings.podDeletionCost). @default false */
  podDeletionCost?: boolean;
  /** The NodeOverlay feature gate: apply NodeOverlays to instance types. @default false, as upstream */
  nodeOverlay?: boolean;
  /**
   * ENABLE_ZONAL_SHIFT: follow the cloud's zonal shifts (OperatorOptions.zonalShifts): no launches in shifted
   * zones, their nodes replaced within the Drifted budget. @default false, as upstream
   */
  enableZonalShift?: boolean;
  /** The CapacityBuffer feature gate: keep the spare capacity CapacityBuffers ask for. @default false, as upstream */
  capacityBuffer?: boolean;
  /** SAVINGS_PLANS: commitments that make the on-demand usage they cover cheaper. @default none */
  savingsPlans?: SavingsPlan[];
}

export interface OperatorOptions {
  api: KubeApi;
  cloud: CloudProvider;
  clock: Clock;
  logger: Logger;
  settings?: OperatorSettings;
  /** Where interruption notices come from (the SQS queue, or the simulated cloud); none: not handled. */
  interruption?: InterruptionSettings & InterruptionSourceOptions;
  /** Deletes what the cloud made for a node class; given, node classes hold a finalizer until it has run. */
  nodeClassCleanup?: (nodeClass: EC2NodeClass) => Promise<void>;
  /** Where zonal shifts come from (ARC, the simulated cloud); followed only with settings.enableZonalShift. */
  zonalShifts?: ZonalShiftSource;
}

export class Operator {
  readonly state: ClusterState;
  readonly recorder: EventRecorder;
  readonly provisioner: ProvisioningController;
  readonly lifecycle: NodeClaimLifecycleController;
  readonly termination: TerminationController;
  readonly disruption: DisruptionController;
  readonly expiration: ExpirationController;
  /** Deletes nodes in capacity blocks about to end; only for clouds with reservations. */
  readonly reservationExpiration: CapacityReservationExpirationController | undefined;
  readonly garbageCollection: GarbageCollectionController;
  readonly interruption: InterruptionController | undefined;
  readonly nodeClassFinalizer: NodeClassFinalizerController | undefined;
  readonly hash: HashController;
  readonly nodePoolStatus: NodePoolStatusController;
  readonly staticCapacity: StaticCapacityController;
  readonly deletionCost: DeletionCostController | undefined;
  readonly nodeHealth: NodeHealthController | undefined;
  readonly nodeOverlay: NodeOverlayController | undefined;
  /** Follows zonal shifts (ENABLE_ZONAL_SHIFT). */
  readonly zonalShift: ZonalShiftController | undefined;
  /** Resolves CapacityBuffers into virtual pods (gate on), or warns about each buffer (gate off). */
  readonly capacityBuffers: CapacityBufferController;
  /** The cloud as the controllers see it: with the NodeOverlays applied when the gate is on, and SAVINGS_PLANS. */
  readonly cloud: CloudProvider;
  /** What SAVINGS_PLANS cover and the prices they make (none set: undefined). */
  readonly savingsPlans: SavingsPlanPricing | undefined;

  constructor(opts: OperatorOptions) {
    const { api, clock, logger } = opts;
    const onError = (err: unknown) => logger.warn({ err }, 'api error');
    const overlays = opts.settings?.nodeOverlay === true;
    const buffers = opts.settings?.capacityBuffer === true;
    this.state = new ClusterState(api, clock, onError, {
      replicaSets: opts.settings?.planDeclaredReplicas === true,
      nodeOverlays: overlays,
      capacityBuffers: buffers,
    });
    this.recorder = new EventRecorder(api, clock, onError);
    const overlaidCloud = this.overlaid(opts.cloud);
    const plans = opts.settings?.savingsPlans ?? [];
    this.savingsPlans =
      plans.length > 0 ? new SavingsPlanPricing(plans, overlaidCloud, this.state) : undefined;
    const cloud = this.savingsPlans?.wrap(overlaidCloud) ?? overlaidCloud;
    this.cloud = cloud;
    const common = { api, cloud, clock, state: this.state, recorder: this.recorder, logger };
    this.nodeOverlay = overlays
      ? new NodeOverlayController({
          ...common,
          baseCloud: opts.cloud,
          // Pods held back while their pool was unevaluated get another round.
          onEvaluated: () => this.provisioner.trigger(),
        })
      : undefined;
    // Launches choose among a claim's offerings by the overlaid (and plan) prices too (CloudProvider.useNodeOverlays).
    const savings = this.savingsPlans;
    if (overlays || savings)
      opts.cloud.useNodeOverlays?.((pool, types) => {
        const overlaid = overlays ? this.applyOverlays(pool, types) : types;
        return savings ? withCoverage(overlaid, savings.coverage) : overlaid;
      });
    const caps = opts.settings ? clusterCaps(opts.settings) : undefined;
    if (opts.settings?.enableZonalShift && !opts.zonalShifts)
      throw new Error(
        `ENABLE_ZONAL_SHIFT=true: the ${opts.cloud.name} cloud provider has no zonal shifts to follow: unset ENABLE_ZONAL_SHIFT or use CLOUD_PROVIDER=aws or simulated`,
      );
    this.zonalShift =
      opts.settings?.enableZonalShift && opts.zonalShifts
        ? new ZonalShiftController({
            ...common,
            source: opts.zonalShifts,
            onChange: () => this.provisioner.trigger(),
          })
        : undefined;
    const shiftedZones = this.zonalShift?.shiftedZones;
    // Offerings in shifted zones are unavailable for planning and for launches alike.
    if (shiftedZones) opts.cloud.useZonalShift?.(shiftedZones);
    this.capacityBuffers = new CapacityBufferController({
      ...common,
      enabled: buffers,
      onResolved: () => this.provisioner.trigger(),
    });
    const virtualPods = buffers ? () => this.capacityBuffers.virtualPods() : undefined;
    this.provisioner = new ProvisioningController({
      ...common,
      ...(opts.settings?.batchIdleMs !== undefined ? { idleMs: opts.settings.batchIdleMs } : {}),
      ...(opts.settings?.batchMaxMs !== undefined ? { maxMs: opts.settings.batchMaxMs } : {}),
      ...(opts.settings?.minValuesPolicy ? { minValuesPolicy: opts.settings.minValuesPolicy } : {}),
      ...(opts.settings?.preferencePolicy ? { preferencePolicy: opts.settings.preferencePolicy } : {}),
      ...(opts.settings?.perNodeCost !== undefined ? { perNodeCost: opts.settings.perNodeCost } : {}),
      ...(caps ? { clusterCaps: caps } : {}),
      // Disruption learns of launches that undo one of its consolidations.
      onLaunched: (nodeClaim, pods) => this.disruption.noteProvisioned(nodeClaim, pods),
      ...(virtualPods
        ? {
            capacityBuffers: {
              virtualPods,
              noteRound: (r: SchedulingResult) => this.capacityBuffers.noteRound(r),
            },
          }
        : {}),
    });
    // Launch outcomes the lifecycle records and the NodePool status turns into NodeRegistrationHealthy.
    const registrationHealth = new RegistrationHealth();
    this.lifecycle = new NodeClaimLifecycleController({ ...common, registrationHealth });
    this.termination = new TerminationController(common);
    this.expiration = new ExpirationController(common);
    this.reservationExpiration = opts.cloud.expiringReservations
      ? new CapacityReservationExpirationController(common)
      : undefined;
    this.hash = new HashController(common);
    this.nodePoolStatus = new NodePoolStatusController({ ...common, registrationHealth });
    this.staticCapacity = new StaticCapacityController({
      ...common,
      enabled: opts.settings?.staticCapacity === true,
      ...(opts.settings?.perNodeCost !== undefined ? { perNodeCost: opts.settings.perNodeCost } : {}),
    });
    this.deletionCost = opts.settings?.podDeletionCost ? new DeletionCostController(common) : undefined;
    this.garbageCollection = new GarbageCollectionController(common);
    this.nodeHealth = opts.settings?.nodeRepair
      ? new NodeHealthController({
          ...common,
          replaceFirst: (command) => this.disruption.carryOut(command),
          terminateFirst: opts.settings.terminateFirstRepair === true,
          ...(opts.settings.perNodeCost !== undefined ? { perNodeCost: opts.settings.perNodeCost } : {}),
          ...(opts.settings.minValuesPolicy ? { minValuesPolicy: opts.settings.minValuesPolicy } : {}),
          ...(opts.settings.preferencePolicy ? { preferencePolicy: opts.settings.preferencePolicy } : {}),
          ...(caps ? { clusterCaps: caps } : {}),
          ...(virtualPods ? { virtualPods } : {}),
        })
      : undefined;
    this.nodeClassFinalizer = opts.nodeClassCleanup
      ? new NodeClassFinalizerController({ ...common, cleanup: opts.nodeClassCleanup })
      : undefined;
    this.interruption = opts.interruption
      ? new InterruptionController({ ...common, ...opts.interruption })
      : undefined;
    this.disruption = new DisruptionController({
      ...common,
      provisioningBusy: () =>
        this.provisioner.busy || this.provisioner.hasUndecidedPods() || this.provisioner.hasExpectedPods(),
      ...(opts.settings?.minValuesPolicy ? { minValuesPolicy: opts.settings.minValuesPolicy } : {}),
      ...(opts.settings?.preferencePolicy ? { preferencePolicy: opts.settings.preferencePolicy } : {}),
      ...(opts.settings?.perNodeCost !== undefined ? { perNodeCost: opts.settings.perNodeCost } : {}),
      ...(caps ? { clusterCaps: caps } : {}),
      consolidation: {
        spotToSpot: opts.settings?.spotToSpotConsolidation === true,
        repack: opts.settings?.consolidationRepack === true,
      },
      terminateFirstDrift: opts.settings?.terminateFirstDrift === true,
      ...(shiftedZones ? { shiftedZones } : {}),
      ...(virtualPods ? { virtualPods } : {}),
    });
  }

  /** `cloud` with this Operator's NodeOverlays applied to its instance types (gate on), else `cloud` itself. */
  overlaid(cloud: CloudProvider): CloudProvider {
    if (this.state.nodeOverlays === undefined) return cloud;
    return withNodeOverlays(cloud, () => this.nodeOverlay?.store ?? new OverlayStore());
  }

  /** `cloud` as the controllers price it: `overlaid`, then SAVINGS_PLANS' rates (none set: `overlaid` alone). */
  priced(cloud: CloudProvider): CloudProvider {
    const overlaid = this.overlaid(cloud);
    return this.savingsPlans?.wrap(overlaid) ?? overlaid;
  }

  private applyOverlays(nodePoolName: string, types: Parameters<OverlayStore['apply']>[1]) {
    try {
      return this.nodeOverlay?.store.apply(nodePoolName, types) ?? types;
    } catch (err) {
      if (err instanceof UnevaluatedNodePoolError) return types;
      throw err;
    }
  }

  /**
   * Every controller, in start order: the lifecycle, termination, expiration, hash, NodePool status, garbage
   * collection and node class controllers first; interruption only once the caches are synced (a notice for a node not yet in them would be
   * taken as not ours); static capacity, provisioning and disruption last, so they act on a cluster the others
   * already watch.
   */
  get controllers(): Controller[] {
    return [
      this.lifecycle,
      this.termination,
      this.expiration,
      ...(this.reservationExpiration ? [this.reservationExpiration] : []),
      this.hash,
      this.nodePoolStatus,
      ...(this.deletionCost ? [this.deletionCost] : []),
      this.garbageCollection,
      ...(this.nodeClassFinalizer ? [this.nodeClassFinalizer] : []),
      ...(this.interruption ? [this.interruption] : []),
      this.staticCapacity,
      // Before provisioning, so the first round already knows the shifted zones.
      ...(this.zonalShift ? [this.zonalShift] : []),
      // Before provisioning, whose pools it holds back until their overlays are known.
      ...(this.nodeOverlay ? [this.nodeOverlay] : []),
      // Before provisioning, which plans the buffers' virtual pods.
      this.capacityBuffers,
      this.provisioner,
      this.disruption,
      ...(this.nodeHealth ? [this.nodeHealth] : []),
    ];
  }

  async start(): Promise<void> {
    await this.state.start();
    for (const c of this.controllers) c.start();
  }

  /** Stop in reverse order, then the caches. */
  stop(): void {
    for (const c of [...this.controllers].reverse()) void c.stop();
    this.state.stop();
  }

  /** Nothing queued or in progress in any controller. */
  get idle(): boolean {
    return this.controllers.every((c) => c.idle);
  }
}
