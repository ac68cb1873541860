/**
 * The scheduling simulation's metrics, as upstream's scheduler reports them. Queue depth and unfinished work are
 * labelled by the round's scheduling_id; each round clears the previous round's series, so there is one at a time.
 */
import { randomUUID } from 'node:crypto';
import { Gauge, Histogram } from 'prom-client';
import { DURATION_BUCKETS, registers } from './metrics';

export const schedulingDurationSeconds = new Histogram({
  name: 'karpenter_scheduler_scheduling_duration_seconds',
  help: 'Duration of scheduling simulations used for deprovisioning and provisioning in seconds.',
  labelNames: ['controller'] as const,
  buckets: DURATION_BUCKETS,
  registers,
});

export const unschedulablePodsCount = new Gauge({
  name: 'karpenter_scheduler_unschedulable_pods_count',
  help: 'The number of unschedulable Pods.',
  labelNames: ['controller'] as const,
  registers,
});

export const schedulerQueueDepth = new Gauge({
  name: 'karpenter_scheduler_queue_depth',
  help: 'The number of pods currently waiting to be scheduled.',
  labelNames: ['controller', 'scheduling_id'] as const,
  registers,
});

export const schedulerUnfinishedWorkSeconds = new Gauge({
  name: 'karpenter_scheduler_unfinished_work_seconds',
  help: "How many seconds of work has been done that is in progress and hasn't been observed by scheduling_duration_seconds.",
  labelNames: ['controller', 'scheduling_id'] as const,
  registers,
});

export const schedulerIgnoredPodsCount = new Gauge({
  name: 'karpenter_scheduler_ignored_pods_count',
  help: 'Number of pods ignored during scheduling by Karpenter',
  registers,
});

export const schedulerPendingPodsByEffectiveZoneCount = new Gauge({
  name: 'karpenter_scheduler_pending_pods_by_effective_zone_count',
  help: "Pending pods dimensioned by effective zone constraint, or the intersection of pod-level zone signals, volume topology (PVC zones), and topology constraints. Values: specific zone name (e.g., 'us-west-2a'), 'flexible' (multiple zones), or 'none' (no valid intersection).",
  labelNames: ['controller', 'zone'] as const,
  registers,
});

/** What a round reports back: the queue after each pass, and what it found when it is done. */
export interface SchedulingRound {
  /** The scheduler's queue holds `depth` pods (at the start of each pass, and what is left at the end). */
  onQueue(depth: number): void;
  /** The round is over: its duration, unschedulable pods and pending pods by effective zone. */
  finish(unschedulable: number, pendingByZone?: ReadonlyMap<string, number>): void;
}

/** Per controller, the last round's scheduling_id and effective zones: the series the next round replaces. */
const lastRound = new Map<string, string>();
const pendingZones = new Map<string, string[]>();

/**
 * Start one scheduling round for `controller`: its duration is timed, and its queue gauges replace the previous
 * round's (upstream deletes them by controller at the start of every solve, keeping one scheduling_id).
 */
export function startSchedulingRound(controller: string, now: () => number): SchedulingRound {
  const previous = lastRound.get(controller);
  if (previous !== undefined) {
    schedulerQueueDepth.remove({ controller, scheduling_id: previous });
    // Left only by a round that threw.
    schedulerUnfinishedWorkSeconds.remove({ controller, scheduling_id: previous });
  }
  for (const zone of pendingZones.get(controller) ?? [])
    schedulerPendingPodsByEffectiveZoneCount.remove({ controller, zone });
  pendingZones.delete(controller);
  const labels = { controller, scheduling_id: randomUUID() };
  lastRound.set(controller, labels.scheduling_id);
  const started = now();
  const endTimer = schedulingDurationSeconds.startTimer({ controller });
  return {
    onQueue(depth) {
      schedulerUnfinishedWorkSeconds.set(labels, (now() - started) / 1000);
      schedulerQueueDepth.set(labels, depth);
    },
    finish(unschedulable, pendingByZone) {
      endTimer();
      schedulerUnfinishedWorkSeconds.remove(labels);
      unschedulablePodsCount.set({ controller }, unschedulable);
      if (!pendingByZone) return;
      pendingZones.set(controller, [...pendingByZone.keys()]);
      for (const [zone, count] of pendingByZone)
        schedulerPendingPodsByEffectiveZoneCount.set({ controller, zone }, count);
    },
  };
}
