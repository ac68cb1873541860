/** The simulated workload controllers, run together over one set of informer caches. */
import type { Clock } from '../../clock/clock';
import type { KubeApi } from '../../kube/api';
import { Informer } from '../../kube/informer';
import { TokenBucket } from '../../kube/rate-limiter';
import { Kinds, type ResourceKind } from '../../kube/kinds';
import type { KubeObject } from '../../kube/objects';
import { DaemonSetController } from './daemon-set';
import { DeploymentController } from './deployment';
import { GarbageCollector } from './garbage-collector';
import type { QueuedController, WorkloadContext } from './queued-controller';
import { ReplicaSetController } from './replica-set';
import { indexByController } from './shared';
import { StatefulSetController } from './stateful-set';

export interface SimWorkloadControllersOptions {
  api: KubeApi;
  clock: Clock;
  onError?: (err: unknown, where: string) => void;
  /**
   * Pods created or deleted per second, shared by every workload controller, as kube-controller-manager's client
   * rate limit (--kube-api-qps 20, --kube-api-burst 30 by default) spaces out a large scale-up or scale-down.
   * @default unlimited
   */
  podWrites?: { qps: number; burst: number };
}

/** Runs the Deployment, ReplicaSet, StatefulSet and DaemonSet controllers and the garbage collector together. */
export class SimWorkloadControllers {
  private readonly ctx: WorkloadContext;
  private readonly controllers: QueuedController[];

  constructor(opts: SimWorkloadControllersOptions) {
    const onError = opts.onError ?? (() => undefined);
    const informer = <T extends KubeObject>(kind: ResourceKind<T>): Informer<T> =>
      new Informer(opts.api, kind, opts.clock, (err) => onError(err, `${kind.kind} informer`));
    this.ctx = {
      api: opts.api,
      clock: opts.clock,
      onError,
      pods: informer(Kinds.Pod),
      nodes: informer(Kinds.Node),
      deployments: informer(Kinds.Deployment),
      replicaSets: informer(Kinds.ReplicaSet),
      statefulSets: informer(Kinds.StatefulSet),
      daemonSets: informer(Kinds.DaemonSet),
    };
    if (opts.podWrites) {
      const bucket = new TokenBucket({
        ...opts.podWrites,
        now: () => opts.clock.now(),
        sleep: (ms) => opts.clock.sleep(ms),
      });
      this.ctx.beforePodWrite = () => bucket.acquire();
    }
    indexByController(this.ctx.pods);
    indexByController(this.ctx.replicaSets);
    this.controllers = [
      new DeploymentController(this.ctx),
      new ReplicaSetController(this.ctx),
      new StatefulSetController(this.ctx),
      new DaemonSetController(this.ctx),
      new GarbageCollector(this.ctx),
    ];
  }

  async start(): Promise<void> {
    // Every cache is filled before any controller acts, so none mistakes an unlisted object for a missing one.
    const { deployments, replicaSets, statefulSets, daemonSets, nodes, pods } = this.ctx;
    for (const informer of [deployments, replicaSets, statefulSets, daemonSets, nodes, pods])
      await informer.start();
    for (const c of this.controllers) c.activate();
  }

  stop(): void {
    for (const c of this.controllers) c.stop();
    const { deployments, replicaSets, statefulSets, daemonSets, nodes, pods } = this.ctx;
    for (const informer of [deployments, replicaSets, statefulSets, daemonSets, nodes, pods]) informer.stop();
  }

  /** Keys waiting or being reconciled across all controllers: zero means the workloads have settled. */
  get depth(): number {
    return this.controllers.reduce((n, c) => n + c.depth, 0);
  }
}
