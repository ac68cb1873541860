/**
 * Interruption handling: read EC2 and AWS Health notices from a MessageSource (the SQS interruption queue, or the
 * simulated cloud), and act before the instance goes away: record events on the NodeClaim and Node, mark an
 * interrupted spot offering unavailable, and delete the NodeClaim so the termination controller drains the node
 * and the provisioner replaces it. A message is deleted once handled; one that cannot be handled stays on the
 * queue and comes back after its visibility timeout. Unknown and malformed messages are logged, counted and
 * deleted: nothing a queue delivers can stop the loop.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { CapacityType } from '../../../sdk/api/well-known';
import {
  isActionable,
  MESSAGE_KINDS,
  type ActionableMessage,
  type InterruptionMessage,
  type MessageKind,
} from '../../cloudprovider/interruption/messages';
import type { MessageSource, SourcedMessage } from '../../cloudprovider/interruption/source';
import { isNotFound } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { nameOf } from '../../kube/objects';
import type { ControllerContext } from '../context';
import { actionsFor, InterruptionReasons, type InterruptionAction } from './actions';
import { SqsMessageSource } from './sqs-poller';
import type { Controller } from '../controller';

/** Marks an offering unavailable for launches (the cloud provider's insufficient-capacity cache). */
export type MarkUnavailable = (instanceType: string, zone: string, capacityType: CapacityType) => void;

export interface InterruptionSettings {
  unavailable: MarkUnavailable;
  /** First pause after a failed receive; doubles on each further failure. @default 1000 */
  backoffMs?: number;
  /** Longest pause between failed receives. @default 60000 */
  maxBackoffMs?: number;
}

/** Read the interruption queue over SQS (the operator's case) or any other source (the simulator's). */
export type InterruptionSourceOptions = { sqs: SQSClient; queueName: string } | { source: MessageSource };

export type InterruptionControllerOptions = ControllerContext &
  InterruptionSettings &
  InterruptionSourceOptions;

/** Plain counters; the metrics owner turns them into Prometheus metrics. */
export interface InterruptionStats {
  /** Messages received, by kind (unknown and malformed included). */
  received: Record<MessageKind, number>;
  /** Messages deleted from the source. */
  deleted: number;
  /**
   * Seconds each message handled since the metrics last took them had spent on the queue (from its event time);
   * the metrics owner empties it. Holds at most MAX_QUEUE_SAMPLES, the oldest dropped, should nothing take them.
   */
  queueSeconds: number[];
  /** NodeClaims this controller deleted. */
  nodeClaimsDeleted: number;
  /** Offerings marked unavailable after a spot interruption. */
  offeringsMarkedUnavailable: number;
  errors: { receive: number; handle: number; delete: number };
}

export const MAX_QUEUE_SAMPLES = 10_000;

export function emptyStats(): InterruptionStats {
  return {
    received: Object.fromEntries(MESSAGE_KINDS.map((k) => [k, 0])) as Record<MessageKind, number>,
    deleted: 0,
    queueSeconds: [],
    nodeClaimsDeleted: 0,
    offeringsMarkedUnavailable: 0,
    errors: { receive: 0, handle: 0, delete: 0 },
  };
}

export class InterruptionController implements Controller {
  readonly name = 'interruption';
  readonly source: MessageSource;
  /** Messages being handled now; a long poll waiting for the next does not count as work. */
  private handling = 0;
  readonly stats: InterruptionStats = emptyStats();
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly opts: InterruptionControllerOptions) {
    this.source =
      'source' in opts ? opts.source : new SqsMessageSource({ sqs: opts.sqs, queueName: opts.queueName });
    this.backoffMs = opts.backoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
  }

  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.opts.logger.info({ queue: this.source.name }, 'watching interruption queue');
    this.loop = this.run(abort.signal).finally(() => {
      if (this.abort === abort) {
        this.abort = undefined;
        this.loop = undefined;
      }
    });
  }

  /** Interrupt the long poll and resolve once the loop has exited. */
  stop(): Promise<void> {
    const loop = this.loop;
    this.abort?.abort();
    return loop ?? Promise.resolve();
  }

  get idle(): boolean {
    return this.handling === 0;
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let batch: SourcedMessage[];
      try {
        batch = await this.source.receive(signal);
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        this.stats.errors.receive++;
        const pauseMs = Math.min(this.backoffMs * 2 ** (failures - 1), this.maxBackoffMs);
        this.opts.logger.error(
          { err, queue: this.source.name, pauseMs },
          'receiving interruption messages failed',
        );
        await this.pause(pauseMs, signal);
        continue;
      }
      this.handling += batch.length;
      for (const m of batch) {
        try {
          await this.process(m);
        } finally {
          this.handling--;
        }
      }
      // A source that answers at once (a mock, an emulator ignoring the long poll) must not starve timers.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Handle one message and delete it, unless handling failed (the queue then redelivers it). */
  async process(sourced: SourcedMessage): Promise<void> {
    const message = sourced.message;
    this.stats.received[message.kind]++;
    if (isActionable(message)) {
      try {
        await this.handle(message);
      } catch (err) {
        this.stats.errors.handle++;
        this.opts.logger.error(
          { err, kind: message.kind, id: message.meta.id, instanceIds: message.instanceIds },
          'handling interruption message failed; it will be delivered again',
        );
        return;
      }
    } else {
      this.logIgnored(message);
    }
    // As upstream: the time to handle every message that parsed, whether or not it asked for anything.
    const sent = message.kind === 'malformed' ? undefined : message.meta.time;
    if (sent !== undefined) {
      const queue = this.stats.queueSeconds;
      queue.push(Math.max(0, (this.opts.clock.now() - sent) / 1000));
      if (queue.length > MAX_QUEUE_SAMPLES) queue.splice(0, queue.length - MAX_QUEUE_SAMPLES);
    }
    try {
      await this.source.delete(sourced);
      this.stats.deleted++;
    } catch (err) {
      this.stats.errors.delete++;
      this.opts.logger.error({ err, kind: message.kind }, 'deleting interruption message failed');
    }
  }

  private logIgnored(message: Extract<InterruptionMessage, { kind: 'unknown' | 'malformed' }>): void {
    if (message.kind === 'malformed') {
      this.opts.logger.warn({ reason: message.reason }, 'deleting malformed interruption message');
    } else {
      this.opts.logger.info(
        { reason: message.reason, id: message.meta.id, detailType: message.meta.detailType },
        'deleting interruption message that needs no action',
      );
    }
  }

  private async handle(message: ActionableMessage): Promise<void> {
    const { state } = this.opts;
    const actions = actionsFor(message, state.nodeClaims.list(), state.nodes.list());
    const failures: unknown[] = [];
    for (const action of actions) {
      try {
        await this.act(message, action);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1)
      throw new AggregateError(failures, `${failures.length} interruption actions failed`);
  }

  private async act(message: ActionableMessage, action: InterruptionAction): Promise<void> {
    const { logger, api } = this.opts;
    const name = nameOf(action.nodeClaim);
    const log = {
      kind: message.kind,
      nodeClaim: name,
      node: action.node?.metadata.name,
      instanceId: action.instanceId,
    };
    this.record(action, action.event.type, action.event.reason, action.event.message);
    if (action.markUnavailable) {
      const { instanceType, zone, capacityType } = action.markUnavailable;
      this.opts.unavailable(instanceType, zone, capacityType);
      this.stats.offeringsMarkedUnavailable++;
      logger.info({ ...log, instanceType, zone, capacityType }, 'marked interrupted offering unavailable');
    }
    if (!action.deleteNodeClaim) return;
    try {
      await api.delete(Kinds.NodeClaim, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    this.stats.nodeClaimsDeleted++;
    logger.info(log, 'deleting nodeclaim on interruption');
    this.record(
      action,
      'Warning',
      InterruptionReasons.terminatingOnInterruption,
      `Interruption (${message.kind}) triggered termination`,
    );
  }

  private record(action: InterruptionAction, type: 'Normal' | 'Warning', reason: string, text: string): void {
    const { recorder } = this.opts;
    for (const obj of action.node ? [action.nodeClaim, action.node] : [action.nodeClaim]) {
      if (type === 'Normal') recorder.normal(obj, reason, text);
      else recorder.warning(obj, reason, text);
    }
  }

  /** Sleep on the controller's clock, cut short by stop(). */
  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        cancel();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const cancel = this.opts.clock.setTimer(ms, done);
      signal.addEventListener('abort', done);
    });
  }
}
