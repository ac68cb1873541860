/**
 * A wall clock whose pending timers can all be cancelled. Operator.stop() leaves some controller timers running
 * (harmless in a process that exits, but they keep jest alive), so the tests hand the operator this clock and
 * dispose of it after stopping the operator.
 */
import { RealClock, type Clock } from '../../../runtime/clock/clock';

export class DisposableClock implements Clock {
  private readonly real = new RealClock();
  private readonly pending = new Set<() => void>();

  now(): number {
    return this.real.now();
  }

  setTimer(ms: number, fn: () => void): () => void {
    const cancel = this.real.setTimer(ms, () => {
      this.pending.delete(cancel);
      fn();
    });
    this.pending.add(cancel);
    return () => {
      this.pending.delete(cancel);
      cancel();
    };
  }

  /** Resolves after ms, unless the clock is disposed first (then it never resolves, like a stopped process). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Cancel every pending timer. */
  dispose(): void {
    for (const cancel of this.pending) cancel();
    this.pending.clear();
  }
}
