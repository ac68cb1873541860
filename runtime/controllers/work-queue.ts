/**
 * A keyed reconcile queue like controller-runtime's: adding a key that is already queued is a no-op, a key is
 * never reconciled twice at once, and failures are retried with capped exponential backoff on the Clock.
 */
import type { Clock } from '../clock/clock';

export type Reconciler = (key: string) => Promise<{ requeueAfterMs?: number } | void>;

/** How a reconcile ended, in controller-runtime's words. */
export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

/**
 * Told what the queue does, for metrics. Only the controller's queues have one (the simulated cluster's kubelet
 * and workload controllers share this queue but are not the controller). A key is "waiting" from added() until
 * started() or dropped().
 */
export interface QueueObserver {
  /** A key starts waiting: newly queued, or queued again while its current run goes on. */
  added(key: string): void;
  /** A key will be added after a delay: a requeue or a retry. */
  delayed(key: string): void;
  started(key: string): void;
  finished(key: string, result: ReconcileResult): void;
  /** A waiting key will not run: the queue stopped. */
  dropped(key: string): void;
}

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Pending requeue timers, cancelled on stop so a stopped controller leaves nothing scheduled. */
  private readonly timers = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly reconcile: Reconciler,
    private readonly onError: (name: string, key: string, err: unknown) => void,
    private readonly observer?: QueueObserver,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      // Reconcile again once the current run ends: it may have read state older than this change.
      if (!this.dirty.has(key)) this.observer?.added(key);
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.observer?.added(key);
    this.enqueue(key);
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    this.observer?.delayed(key);
    const cancel = this.clock.setTimer(ms, () => {
      this.timers.delete(cancel);
      this.add(key);
    });
    this.timers.add(cancel);
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  /** Keys waiting or being reconciled: zero means the controller is idle. */
  get depth(): number {
    return this.queued.size + this.running.size;
  }

  private enqueue(key: string): void {
    this.queued.add(key);
    queueMicrotask(() => this.run(key));
  }

  private async run(key: string): Promise<void> {
    this.queued.delete(key);
    if (this.stopped) {
      this.observer?.dropped(key);
      return;
    }
    this.running.add(key);
    this.observer?.started(key);
    let result: ReconcileResult = 'success';
    try {
      const after = (await this.reconcile(key))?.requeueAfterMs;
      this.failures.delete(key);
      if (after !== undefined) {
        result = after > 0 ? 'requeue_after' : 'requeue';
        this.addAfter(key, after);
      }
    } catch (err) {
      result = 'error';
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.onError(this.name, key, err);
      this.addAfter(key, Math.min(1000 * 2 ** (n - 1), 60_000));
    } finally {
      this.running.delete(key);
      this.observer?.finished(key, result);
      if (this.dirty.delete(key)) {
        if (this.stopped) this.observer?.dropped(key);
        else this.enqueue(key);
      }
    }
  }
}
