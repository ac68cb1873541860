/**
 * Pod metrics. Upstream labels `karpenter_pods_state` per pod (name, namespace, owner, node) and keeps per-pod
 * gauges of how long each pending pod has waited; a series per pod is unbounded, so here pods are counted by their
 * bounded labels (phase, readiness, where they run) and the per-pod gauges are not exported. The startup and bound
 * durations are upstream's, observed when a pod this process saw pending starts or is bound; their provisioning
 * variants measure from when the provisioner first found the pod a place.
 */
import { Counter, Gauge, Histogram, Summary } from 'prom-client';
import { Labels } from '../../sdk/api/well-known';
import { hasCondition } from '../kube/conditions';
import type { Pod } from '../kube/objects';
import { isTerminalPod, type StateNode } from '../state/cluster-state';
import { podIdentity } from '../state/pod-scheduling';
import { DURATION_BUCKETS, registers, SUMMARY } from './metrics';

export const POD_STATE_LABELS = [
  'phase',
  'scheduled',
  'ready',
  'managed',
  'nodepool',
  'zone',
  'arch',
  'capacity_type',
  'instance_type',
] as const;

export const podsState = new Gauge({
  name: 'karpenter_pods_state',
  help: "Number of pods by state: phase, whether scheduled and ready, and the nodepool, zone, architecture, capacity type and instance type of their node (empty while unbound), and whether that node is Karpenter-managed. Upstream's per-pod labels (name, namespace, owner, node) are not exported.",
  labelNames: POD_STATE_LABELS,
  registers,
});

/** Upstream's name (core v1.15); results here: updated, skipped_notfound, error (a merge patch has no conflict). */
export const podDeletionCostWritesTotal = new Counter({
  name: 'karpenter_pod_deletion_cost_pod_annotation_writes_total',
  help: 'Number of pod-deletion-cost annotation write attempts. Labeled by outcome.',
  labelNames: ['result'] as const,
  registers,
});

export const podsStartupDurationSeconds = new Summary({
  name: 'karpenter_pods_startup_duration_seconds',
  help: 'The time from pod creation until the pod is running.',
  ...SUMMARY,
  registers,
});

export const podsBoundDurationSeconds = new Histogram({
  name: 'karpenter_pods_bound_duration_seconds',
  help: 'The time from pod creation until the pod is bound.',
  labelNames: ['dynamic_resources'] as const,
  buckets: DURATION_BUCKETS,
  registers,
});

export const podsProvisioningStartupDurationSeconds = new Histogram({
  name: 'karpenter_pods_provisioning_startup_duration_seconds',
  help: 'The time from when Karpenter first thinks the pod can schedule until the pod is running. Note: this calculated from a point in memory, not by the pod creation timestamp.',
  buckets: DURATION_BUCKETS,
  registers,
});

export const podsProvisioningBoundDurationSeconds = new Histogram({
  name: 'karpenter_pods_provisioning_bound_duration_seconds',
  help: 'The time from when Karpenter first thinks the pod can schedule until it binds. Note: this calculated from a point in memory, not by the pod creation timestamp.',
  labelNames: ['dynamic_resources'] as const,
  buckets: DURATION_BUCKETS,
  registers,
});

export const podsSchedulingDecisionDurationSeconds = new Histogram({
  name: 'karpenter_pods_scheduling_decision_duration_seconds',
  help: "The time it takes for Karpenter to first try to schedule a pod after it's been seen.",
  buckets: DURATION_BUCKETS,
  registers,
});

/** Where the provisioning durations start: the ClusterState's PodSchedulingTimes. */
export interface SchedulableTimes {
  schedulableAt(pod: Pod): number | undefined;
  forget(pod: Pod): void;
}

export type PodStateLabels = Record<(typeof POD_STATE_LABELS)[number], string>;

export interface PodStateSample {
  labels: PodStateLabels;
  count: number;
}

export function podStateSamples(nodes: StateNode[], pods: Pod[]): PodStateSample[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const counts = new Map<string, PodStateSample>();
  for (const pod of pods) {
    const node = pod.spec.nodeName ? byName.get(pod.spec.nodeName) : undefined;
    const l = node?.labels ?? {};
    const labels: PodStateLabels = {
      phase: pod.status?.phase ?? 'Pending',
      scheduled: String(Boolean(pod.spec.nodeName)),
      ready: String(hasCondition(pod, 'Ready')),
      managed: String(Boolean(l[Labels.nodePool])),
      nodepool: l[Labels.nodePool] ?? '',
      zone: l[Labels.zone] ?? '',
      arch: l[Labels.arch] ?? '',
      capacity_type: l[Labels.capacityType] ?? '',
      instance_type: l[Labels.instanceType] ?? '',
    };
    const key = POD_STATE_LABELS.map((k) => labels[k]).join('\u0000');
    const entry = counts.get(key) ?? { labels, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

export function refreshPodGauges(nodes: StateNode[], pods: Pod[]): void {
  podsState.reset();
  for (const s of podStateSamples(nodes, pods)) podsState.set(s.labels, s.count);
}

function transitionTime(pod: Pod, type: string, fallback: number): number {
  const t = Date.parse(pod.status?.conditions?.find((c) => c.type === type)?.lastTransitionTime ?? '');
  return Number.isNaN(t) ? fallback : t;
}

/**
 * Follows pods through the cache's events: a pod seen Pending is timed from its creation to its Ready condition
 * (startup) and to its PodScheduled condition (bound). Pods already running when this process started are not
 * observed, as upstream does not. Memory is one entry per pending pod, dropped when it starts, ends or goes.
 */
export class PodStartupTracker {
  private readonly unstarted = new Set<string>();
  private readonly unbound = new Set<string>();

  constructor(
    private readonly now: () => number,
    private readonly times?: SchedulableTimes,
  ) {}

  onPod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: Pod): void {
    const key = podIdentity(pod);
    if (type === 'DELETED') {
      this.unstarted.delete(key);
      this.unbound.delete(key);
      return;
    }
    const created = Date.parse(pod.metadata.creationTimestamp ?? '');
    const since = (at: number) => Math.max(0, (at - created) / 1000);
    const schedulable = this.times?.schedulableAt(pod);
    const scheduled = hasCondition(pod, 'PodScheduled') || Boolean(pod.spec.nodeName);
    const phase = pod.status?.phase ?? 'Pending';
    if (phase === 'Pending') {
      this.unstarted.add(key);
      if (!scheduled) this.unbound.add(key);
    }
    if (this.unbound.has(key) && scheduled) {
      this.unbound.delete(key);
      const bound = transitionTime(pod, 'PodScheduled', this.now());
      if (!Number.isNaN(created))
        podsBoundDurationSeconds.observe({ dynamic_resources: 'false' }, since(bound));
      if (schedulable !== undefined)
        podsProvisioningBoundDurationSeconds.observe(
          { dynamic_resources: 'false' },
          Math.max(0, (bound - schedulable) / 1000),
        );
    }
    if (phase !== 'Pending' && this.unstarted.has(key)) {
      if (hasCondition(pod, 'Ready')) {
        this.unstarted.delete(key);
        const ready = transitionTime(pod, 'Ready', this.now());
        if (!Number.isNaN(created)) podsStartupDurationSeconds.observe(since(ready));
        if (schedulable !== undefined)
          podsProvisioningStartupDurationSeconds.observe(Math.max(0, (ready - schedulable) / 1000));
        // Started: nothing more is measured from the provisioner's times.
        this.times?.forget(pod);
      } else if (isTerminalPod(pod)) {
        this.unstarted.delete(key);
        this.unbound.delete(key);
        this.times?.forget(pod);
      }
    }
  }

  /** Pods being followed, for tests. */
  get pending(): number {
    return this.unstarted.size;
  }
}
