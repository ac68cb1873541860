/**
 * The simulator's stand-in for every node's kubelet, plus the pod garbage collector: pods bound to a Ready node
 * start Running a little after they land, and pods bound to a node that no longer exists are deleted, as the
 * control plane's pod GC does once a node object is gone.
 */
import type { Clock } from '../clock/clock';
import { isNotFound, type KubeApi, type WatchEventType } from '../kube/api';
import { hasCondition, setCondition } from '../kube/conditions';
import { Informer, objectKey } from '../kube/informer';
import { Kinds } from '../kube/kinds';
import { nameOf, type Node, type Pod } from '../kube/objects';
import { WorkQueue } from '../controllers/work-queue';
import { isTerminalPod } from '../state/cluster-state';

export interface SimKubeletOptions {
  api: KubeApi;
  clock: Clock;
  /** Time from a pod landing on a Ready node to it Running (image pull, container start). @default 2000 */
  podStartDelayMs?: number;
  onError?: (err: unknown, where: string) => void;
}

export class SimKubelet {
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly queue: WorkQueue;
  private readonly startDelayMs: number;
  private readonly onError: (err: unknown, where: string) => void;
  /** When each pod being started will be Running; keyed by pod key, tied to the pod's uid. */
  private readonly starting = new Map<string, { uid: string | undefined; at: number }>();
  private active = false;

  constructor(private readonly opts: SimKubeletOptions) {
    this.startDelayMs = opts.podStartDelayMs ?? 2000;
    this.onError = opts.onError ?? (() => undefined);
    this.pods = new Informer(opts.api, Kinds.Pod, opts.clock, (err) => this.onError(err, 'pod informer'));
    this.nodes = new Informer(opts.api, Kinds.Node, opts.clock, (err) => this.onError(err, 'node informer'));
    this.queue = new WorkQueue(
      'sim.kubelet',
      opts.clock,
      (key) => this.reconcile(key),
      (_name, key, err) => this.onError(err, `kubelet pod ${key}`),
    );
    this.pods.onChange((type, pod) => this.onPod(type, pod));
    this.nodes.onChange((type, node, old) => this.onNode(type, node, old));
  }

  async start(): Promise<void> {
    // Nodes first, so no pod is taken for an orphan because its node was not listed yet.
    await this.nodes.start();
    await this.pods.start();
    this.active = true;
    for (const pod of this.pods.list((p) => p.spec.nodeName !== undefined)) this.queue.add(objectKey(pod));
  }

  stop(): void {
    this.active = false;
    this.queue.stop();
    this.pods.stop();
    this.nodes.stop();
  }

  private onPod(type: WatchEventType, pod: Pod): void {
    const key = objectKey(pod);
    if (type === 'DELETED') {
      this.starting.delete(key);
      return;
    }
    if (this.active && pod.spec.nodeName) this.queue.add(key);
  }

  private onNode(type: WatchEventType, node: Node, old: Node | undefined): void {
    if (!this.active) return;
    const readinessChanged = !old || hasCondition(old, 'Ready') !== hasCondition(node, 'Ready');
    if (type !== 'DELETED' && !readinessChanged) return;
    for (const pod of this.pods.list((p) => p.spec.nodeName === node.metadata.name))
      this.queue.add(objectKey(pod));
  }

  private async reconcile(key: string): Promise<void> {
    const pod = this.pods.get(...nameAndNamespace(key));
    const nodeName = pod?.spec.nodeName;
    if (!pod || !nodeName || pod.metadata.deletionTimestamp || isTerminalPod(pod)) {
      this.starting.delete(key);
      return;
    }
    const node = this.nodes.get(nodeName);
    if (!node) {
      this.starting.delete(key);
      await this.collectOrphan(pod, nodeName);
      return;
    }
    if (pod.status?.phase === 'Running' || !hasCondition(node, 'Ready')) {
      // A node that goes NotReady before the pod started restarts the countdown once it is Ready again.
      this.starting.delete(key);
      return;
    }
    const now = this.opts.clock.now();
    const due = this.starting.get(key);
    if (!due || due.uid !== pod.metadata.uid) {
      this.starting.set(key, { uid: pod.metadata.uid, at: now + this.startDelayMs });
      this.queue.addAfter(key, this.startDelayMs);
      return;
    }
    if (now < due.at) return;
    this.starting.delete(key);
    const conditions = setCondition(pod.status?.conditions, 'Ready', 'True', now);
    await this.opts.api.patch(
      Kinds.Pod,
      nameOf(pod),
      { status: { phase: 'Running', conditions } },
      pod.metadata.namespace,
    );
  }

  /** Pod GC: delete a pod whose node is gone. The API is asked, not the cache, so a lagging cache never kills a pod. */
  private async collectOrphan(pod: Pod, nodeName: string): Promise<void> {
    if (await this.opts.api.get(Kinds.Node, nodeName)) return;
    try {
      await this.opts.api.delete(Kinds.Pod, nameOf(pod), pod.metadata.namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function nameAndNamespace(key: string): [string, string | undefined] {
  const slash = key.indexOf('/');
  return slash < 0 ? [key, undefined] : [key.slice(slash + 1), key.slice(0, slash)];
}
