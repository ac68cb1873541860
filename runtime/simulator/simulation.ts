/**
 * The embedded simulated cluster: an in-memory API server, a simulated EC2, stand-ins for the kube-scheduler,
 * kubelets and workload controllers, and the real Operator, all on one simulated clock. `settle()` advances time
 * until the cluster is quiet, so scenarios that take minutes of cluster time finish in a fraction of a second.
 */
import { DEFAULT_PER_NODE_COST } from '../settings';
import { nodePoolTransitionProblem } from '../../sdk/api/nodepool';
import { Labels } from '../../sdk/api/well-known';
import { SimClock, flushAsync } from '../clock/sim-clock';
import {
  defaultCatalog,
  priceOf,
  specLabels,
  toInstanceType,
  type Catalog,
} from '../cloudprovider/simulated/catalog';
import { SimulatedCloud } from '../cloudprovider/simulated/simulated-cloud';
import { InvalidError, isNotFound } from '../kube/api';
import { Kinds, type ResourceKind } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import { nameOf, type KubeObject, type Node, type NodePool, type Pod } from '../kube/objects';
import { createLogger, type Logger } from '../logging';
import { validateObject } from '../manifests';
import { Operator, type OperatorSettings } from '../operator';
import type { CapacitySettings } from '../scheduling/allocatable';
import { toResourceList } from '../scheduling/resources';
import { SimKubeScheduler } from './kube-scheduler';
import { SimKubelet } from './kubelet';
import { SimWorkloadControllers } from './workloads';
import { injectFaults, type FaultLog, type FaultProfile } from './faults';
import { checkConvergence, type Convergence } from './convergence';

export interface StaticNodeSpec {
  name: string;
  instanceType: string;
  capacityType?: 'on-demand' | 'spot';
  zone?: string;
  labels?: Record<string, string>;
}

export interface SimulationOptions {
  logger?: Logger;
  catalog?: Catalog;
  settings?: OperatorSettings;
  /** VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS for the simulated cloud's instance types. @default upstream's */
  capacity?: CapacitySettings;
  /** Start of simulated time (ms since epoch). */
  startTime?: number;
  /** Fail a share of the Operator's API and cloud calls (the simulated kube-scheduler, kubelets and workload
   * controllers keep a faultless view: they stand in for other components). */
  faults?: FaultProfile;
  /** Space out the workload controllers' pod creations and deletions, as a real controller-manager does (see SimWorkloadControllersOptions). */
  podWrites?: { qps: number; burst: number };
}

export interface SettleResult {
  settled: boolean;
  /** Simulated milliseconds that passed. */
  elapsedMs: number;
}

const KIND_BY_TYPE: Record<string, ResourceKind> = Object.fromEntries(
  Object.values(Kinds).map((k) => [
    `${k.group ? `${k.group}/` : ''}${k.version}/${k.kind}`,
    k as ResourceKind,
  ]),
);

export function kindOf(obj: KubeObject): ResourceKind {
  const kind = KIND_BY_TYPE[`${obj.apiVersion}/${obj.kind}`];
  if (!kind) throw new Error(`the simulator does not know ${obj.apiVersion} ${obj.kind}`);
  return kind;
}

export class Simulation {
  readonly clock: SimClock;
  readonly api: MemoryApiServer;
  readonly cloud: SimulatedCloud;
  readonly operator: Operator;
  readonly logger: Logger;
  /** What the fault injector did, when a profile was given. */
  readonly faults: FaultLog | undefined;
  private readonly scheduler: SimKubeScheduler;
  private readonly kubelet: SimKubelet;
  private readonly workloads: SimWorkloadControllers;

  constructor(opts: SimulationOptions = {}) {
    this.clock = new SimClock(opts.startTime);
    this.logger = opts.logger ?? createLogger('silent');
    this.api = new MemoryApiServer({
      clock: this.clock,
      admission: [(_kind, obj) => void validateObject(obj), nodePoolTransitions],
    });
    this.cloud = new SimulatedCloud({
      api: this.api,
      clock: this.clock,
      catalog: opts.catalog ?? defaultCatalog,
      ...(opts.capacity ? { capacity: opts.capacity } : {}),
    });
    const seams = opts.faults ? injectFaults(this.api, this.cloud, opts.faults) : undefined;
    this.faults = seams?.log;
    this.operator = new Operator({
      api: seams?.api ?? this.api,
      cloud: seams?.cloud ?? this.cloud,
      clock: this.clock,
      logger: this.logger,
      // Priced, and planning for declared replicas, as the controller does unless a test says otherwise.
      settings: {
        perNodeCost: DEFAULT_PER_NODE_COST,
        planDeclaredReplicas: true,
        podDeletionCost: true,
        ...opts.settings,
      },
      // The simulated cloud sends spot interruptions the way the SQS queue would.
      interruption: {
        source: this.cloud.interruptions,
        unavailable: (type, zone, capacityType) => this.cloud.markUnavailable(type, zone, capacityType),
      },
      // Followed only with settings.enableZonalShift; impair a zone with `cloud.arc.shiftZone`.
      zonalShifts: this.cloud.arc,
    });
    const onError = (err: unknown, where: string) => this.logger.warn({ err, where }, 'simulator error');
    this.scheduler = new SimKubeScheduler({ api: this.api, clock: this.clock, onError });
    this.kubelet = new SimKubelet({ api: this.api, clock: this.clock, onError });
    this.workloads = new SimWorkloadControllers({
      api: this.api,
      clock: this.clock,
      onError,
      ...(opts.podWrites ? { podWrites: opts.podWrites } : {}),
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.scheduler.start(), this.kubelet.start(), this.workloads.start()]);
    // The informers retry a failing first list on the clock, which only moves when advanced: advance it while
    // the operator starts, or a fault at start-up would wait forever.
    let started = false;
    const starting = this.operator.start().finally(() => (started = true));
    await flushAsync();
    for (
      let next = this.clock.nextTimerAt();
      !started && next !== undefined;
      next = this.clock.nextTimerAt()
    ) {
      await this.clock.advanceTo(next);
    }
    await starting;
  }

  stop(): void {
    this.operator.stop();
    this.scheduler.stop();
    this.kubelet.stop();
    this.workloads.stop();
  }

  /** Stop the stand-in kube-scheduler binding pods (an outage, or pods it will not bind); resume with the result. */
  pauseKubeScheduler(): () => Promise<void> {
    this.scheduler.stop();
    return () => this.scheduler.start();
  }

  /** Create or replace objects, as `kubectl apply` would. */
  async apply(objects: KubeObject[]): Promise<void> {
    for (const input of objects) {
      const obj = validateObject(input);
      const kind = kindOf(obj);
      // A manifest with only generateName always creates.
      const existing = obj.metadata.name
        ? await this.api.get(kind, obj.metadata.name, obj.metadata.namespace)
        : undefined;
      if (existing) {
        await this.api.update(kind, {
          ...obj,
          metadata: { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion },
        });
      } else {
        await this.api.create(kind, obj);
      }
    }
  }

  async delete(kind: ResourceKind, name: string, namespace?: string): Promise<void> {
    try {
      await this.api.delete(kind, name, namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** `kubectl scale`. */
  async scale(
    kind: 'Deployment' | 'StatefulSet',
    namespace: string,
    name: string,
    replicas: number,
  ): Promise<void> {
    const k: ResourceKind = kind === 'Deployment' ? Kinds.Deployment : Kinds.StatefulSet;
    if (!(await this.api.get(k, name, namespace))) throw new Error(`${kind} ${namespace}/${name} not found`);
    await this.api.patch(k, name, { spec: { replicas } }, namespace);
  }

  /** A node that exists outside karpenter-ts (a managed node group): registered and Ready at once. */
  async addStaticNode(spec: StaticNodeSpec): Promise<void> {
    const catalogSpec = this.cloud.catalog.specs.find((s) => s.name === spec.instanceType);
    if (!catalogSpec) throw new Error(`static node ${spec.name}: unknown instance type ${spec.instanceType}`);
    // A managed node group's node: no node class of ours, so AL2023's pod rules, and the cloud's capacity settings.
    const it = toInstanceType(catalogSpec, this.cloud.catalog.region, {}, this.cloud.capacity);
    const zone = spec.zone ?? catalogSpec.zones[0] ?? `${this.cloud.catalog.region}a`;
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: spec.name,
        labels: {
          ...specLabels(catalogSpec, this.cloud.catalog.region),
          [Labels.zone]: zone,
          [Labels.capacityType]: spec.capacityType ?? 'on-demand',
          [Labels.hostname]: spec.name,
          ...spec.labels,
        },
      },
      spec: { providerID: `aws:///${zone}/${spec.name}` },
      status: {
        capacity: toResourceList(it.capacity),
        allocatable: toResourceList(it.allocatable),
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      },
    };
    await this.api.create(Kinds.Node, node);
  }

  /** Hourly price of a node's instance, from the catalog. */
  priceOf = (instanceType: string, capacityType: string, zone: string): number | undefined =>
    priceOf(this.cloud.catalog, instanceType, capacityType, zone);

  nodes(): Node[] {
    return this.api.peekAll(Kinds.Node);
  }

  /** Leaked instances, duplicate launches and orphan Nodes, as of now. */
  convergence(): Convergence {
    return checkConvergence(this.cloud.allInstances(), this.api.peekAll(Kinds.NodeClaim), this.nodes());
  }

  pods(): Pod[] {
    return this.api.peekAll(Kinds.Pod);
  }

  /** True when nothing is moving: no unbound pods, no launching or terminating capacity, idle controllers. */
  isQuiet(): boolean {
    if (!this.operator.idle || this.workloads.depth > 0) return false;
    if (this.api.peekSome(Kinds.Pod, (p) => !p.spec.nodeName || p.status?.phase !== 'Running')) return false;
    if (
      this.api.peekSome(
        Kinds.Node,
        (n) =>
          n.metadata.deletionTimestamp !== undefined ||
          !n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      )
    ) {
      return false;
    }
    return !this.api.peekSome(
      Kinds.NodeClaim,
      (c) =>
        c.metadata.deletionTimestamp !== undefined ||
        !c.status?.conditions?.some((x) => x.type === 'Initialized' && x.status === 'True'),
    );
  }

  /**
   * Advance simulated time until the cluster has been quiet (and unchanged) for `quietMs`, or `maxMs` passes.
   * Quiet must outlast a disruption poll plus its validation delay, so a pending consolidation is not missed.
   */
  async settle(opts: { quietMs?: number; maxMs?: number; stepMs?: number } = {}): Promise<SettleResult> {
    const quietMs = opts.quietMs ?? 60_000;
    const maxMs = opts.maxMs ?? 60 * 60_000;
    const stepMs = opts.stepMs ?? 1000;
    const start = this.clock.now();
    let quietSince: number | undefined;
    let lastVersion = this.api.resourceVersion;
    while (this.clock.now() - start < maxMs) {
      await this.clock.advance(stepMs);
      const version = this.api.resourceVersion;
      if (version !== lastVersion || !this.isQuiet()) {
        lastVersion = version;
        quietSince = undefined;
        continue;
      }
      quietSince ??= this.clock.now();
      if (this.clock.now() - quietSince >= quietMs)
        return { settled: true, elapsedMs: this.clock.now() - start };
    }
    return { settled: false, elapsedMs: this.clock.now() - start };
  }
}

/** The NodePool CRD's transition rule on spec, as the API server applies it to an update. */
function nodePoolTransitions(kind: ResourceKind, obj: KubeObject, old?: KubeObject): void {
  if (kind !== Kinds.NodePool || !old) return;
  const problem = nodePoolTransitionProblem((old as NodePool).spec, (obj as NodePool).spec);
  if (problem) throw new InvalidError(`NodePool.karpenter.sh "${nameOf(obj)}" is invalid: spec: ${problem}`);
}
