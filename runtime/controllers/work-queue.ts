/**
 * A keyed reconcile queue like controller-runtime's: adding a key that is already queued is a no-op, a key is
 * never reconciled twice at once, and failures are retried with capped exponential backoff on the Clock.
 */
import type { Clock } from '../clock/clock';

export type Reconciler = (key: string) => Promise<{ requeueAfterMs?: number } | void>;

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
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      // Reconcile again once the current run ends: it may have read state older than this change.
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    queueMicrotask(() => this.run(key));
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
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

  private async run(key: string): Promise<void> {
    this.queued.delete(key);
    if (this.stopped) return;
    this.running.add(key);
    try {
      const result = await this.reconcile(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.onError(this.name, key, err);
      this.addAfter(key, Math.min(1000 * 2 ** (n - 1), 60_000));
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
    }
  }
}
