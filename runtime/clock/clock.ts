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

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimer(ms: number, fn: () => void): () => void {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
