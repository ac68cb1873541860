/**
 * Time for the runtime. Every controller reads time and sets timers through a Clock so the same code runs on
 * wall-clock time in a cluster and on simulated time in the embedded simulator and tests.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run fn after ms milliseconds; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
  /** Resolve after ms milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The longest delay setTimeout honours; longer ones fire after 1 ms, so a 30-day expireAfter would spin. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Wall-clock time, with timers of any length (long ones wait in steps of at most MAX_TIMEOUT_MS). */
export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimer(ms: number, fn: () => void): () => void {
    const due = Date.now() + Math.max(0, ms);
    let handle: NodeJS.Timeout;
    const arm = () => {
      const left = due - Date.now();
      handle = setTimeout(left > MAX_TIMEOUT_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMEOUT_MS));
    };
    arm();
    return () => clearTimeout(handle);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
