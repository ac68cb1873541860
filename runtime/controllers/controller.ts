/**
 * What every controller is to the Operator: a name, start and stop, and whether it has work in hand. The Operator
 * keeps one list of them, started in order and stopped in reverse, and is idle when every one is.
 */
export interface Controller {
  readonly name: string;
  start(): void;
  stop(): void | Promise<void>;
  /** Nothing queued or in progress (timers waiting for later do not count). */
  readonly idle: boolean;
}
