import type { Clock } from './clock';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Let every pending promise continuation run: a macrotask turn runs only after the microtask queue is empty. */
export function flushAsync(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A discrete-event clock: time moves only when the simulation advances it, jumping straight to the next timer.
 * Timers due at the same instant fire in the order they were set, so runs are deterministic.
 */
export class SimClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** The time of the next live timer, if any. */
  nextTimerAt(): number | undefined {
    this.timers = this.timers.filter((t) => !t.cancelled);
    let next: number | undefined;
    for (const t of this.timers) if (next === undefined || t.at < next) next = t.at;
    return next;
  }

  /**
   * Advance to `until`, firing timers in order and letting the async work they start finish before the next one.
   * Returns the number of timers fired.
   */
  async advanceTo(until: number): Promise<number> {
    let fired = 0;
    await flushAsync();
    for (;;) {
      const next = this.popDue(until);
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      next.fn();
      fired++;
      await flushAsync();
    }
    this.current = Math.max(this.current, until);
    return fired;
  }

  advance(ms: number): Promise<number> {
    return this.advanceTo(this.current + ms);
  }

  private popDue(until: number): Timer | undefined {
    let best: Timer | undefined;
    let bestIndex = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i] as Timer;
      if (t.cancelled || t.at > until) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) {
        best = t;
        bestIndex = i;
      }
    }
    if (best) this.timers.splice(bestIndex, 1);
    this.timers = this.timers.filter((t) => !t.cancelled);
    return best;
  }
}
