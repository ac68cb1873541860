/**
 * The simulator's stand-in for kube-scheduler: binds pending pods to nodes that can run them, and marks the rest
 * PodScheduled=False/Unschedulable, which is the signal Karpenter provisions on. Feasibility is `podFitsNode`, the
 * same predicate the provisioner uses for existing nodes, so the autoscaler and this scheduler never disagree about
 * where a pod fits.
 */
import type { Clock } from '../clock/clock';
import type { EventRecorder } from '../events/recorder';
import { isNotFound, type KubeApi, type WatchEventType } from '../kube/api';
import { hasCondition, setCondition } from '../kube/conditions';
import { Informer, objectKey } from '../kube/informer';
import { Kinds } from '../kube/kinds';
import { nameOf, type Node, type Pod, type PodCondition, type Taint } from '../kube/objects';
import { loadVolumeContext } from '../controllers/volume-loader';
import { podRequirementAlternatives } from '../scheduling/pod-requirements';
import { podFitsNode, type NodeView } from '../scheduling/predicates';
import { addInto, fromResourceList, podRequests, type Resources } from '../scheduling/resources';
import { Requirements } from '../scheduling/requirements';
import { formatTaint, tolerates } from '../scheduling/taints';
import {
  useVolumes,
  volumeLimitExceeded,
  type NodeVolumeLimits,
  type VolumesByDriver,
} from '../scheduling/volume-limits';
import type { VolumeTopologyResolver } from '../scheduling/volume-topology';
import { isTerminalPod } from '../state/cluster-state';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SimKubeSchedulerOptions {
  api: KubeApi;
  clock: Clock;
  /** Events are coalesced into one scheduling pass this long after the first of them. @default 100 */
  debounceMs?: number;
  /** Records Scheduled / FailedScheduling events on pods when given. */
  recorder?: EventRecorder;
  onError?: (err: unknown, where: string) => void;
}

interface Candidate {
  node: Node;
  /** Why no pod may go here regardless of the pod (cordoned, not ready, deleting), or undefined. */
  blocked: string | undefined;
  view: NodeView;
  /** CSI attach limits and the volumes in use (this pass's bindings included); absent: unlimited. */
  volumes?: NodeVolumeLimits;
}

/** What a pass knows about pods' volumes: their zones (VolumeBinding) and drivers (NodeVolumeLimits). */
interface PassVolumes {
  topology: VolumeTopologyResolver;
  podVolumes: (pod: Pod) => VolumesByDriver;
}

export class SimKubeScheduler {
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly debounceMs: number;
  private readonly onError: (err: unknown, where: string) => void;
  /** Pods bound by a pass whose binding the pod cache has not shown yet, by pod key → node name. */
  private readonly assumed = new Map<string, string>();
  private active = false;
  private running = false;
  private dirty = false;
  private cancelTimer: (() => void) | undefined;
  private passCount = 0;

  constructor(private readonly opts: SimKubeSchedulerOptions) {
    this.debounceMs = opts.debounceMs ?? 100;
    this.onError = opts.onError ?? (() => undefined);
    this.pods = new Informer(opts.api, Kinds.Pod, opts.clock, (err) => this.onError(err, 'pod informer'));
    this.nodes = new Informer(opts.api, Kinds.Node, opts.clock, (err) => this.onError(err, 'node informer'));
    this.pods.onChange((type, pod, old) => this.onPod(type, pod, old));
    // Any node change (readiness, taints, labels, capacity) can make room for a pending pod.
    this.nodes.onChange(() => this.trigger());
  }

  async start(): Promise<void> {
    await this.nodes.start();
    await this.pods.start();
    this.active = true;
    this.trigger();
  }

  stop(): void {
    this.active = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.pods.stop();
    this.nodes.stop();
  }

  /** Pods waiting for this scheduler: unbound, not terminating, not finished. */
  pendingCount(): number {
    return this.pods.list((p) => this.isPending(p)).length;
  }

  /** Scheduling passes run so far; lets tests check that the scheduler goes quiet. */
  get passes(): number {
    return this.passCount;
  }

  private onPod(type: WatchEventType, pod: Pod, old: Pod | undefined): void {
    const key = objectKey(pod);
    const assumedNode = this.assumed.get(key);
    if (type === 'DELETED' || pod.spec.nodeName) this.assumed.delete(key);
    if (type === 'MODIFIED' && old) {
      // Status-only writes (our own Unschedulable condition, the kubelet's Running) change nothing we decide on.
      const specChanged = JSON.stringify(old.spec) !== JSON.stringify(pod.spec);
      if (!specChanged && isTerminalPod(old) === isTerminalPod(pod)) return;
      // Our own binding coming back through the watch: already accounted for.
      if (assumedNode !== undefined && pod.spec.nodeName === assumedNode) return;
    }
    this.trigger();
  }

  private trigger(): void {
    if (!this.active) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.cancelTimer) return;
    this.cancelTimer = this.opts.clock.setTimer(this.debounceMs, () => {
      this.cancelTimer = undefined;
      void this.runPass();
    });
  }

  private async runPass(): Promise<void> {
    if (!this.active) return;
    this.running = true;
    this.passCount++;
    try {
      await this.pass();
    } catch (err) {
      this.onError(err, 'scheduling pass');
    } finally {
      this.running = false;
      if (this.dirty) {
        this.dirty = false;
        this.trigger();
      }
    }
  }

  private isPending(pod: Pod): boolean {
    if (pod.spec.nodeName || pod.metadata.deletionTimestamp || isTerminalPod(pod)) return false;
    return (pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === DEFAULT_SCHEDULER_NAME;
  }

  private async pass(): Promise<void> {
    const allNodes = this.nodes.list().sort((a, b) => byName(a.metadata.name, b.metadata.name));
    const requested = new Map<string, Resources>();
    const podsOn = new Map<string, Pod[]>();
    const pending: Pod[] = [];
    for (const pod of this.pods.list()) {
      const nodeName = pod.spec.nodeName ?? this.assumed.get(objectKey(pod));
      if (nodeName) {
        if (isTerminalPod(pod)) continue;
        const sum = requested.get(nodeName) ?? {};
        addInto(sum, podRequests(pod));
        requested.set(nodeName, sum);
        const onNode = podsOn.get(nodeName);
        if (onNode) onNode.push(pod);
        else podsOn.set(nodeName, [pod]);
      } else if (this.isPending(pod)) {
        pending.push(pod);
      }
    }
    pending.sort(byCreation);
    // The VolumeBinding plugin's view (a claim's volume or WaitForFirstConsumer class limits the zones) and the
    // NodeVolumeLimits plugin's (a node's CSINode caps the volumes of each driver).
    const volumes = await loadVolumeContext(this.opts.api, pending, (err, without) =>
      this.onError(err, `reading storage objects (binding without ${without})`),
    );
    const limits = volumes?.limitsFor(
      allNodes.map((n) => ({ name: nameOf(n), pods: podsOn.get(nameOf(n)) })),
    );
    const candidates = allNodes.map((node): Candidate => {
      const name = nameOf(node);
      const nodeLimits = limits?.nodes.get(name);
      return {
        node,
        blocked: nodeBlocked(node),
        view: {
          name,
          labels: node.metadata.labels ?? {},
          taints: node.spec?.taints ?? [],
          allocatable: fromResourceList(node.status?.allocatable),
          requested: requested.get(name) ?? {},
        },
        ...(nodeLimits ? { volumes: nodeLimits } : {}),
      };
    });
    const passVolumes =
      volumes && limits ? { topology: volumes.topology, podVolumes: limits.podVolumes } : undefined;
    for (const pod of pending) {
      if (!this.active) return;
      try {
        await this.schedule(pod, candidates, passVolumes);
      } catch (err) {
        if (!isNotFound(err)) this.onError(err, `scheduling pod ${objectKey(pod)}`);
      }
    }
  }

  private async schedule(
    pod: Pod,
    candidates: Candidate[],
    passVolumes: PassVolumes | undefined,
  ): Promise<void> {
    const requests = podRequests(pod);
    const alternatives = podRequirementAlternatives(pod);
    const topology = passVolumes?.topology(pod);
    if (topology && 'reason' in topology) {
      await this.markUnschedulable(pod, `0/${candidates.length} nodes are available: ${topology.reason}.`);
      return;
    }
    const volumeRequirements = new Requirements(topology?.requirements ?? []);
    const wanted = passVolumes?.podVolumes(pod);
    const reasons: string[] = [];
    let best: { candidate: Candidate; score: number } | undefined;
    for (const candidate of candidates) {
      if (candidate.blocked) {
        reasons.push(candidate.blocked);
        continue;
      }
      const why = podFitsNode(pod, requests, candidate.view, alternatives);
      if (why) {
        reasons.push(...explain(why, candidate.view));
        continue;
      }
      if (!volumeRequirements.matchesLabels(candidate.view.labels)) {
        reasons.push('node(s) had volume node affinity conflict');
        continue;
      }
      if (wanted && candidate.volumes && volumeLimitExceeded(wanted, candidate.volumes)) {
        reasons.push('node(s) exceed max volume count');
        continue;
      }
      // TaintToleration (weight 3) outweighs the resource scores: a node with fewer untolerated
      // PreferNoSchedule taints always wins; LeastAllocated on cpu decides among equals.
      const score =
        preferNoScheduleTaints(pod, candidate.view) * 10 + cpuFractionAfter(candidate.view, requests);
      // Candidates are in name order, so a strict comparison breaks ties by name.
      if (!best || score < best.score) best = { candidate, score };
    }
    if (best) {
      await this.bind(pod, best.candidate, requests);
      if (wanted && best.candidate.volumes) useVolumes(best.candidate.volumes.inUse, wanted);
    } else await this.markUnschedulable(pod, fitErrorMessage(candidates.length, reasons));
  }

  private async bind(pod: Pod, candidate: Candidate, requests: Resources): Promise<void> {
    const key = objectKey(pod);
    const nodeName = candidate.view.name;
    const conditions = setCondition(
      pod.status?.conditions,
      'PodScheduled',
      'True',
      this.opts.clock.now(),
      'Scheduled',
    );
    this.assumed.set(key, nodeName);
    try {
      await this.opts.api.patch(
        Kinds.Pod,
        nameOf(pod),
        { spec: { nodeName }, status: { conditions } },
        pod.metadata.namespace,
      );
    } catch (err) {
      this.assumed.delete(key);
      throw err;
    }
    // Later pods of this pass see the node with this pod on it.
    addInto(candidate.view.requested, requests);
    this.opts.recorder?.normal(pod, 'Scheduled', `Successfully assigned ${key} to ${nodeName}`);
  }

  private async markUnschedulable(pod: Pod, message: string): Promise<void> {
    const prior = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    // Rewriting an unchanged condition would only produce watch events and churn.
    if (prior?.status === 'False' && prior.reason === 'Unschedulable' && prior.message === message) return;
    const conditions: PodCondition[] = setCondition(
      pod.status?.conditions,
      'PodScheduled',
      'False',
      this.opts.clock.now(),
      'Unschedulable',
      message,
    );
    await this.opts.api.patch(Kinds.Pod, nameOf(pod), { status: { conditions } }, pod.metadata.namespace);
    this.opts.recorder?.warning(pod, 'FailedScheduling', message);
  }
}

/** Code-unit order, not localeCompare: the order must not depend on the host's locale. */
function byName(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function byCreation(a: Pod, b: Pod): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return byName(objectKey(a), objectKey(b));
}

/** A node-level reason no pod may be placed, phrased like the kube-scheduler's filter plugins. */
function nodeBlocked(node: Node): string | undefined {
  if (node.metadata.deletionTimestamp) return 'node(s) were being deleted';
  if (node.spec?.unschedulable) return 'node(s) were unschedulable';
  // A NotReady node carries this taint in a real cluster (node lifecycle controller), hence the wording.
  if (!hasCondition(node, 'Ready')) return 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }';
  return undefined;
}

/**
 * Turn a `podFitsNode` reason into the kube-scheduler's histogram entries. Unrecognised reasons are kept as they
 * are, minus the node name, so they still group across nodes.
 */
function explain(reason: string, node: NodeView): string[] {
  const text = reason.startsWith(`node ${node.name} `) ? reason.slice(`node ${node.name} `.length) : reason;
  const taint = /^has untolerated taint (.+)$/.exec(text);
  if (taint) {
    const match = node.taints.find((t) => formatTaint(t) === taint[1]);
    return [
      match ? `node(s) had untolerated taint ${describeTaint(match)}` : `node(s) had untolerated taint`,
    ];
  }
  if (text.startsWith('does not match')) return [`node(s) didn't match Pod's node affinity/selector`];
  const short = /^has insufficient (.+)$/.exec(text);
  if (short) {
    return (short[1] as string)
      .split(', ')
      .map((r) => (r === 'pods' ? 'Too many pods' : `Insufficient ${r}`));
  }
  return [text];
}

function describeTaint(t: Taint): string {
  return `{${t.key}: ${t.value ?? ''}}`;
}

/** "0/3 nodes are available: 1 node(s) had untolerated taint {...}, 2 Insufficient cpu." */
export function fitErrorMessage(nodeCount: number, reasons: string[]): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const histogram = new Map<string, number>();
  for (const r of reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  const parts = [...histogram].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

/** The node's PreferNoSchedule taints the pod does not tolerate (the TaintToleration score plugin's count). */
function preferNoScheduleTaints(pod: Pod, node: NodeView): number {
  let count = 0;
  for (const taint of node.taints) {
    if (taint.effect !== 'PreferNoSchedule') continue;
    if (!(pod.spec.tolerations ?? []).some((t) => tolerates(t, taint))) count++;
  }
  return count;
}

/** LeastAllocated, on cpu: the share of the node's cpu that would be requested once the pod is placed. */
function cpuFractionAfter(node: NodeView, requests: Resources): number {
  const allocatable = node.allocatable.cpu ?? 0;
  if (allocatable <= 0) return 1;
  return ((node.requested.cpu ?? 0) + (requests.cpu ?? 0)) / allocatable;
}
