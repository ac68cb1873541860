/**
 * Batches provisioning triggers: the window opens on the first trigger and closes after `idleMs` without a new
 * one, or at `maxMs` regardless, so a burst of pending pods is planned together rather than one node per pod.
 */
import type { Clock } from '../../clock/clock';

export interface BatcherOptions {
  /** @default 1000 (Karpenter's BATCH_IDLE_DURATION) */
  idleMs?: number;
  /** @default 10000 (Karpenter's BATCH_MAX_DURATION) */
  maxMs?: number;
}

export class Batcher {
  private openedAt: number | undefined;
  private cancelIdle: (() => void) | undefined;
  private cancelMax: (() => void) | undefined;
  private cancelSoon: (() => void) | undefined;
  private readonly idleMs: number;
  private readonly maxMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly onClose: () => void,
    opts: BatcherOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 1000;
    this.maxMs = opts.maxMs ?? 10_000;
  }

  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  trigger(): void {
    if (this.openedAt === undefined) {
      this.openedAt = this.clock.now();
      this.cancelMax = this.clock.setTimer(this.maxMs, () => this.close());
    }
    this.cancelIdle?.();
    this.cancelIdle = this.clock.setTimer(this.idleMs, () => this.close());
  }

  /**
   * Open (or extend) the window, but close it no later than idleMs from now however many triggers follow: for
   * news that is already whole (a ReplicaSet's declared replicas), not worth waiting out a stream of pod events.
   */
  triggerSoon(): void {
    this.trigger();
    this.cancelSoon ??= this.clock.setTimer(this.idleMs, () => this.close());
  }

  stop(): void {
    this.cancelIdle?.();
    this.cancelMax?.();
    this.cancelSoon?.();
    this.cancelSoon = undefined;
    this.openedAt = undefined;
  }

  private close(): void {
    if (this.openedAt === undefined) return;
    this.stop();
    this.onClose();
  }
}
