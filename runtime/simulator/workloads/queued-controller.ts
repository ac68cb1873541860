/**
 * What every simulated workload controller shares: the informer caches they read (one set, started together) and a
 * base class that runs reconciles off a keyed work queue once those caches have synced.
 */
import type { Clock } from '../../clock/clock';
import { WorkQueue } from '../../controllers/work-queue';
import type { KubeApi } from '../../kube/api';
import type { Informer } from '../../kube/informer';
import type { DaemonSet, Deployment, Node, Pod, ReplicaSet, StatefulSet } from '../../kube/objects';

export interface WorkloadContext {
  api: KubeApi;
  clock: Clock;
  onError: (err: unknown, where: string) => void;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  deployments: Informer<Deployment>;
  replicaSets: Informer<ReplicaSet>;
  statefulSets: Informer<StatefulSet>;
  daemonSets: Informer<DaemonSet>;
  /** Waits for the controller-manager's client rate limit, when one is set, before a pod is created or deleted. */
  beforePodWrite?: () => Promise<void>;
}

/** A controller driven by a keyed work queue that stays idle until every informer has synced. */
export abstract class QueuedController {
  private readonly queue: WorkQueue;
  private active = false;

  constructor(
    name: string,
    protected readonly ctx: WorkloadContext,
  ) {
    this.queue = new WorkQueue(
      name,
      ctx.clock,
      (key) => this.reconcile(key),
      (queue, key, err) => ctx.onError(err, `${queue} ${key}`),
    );
  }

  /** Start reconciling, beginning with a full resync of what the caches hold. */
  activate(): void {
    this.active = true;
    for (const key of this.resyncKeys()) this.queue.add(key);
  }

  stop(): void {
    this.active = false;
    this.queue.stop();
  }

  get depth(): number {
    return this.queue.depth;
  }

  protected enqueue(key: string): void {
    if (this.active) this.queue.add(key);
  }

  protected abstract resyncKeys(): string[];
  protected abstract reconcile(key: string): Promise<void>;
}
