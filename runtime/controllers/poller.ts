/**
 * A pass every `intervalMs` for the controllers that poll rather than watch (garbage collection, node repair): the
 * next pass is timed from the end of the last, so two never overlap, and a failed pass is logged, not fatal.
 */
import type { Clock } from '../clock/clock';

export class Poller {
  private cancel: (() => void) | undefined;
  private stopped = true;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }

  /** A pass started by the timer is running. */
  get busy(): boolean {
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancel = this.clock.setTimer(this.intervalMs, () => {
      this.running = true;
      this.pass()
        .catch(this.onError)
        .finally(() => {
          this.running = false;
          this.schedule();
        });
    });
  }
}
