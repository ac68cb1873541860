/**
 * The controller process (`karpenter-ts controller`): settings → Kubernetes API → cloud provider → operator,
 * with probes and metrics served from the start, the operator acting only while this replica holds the leader
 * Lease, and a graceful shutdown: stop acting, let in-flight API calls finish, release the Lease, close servers.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createCloudProvider, type ProviderHandle } from '../cloudprovider/registry';
import { CachedReads } from '../kube/cached-reads';
import type { CloudProvider } from '../cloudprovider/types';
import type { KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import type { KubeObject } from '../kube/objects';
import { LeaderElector } from '../leader';
import type { Logger } from '../logging';
import {
  bindClusterState,
  bindInterruptionStats,
  bindStatusConditions,
  buildInfo,
  collectProcessMetrics,
  instrumentCloudProvider,
  registry,
  scrape,
} from '../metrics';
import { Operator } from '../operator';
import type { Settings } from '../settings';
import type { SettingNotice } from '../settings-upstream';
import { metricsRoutes, probeRoutes, serve, type RunningServer } from './http';
import { trackInFlight } from './in-flight';
import { RealClock, type Clock } from '../clock/clock';
import { SimulatedCluster } from './simulated-cluster';
import { packageVersion } from '../version';
import { injectFaults, type FaultProfile } from '../simulator/faults';
import { clusterCapSettings } from '../settings-caps';

/** How often node class status is re-resolved. */
export const NODE_CLASS_REFRESH_MS = 60_000;

export interface ControllerProcessOptions {
  settings: Settings;
  logger: Logger;
  /** Run against an embedded in-memory cluster (created with these objects) instead of a kubeconfig. */
  simulatedCluster?: { objects: KubeObject[]; faults?: FaultProfile };
  /** Use this Kubernetes API instead of a kubeconfig or the embedded cluster (tests: replicas sharing one). */
  api?: KubeApi;
  /** This replica's Lease identity. @default hostname + random suffix */
  identity?: string;
  /** Interface the servers bind. @default "0.0.0.0" */
  host?: string;
  /** How long shutdown waits for in-flight API calls. @default 10000 */
  shutdownTimeoutMs?: number;
  /** Called when leadership is lost while running: the process should exit and restart clean. */
  onLeadershipLost?: () => void;
  clock?: Clock;
  /** What start-up says about the settings: upstream ones not applied, likely misspellings (cli.ts gathers them). */
  settingNotices?: SettingNotice[];
}

export class ControllerProcess {
  private readonly stops: (() => void | Promise<void>)[] = [];

  /**
   * Keep every EC2NodeClass's status current (resolved subnets, security groups, AMIs, Ready) now and every
   * minute, so `kubectl get ec2nodeclasses` shows a broken selector before any launch needs it. Returns a stop.
   */
  private refreshNodeClasses(refresh: () => Promise<void>, clock: Clock): () => void {
    let cancel: (() => void) | undefined;
    let stopped = false;
    const run = (): void => {
      refresh()
        .catch((err: unknown) => this.opts.logger.warn({ err }, 'node class refresh failed'))
        .finally(() => {
          if (!stopped) cancel = clock.setTimer(NODE_CLASS_REFRESH_MS, run);
        });
    };
    run();
    return () => {
      stopped = true;
      cancel?.();
    };
  }
  private servers: RunningServer[] = [];
  private elector: LeaderElector | undefined;
  private operator: Operator | undefined;
  private apiReachable = false;
  private acting = false;
  private shuttingDown = false;
  private drain: ((ms: number) => Promise<boolean>) | undefined;
  private kube: KubeApi | undefined;

  private constructor(private readonly opts: ControllerProcessOptions) {}

  /** The bound ports (meaningful when started on port 0). */
  metricsPort = 0;
  healthProbePort = 0;

  get isLeader(): boolean {
    return this.acting;
  }

  /** The Kubernetes API the controller uses (the embedded one with --simulated-cluster). */
  get api(): KubeApi | undefined {
    return this.kube;
  }

  static async start(opts: ControllerProcessOptions): Promise<ControllerProcess> {
    const p = new ControllerProcess(opts);
    try {
      await p.run();
    } catch (err) {
      await p.shutdown();
      throw err;
    }
    return p;
  }

  private async run(): Promise<void> {
    const { settings, logger } = this.opts;
    const clock = this.opts.clock ?? new RealClock();
    const host = this.opts.host ?? '0.0.0.0';
    // First, so a setting that has no effect is seen before anything it might have changed.
    for (const n of this.opts.settingNotices ?? []) logger[n.level](n.message);
    collectProcessMetrics();
    buildInfo.set({ version: packageVersion(), nodeversion: process.version }, 1);

    // Probes first: a slow API server should show as "not ready", not as a dead pod.
    const health = await serve({
      port: settings.healthProbePort,
      host,
      routes: probeRoutes({ healthz: () => undefined, readyz: () => this.notReadyReason() }),
    });
    this.servers.push(health);
    this.healthProbePort = health.port;
    const metrics = await serve({
      port: settings.metricsPort,
      host,
      routes: metricsRoutes(scrape, registry.contentType),
    });
    this.servers.push(metrics);
    this.metricsPort = metrics.port;

    const rawApi = await this.kubeApi(clock);
    const tracked = trackInFlight(rawApi);
    this.drain = (ms) => tracked.drain(ms);
    const api = tracked.api;
    this.kube = api;
    // Reachable, and our CRDs are installed: the controller can do its job once it leads.
    await api.list(Kinds.NodePool);
    this.apiReachable = true;

    // The provider reads NodePools, node classes (and kwok Nodes) all the time: from the Operator's caches once they sync.
    const reads = new CachedReads(api);
    const kubeCABundle = rawApi.clusterCABundle?.();
    const provider = await createCloudProvider({
      api: reads,
      clock,
      logger,
      settings,
      ...(kubeCABundle ? { kubeCABundle } : {}),
    });
    const cloud = instrumentCloudProvider(provider.cloud);
    // Injected faults reach the controllers only; leader election and the probes keep the plain seams.
    const faults = this.opts.simulatedCluster?.faults;
    const seams = faults ? injectFaults(api, cloud, faults) : undefined;
    if (seams)
      logger.warn(
        { faults },
        "fault injection on: a share of the controller's API and cloud calls will fail",
      );
    const operator = new Operator({
      api: seams?.api ?? api,
      cloud: seams?.cloud ?? cloud,
      clock,
      logger,
      settings: {
        batchIdleMs: settings.batchIdleMs,
        batchMaxMs: settings.batchMaxMs,
        minValuesPolicy: settings.minValuesPolicy,
        preferencePolicy: settings.preferencePolicy,
        perNodeCost: settings.perNodeCost,
        spotToSpotConsolidation: settings.featureGates.SpotToSpotConsolidation,
        terminateFirstDrift: settings.featureGates.TerminateFirstDrift,
        terminateFirstRepair: settings.featureGates.TerminateFirstRepair,
        staticCapacity: settings.featureGates.StaticCapacity,
        nodeRepair: settings.featureGates.NodeRepair,
        nodeOverlay: settings.featureGates.NodeOverlay,
        capacityBuffer: settings.featureGates.CapacityBuffer,
        planDeclaredReplicas: settings.planDeclaredReplicas,
        podDeletionCost: settings.podDeletionCost,
        consolidationRepack: settings.consolidationRepack,
        ...(settings.savingsPlans ? { savingsPlans: settings.savingsPlans } : {}),
        enableZonalShift: settings.enableZonalShift,
        ...clusterCapSettings(settings),
      },
      ...(provider.deleteNodeClassResources ? { nodeClassCleanup: provider.deleteNodeClassResources } : {}),
      ...(provider.zonalShifts ? { zonalShifts: provider.zonalShifts } : {}),
    });
    this.operator = operator;
    reads.serve(Kinds.NodePool, operator.state.nodePools);
    reads.serve(Kinds.EC2NodeClass, operator.state.nodeClasses);
    reads.serve(Kinds.Node, operator.state.nodes);

    const startActing = async () => {
      if (this.shuttingDown) return;
      await operator.start();
      this.acting = true;
      // The offering price gauges show the overlaid prices, as upstream's do.
      this.stops.push(
        bindClusterState(operator.state, { now: () => clock.now(), cloud: operator.priced(cloud) }),
      );
      this.stops.push(bindStatusConditions(operator.state, { now: () => clock.now() }));
      if (provider.refreshNodeClasses)
        this.stops.push(this.refreshNodeClasses(provider.refreshNodeClasses, clock));
      if (settings.interruptionQueue) await this.startInterruption(api, cloud, clock, operator, provider);
      logger.info({ cloudProvider: cloud.name }, 'controller started');
    };

    if (!settings.leaderElect) {
      await startActing();
      return;
    }
    const identity = this.opts.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
    this.elector = new LeaderElector({
      api,
      clock,
      identity,
      namespace: settings.leaderElectionNamespace,
      name: settings.leaderElectionName,
      logger,
      onStartedLeading: () =>
        startActing().catch((err: unknown) => {
          logger.error({ err }, 'controller failed to start');
          this.opts.onLeadershipLost?.();
        }),
      onStoppedLeading: () => {
        if (this.shuttingDown) return;
        logger.error('lost leadership: stopping');
        this.opts.onLeadershipLost?.();
      },
    });
    this.elector.start();
  }

  private async kubeApi(clock: Clock): Promise<KubeApi> {
    if (this.opts.api) return this.opts.api;
    if (this.opts.simulatedCluster) {
      const cluster = new SimulatedCluster({
        clock,
        logger: this.opts.logger,
        objects: this.opts.simulatedCluster.objects,
      });
      await cluster.start();
      this.stops.push(() => cluster.stop());
      return cluster.api;
    }
    // Loaded lazily: client-node is only needed when talking to a real cluster.
    const { ClientNodeApi } = await import('../kube/client-node/client-node-api.js');
    const { kubeClientQps: qps, kubeClientBurst: burst } = this.opts.settings;
    return ClientNodeApi.fromDefault({ qps, burst });
  }

  private async startInterruption(
    api: KubeApi,
    cloud: CloudProvider,
    clock: Clock,
    operator: Operator,
    provider: ProviderHandle,
  ): Promise<void> {
    const { settings, logger } = this.opts;
    if (!provider.markUnavailable) {
      logger.warn(
        { cloudProvider: cloud.name },
        'INTERRUPTION_QUEUE is set but this provider has no interruptions',
      );
      return;
    }
    const { InterruptionController } = await import('../controllers/interruption/index.js');
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const sqs = new SQSClient({
      ...(settings.awsRegion ? { region: settings.awsRegion } : {}),
      ...(settings.awsEndpoint ? { endpoint: settings.awsEndpoint } : {}),
    });
    const controller = new InterruptionController({
      api,
      cloud,
      clock,
      logger,
      state: operator.state,
      recorder: operator.recorder,
      sqs,
      queueName: settings.interruptionQueue as string,
      unavailable: provider.markUnavailable,
    });
    controller.start();
    this.stops.push(bindInterruptionStats(controller.stats));
    this.stops.push(() => controller.stop());
  }

  /** Undefined when ready: the API is reachable and, once leading, the operator's caches are synced. */
  private notReadyReason(): string | undefined {
    if (this.shuttingDown) return 'shutting down';
    if (!this.apiReachable) return 'the Kubernetes API is not reachable yet';
    if (!this.opts.settings.leaderElect && !this.acting) return 'informers are not synced yet';
    return undefined;
  }

  /** Stop acting, let in-flight API calls finish, release the Lease, close the servers. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const { logger } = this.opts;
    this.operator?.stop();
    this.acting = false;
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.warn({ err }, 'error while stopping');
      }
    }
    const drained = await (this.drain?.(this.opts.shutdownTimeoutMs ?? 10_000) ?? Promise.resolve(true));
    if (!drained) logger.warn('shutdown: some API calls were still in flight');
    await this.elector?.stop();
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
    logger.info('controller stopped');
  }
}
