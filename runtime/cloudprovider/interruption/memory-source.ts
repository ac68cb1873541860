/**
 * An in-memory MessageSource: the simulated cloud pushes already-parsed interruption messages, the controller
 * receives them exactly as it would from SQS. Unlike SQS, a message that is received but never deleted stays in
 * flight (there is no visibility timeout to redeliver it).
 */
import {
  DetailTypes,
  EventSources,
  type ActionableKind,
  type ActionableMessage,
  type InterruptionMessage,
} from './messages';
import type { MessageSource, SourcedMessage } from './source';

/** SQS's largest batch, kept here so both sources deliver alike. */
export const MAX_BATCH = 10;

export class InMemoryMessageSource implements MessageSource {
  readonly name: string;
  private readonly pending: SourcedMessage[] = [];
  private readonly inFlight = new Map<string, SourcedMessage>();
  private waiters: (() => void)[] = [];
  private next = 0;

  constructor(name = 'simulated') {
    this.name = name;
  }

  push(message: InterruptionMessage): SourcedMessage {
    const sourced = { handle: `${this.name}-${++this.next}`, message };
    this.pending.push(sourced);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return sourced;
  }

  /** Messages not yet received. */
  get depth(): number {
    return this.pending.length;
  }

  /** Messages received but not deleted. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  async receive(signal: AbortSignal): Promise<SourcedMessage[]> {
    while (this.pending.length === 0) {
      if (signal.aborted) return [];
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.waiters.push(wake);
        signal.addEventListener('abort', wake);
      });
    }
    const batch = this.pending.splice(0, MAX_BATCH);
    for (const m of batch) this.inFlight.set(m.handle, m);
    return batch;
  }

  async delete(message: SourcedMessage): Promise<void> {
    this.inFlight.delete(message.handle);
  }
}

/** What an emulated notice says beyond its kind and instance. */
export interface NoticeOptions {
  /** When EC2 emitted it (ms since epoch). */
  time: number;
  region: string;
  /** Event id. @default a counter */
  id?: string;
}

let noticeCount = 0;

/** The parsed message EC2 or AWS Health would send about one instance, for emulated clouds. */
export function noticeFor(kind: ActionableKind, instanceId: string, opts: NoticeOptions): ActionableMessage {
  const meta = {
    id: opts.id ?? `simulated-${++noticeCount}`,
    source: kind === 'scheduledChange' ? EventSources.health : EventSources.ec2,
    detailType: DetailTypes[kind],
    time: opts.time,
    region: opts.region,
  };
  const instanceIds = [instanceId];
  switch (kind) {
    case 'spotInterruption':
    case 'capacityReservationInterruption':
      return { kind, meta, instanceIds, instanceAction: 'terminate' };
    case 'rebalanceRecommendation':
      return { kind, meta, instanceIds };
    case 'stateChange':
      return { kind, meta, instanceIds, state: 'shutting-down' };
    case 'scheduledChange':
      return { kind, meta, instanceIds, eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED' };
  }
}
