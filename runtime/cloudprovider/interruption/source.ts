/**
 * Where interruption messages come from. The SQS queue in a real cluster and the simulated cloud in the embedded
 * simulator both implement it, so the controller handles their messages the same way. Messages and sources live
 * with the clouds, which produce them; the controller (runtime/controllers/interruption/) only reads them.
 */
import type { InterruptionMessage } from './messages';

/** A received message and the handle that deletes it. */
export interface SourcedMessage {
  handle: string;
  message: InterruptionMessage;
}

export interface MessageSource {
  /** For logs: the queue name, or "simulated". */
  readonly name: string;
  /**
   * Wait for the next messages (a long poll). Resolves with an empty list when nothing arrives in time or the
   * signal aborts; may reject on a transport error (the caller backs off).
   */
  receive(signal: AbortSignal): Promise<SourcedMessage[]>;
  /** Remove a handled message so it is not delivered again. */
  delete(message: SourcedMessage): Promise<void>;
}
