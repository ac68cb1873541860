/**
 * controller-runtime's work queue and reconcile metrics (`workqueue_*`, `controller_runtime_*`), fed by the
 * QueueObserver that `reconcileQueue()` gives each controller queue. Both label families carry the controller's
 * name: `name` and `controller` on the work queue metrics (controller-runtime sets both), `controller` on the rest.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { QueueObserver, ReconcileResult } from '../controllers/work-queue';
import { registers } from './metrics';
import { onScrape } from './registry';

/** client-go's work queue buckets: 10ns to 1000s, by tens. */
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

/** controller-runtime's reconcile time buckets: 5ms to 60s. */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

const RESULTS: readonly ReconcileResult[] = ['success', 'error', 'requeue', 'requeue_after'];

/** The queue has no priorities: every key waits at controller-runtime's default one. */
const PRIORITY = '0';

export const workqueueDepth = new Gauge({
  name: 'workqueue_depth',
  help: 'Current depth of workqueue by workqueue and priority',
  labelNames: ['name', 'controller', 'priority'] as const,
  registers,
});

export const workqueueAddsTotal = new Counter({
  name: 'workqueue_adds_total',
  help: 'Total number of adds handled by workqueue',
  labelNames: ['name', 'controller'] as const,
  registers,
});

export const workqueueQueueDurationSeconds = new Histogram({
  name: 'workqueue_queue_duration_seconds',
  help: 'How long in seconds an item stays in workqueue before being requested',
  labelNames: ['name', 'controller'] as const,
  buckets: QUEUE_BUCKETS,
  registers,
});

export const workqueueWorkDurationSeconds = new Histogram({
  name: 'workqueue_work_duration_seconds',
  help: 'How long in seconds processing an item from workqueue takes.',
  labelNames: ['name', 'controller'] as const,
  buckets: QUEUE_BUCKETS,
  registers,
});

export const workqueueUnfinishedWorkSeconds = new Gauge({
  name: 'workqueue_unfinished_work_seconds',
  help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
  labelNames: ['name', 'controller'] as const,
  registers,
});

export const workqueueLongestRunningProcessorSeconds = new Gauge({
  name: 'workqueue_longest_running_processor_seconds',
  help: 'How many seconds has the longest running processor for workqueue been running.',
  labelNames: ['name', 'controller'] as const,
  registers,
});

export const workqueueRetriesTotal = new Counter({
  name: 'workqueue_retries_total',
  help: 'Total number of items added to the workqueue with a non-zero delay (rate-limited requeues, explicit RequeueAfter or AddAfter calls)',
  labelNames: ['name', 'controller'] as const,
  registers,
});

export const controllerRuntimeReconcileTotal = new Counter({
  name: 'controller_runtime_reconcile_total',
  help: 'Total number of reconciliations per controller',
  labelNames: ['controller', 'result'] as const,
  registers,
});

export const controllerRuntimeReconcileErrorsTotal = new Counter({
  name: 'controller_runtime_reconcile_errors_total',
  help: 'Total number of reconciliation errors per controller',
  labelNames: ['controller'] as const,
  registers,
});

export const controllerRuntimeReconcileTimeSeconds = new Histogram({
  name: 'controller_runtime_reconcile_time_seconds',
  help: 'Length of time per reconciliation per controller',
  labelNames: ['controller'] as const,
  buckets: RECONCILE_BUCKETS,
  registers,
});

export const controllerRuntimeActiveWorkers = new Gauge({
  name: 'controller_runtime_active_workers',
  help: 'Number of currently used workers per controller',
  labelNames: ['controller'] as const,
  registers,
});

/** A reconcile in progress: when it started (ms) on its queue's `now`. */
interface Run {
  at: number;
  now: () => number;
}

/** The reconciles in progress, by controller: what the unfinished-work gauges add up at scrape. */
const inProgress = new Map<string, Set<Run>>();
let scrapeHooked = false;

function refreshUnfinishedWork(): void {
  for (const [name, runs] of inProgress) {
    let total = 0;
    let longest = 0;
    for (const run of runs) {
      const age = Math.max(0, run.now() - run.at) / 1000;
      total += age;
      longest = Math.max(longest, age);
    }
    const labels = { name, controller: name };
    workqueueUnfinishedWorkSeconds.set(labels, total);
    workqueueLongestRunningProcessorSeconds.set(labels, longest);
  }
}

/**
 * The observer that records a controller queue's metrics. `now` (ms) is real time, not the controller's Clock:
 * these time the process's own work, which simulated time would show as instant or hours long.
 */
export function queueMetrics(name: string, now: () => number = () => performance.now()): QueueObserver {
  const queueLabels = { name, controller: name };
  const depthLabels = { ...queueLabels, priority: PRIORITY };
  const controller = { controller: name };
  // Every series a dashboard divides by exists from the start, as controller-runtime creates them.
  for (const result of RESULTS) controllerRuntimeReconcileTotal.inc({ ...controller, result }, 0);
  controllerRuntimeReconcileErrorsTotal.inc(controller, 0);
  controllerRuntimeActiveWorkers.inc(controller, 0);
  workqueueAddsTotal.inc(queueLabels, 0);
  workqueueRetriesTotal.inc(queueLabels, 0);
  workqueueDepth.inc(depthLabels, 0);
  const runs = inProgress.get(name) ?? new Set<Run>();
  inProgress.set(name, runs);
  if (!scrapeHooked) {
    scrapeHooked = true;
    onScrape(refreshUnfinishedWork);
  }

  // Per queue, not per name: two operators in one process (tests) may queue the same key under one name.
  const addedAt = new Map<string, number>();
  const startedAt = new Map<string, Run>();
  return {
    added(key) {
      workqueueAddsTotal.inc(queueLabels);
      workqueueDepth.inc(depthLabels);
      if (!addedAt.has(key)) addedAt.set(key, now());
    },
    delayed() {
      workqueueRetriesTotal.inc(queueLabels);
    },
    started(key) {
      const t = now();
      workqueueDepth.dec(depthLabels);
      const added = addedAt.get(key);
      addedAt.delete(key);
      if (added !== undefined) workqueueQueueDurationSeconds.observe(queueLabels, (t - added) / 1000);
      const run = { at: t, now };
      startedAt.set(key, run);
      runs.add(run);
      controllerRuntimeActiveWorkers.inc(controller);
    },
    finished(key, result) {
      const run = startedAt.get(key);
      startedAt.delete(key);
      controllerRuntimeActiveWorkers.dec(controller);
      controllerRuntimeReconcileTotal.inc({ ...controller, result });
      if (result === 'error') controllerRuntimeReconcileErrorsTotal.inc(controller);
      if (!run) return;
      runs.delete(run);
      const seconds = (now() - run.at) / 1000;
      workqueueWorkDurationSeconds.observe(queueLabels, seconds);
      controllerRuntimeReconcileTimeSeconds.observe(controller, seconds);
    },
    dropped(key) {
      workqueueDepth.dec(depthLabels);
      addedAt.delete(key);
    },
  };
}
