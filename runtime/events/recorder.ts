/**
 * Kubernetes Events for the decisions the controller makes, so `kubectl describe` on a pod, node or NodeClaim
 * explains what happened. As upstream, the same event is written at most once per dedupe window (2 minutes unless
 * the caller says otherwise); a repeat after the window bumps the Event's count instead of creating a new object,
 * and a rate limit (pod nominations: 5/s, burst 10) keeps a burst of thousands of pods from costing thousands of
 * writes. Listeners (the lab) still see every event.
 */
import type { Clock } from '../clock/clock';
import { toIso } from '../clock/clock';
import { isNotFound, type KubeApi } from '../kube/api';
import { apiVersionOf, Kinds } from '../kube/kinds';
import { nameOf, type Event, type KubeObject } from '../kube/objects';

export interface RecordedEvent {
  time: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** An Event already written (or being created: no name yet) and how often it has happened. */
interface SeenEvent {
  name?: string;
  namespace: string;
  count: number;
  /** When it was last written (created or its count bumped). */
  last: number;
}

/** Upstream's default dedupe window. */
export const DEDUPE_MS = 2 * 60_000;
/** Entries older than this are forgotten: the API server drops Events after an hour anyway. */
const FORGET_MS = 60 * 60_000;

/** A token bucket: `perSecond` refill, `burst` capacity (client-go's flowcontrol shape). */
export class TokenBucket {
  private tokens: number;
  private at: number | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  tryAccept(now: number): boolean {
    if (this.at !== undefined) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    }
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface RecordOptions {
  /**
   * What makes two events the same for deduping, besides the reason. @default the object and the message
   */
  dedupe?: string[];
  /** @default DEDUPE_MS */
  dedupeMs?: number;
  /** Shared by every event it is passed with; an event it refuses is not written. */
  rateLimit?: TokenBucket;
}

export class EventRecorder {
  private readonly seen = new Map<string, SeenEvent>();
  private readonly listeners: ((e: RecordedEvent) => void)[] = [];

  constructor(
    private readonly api: KubeApi,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Observe every event as it is recorded (the lab prints them). */
  subscribe(listener: (e: RecordedEvent) => void): void {
    this.listeners.push(listener);
  }

  normal(obj: KubeObject, reason: string, message: string, opts?: RecordOptions): void {
    this.record(obj, 'Normal', reason, message, opts);
  }

  warning(obj: KubeObject, reason: string, message: string, opts?: RecordOptions): void {
    this.record(obj, 'Warning', reason, message, opts);
  }

  private record(
    obj: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    opts: RecordOptions = {},
  ): void {
    const now = this.clock.now();
    const e: RecordedEvent = {
      time: now,
      type,
      reason,
      message,
      kind: obj.kind,
      name: nameOf(obj),
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    };
    for (const l of this.listeners) l(e);
    const namespace = obj.metadata.namespace ?? 'default';
    const identity = opts.dedupe ?? [obj.kind, namespace, nameOf(obj), message];
    const key = JSON.stringify([reason, ...identity]);
    this.forgetOld(now);
    const prior = this.seen.get(key);
    if (prior && (prior.name === undefined || now - prior.last < (opts.dedupeMs ?? DEDUPE_MS))) return;
    if (opts.rateLimit && !opts.rateLimit.tryAccept(now)) return;
    if (prior) prior.last = now;
    const write = prior
      ? this.api
          .patch(
            Kinds.Event,
            prior.name as string,
            { count: ++prior.count, lastTimestamp: toIso(now) },
            prior.namespace,
          )
          .catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
            // The Event expired (API servers delete Events after a TTL): start a new one.
            this.seen.delete(key);
            return this.create(obj, namespace, key, type, reason, message, now);
          })
      : this.create(obj, namespace, key, type, reason, message, now);
    write.catch((err) => this.onError(err));
  }

  private async create(
    obj: KubeObject,
    namespace: string,
    key: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    now: number,
  ): Promise<Event> {
    const event: Event = {
      apiVersion: apiVersionOf(Kinds.Event),
      kind: 'Event',
      metadata: { generateName: `${obj.metadata.name}.`, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: nameOf(obj),
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: toIso(now),
      lastTimestamp: toIso(now),
      source: { component: 'karpenter' },
    };
    const entry: SeenEvent = { namespace, count: 1, last: now };
    this.seen.set(key, entry);
    let created: Event;
    try {
      created = await this.api.create(Kinds.Event, event);
    } catch (err) {
      if (this.seen.get(key) === entry) this.seen.delete(key);
      throw err;
    }
    entry.name = nameOf(created);
    return created;
  }

  private lastSweep = 0;

  /** Drop what no window can still cover, so the map does not grow with every pod ever nominated. */
  private forgetOld(now: number): void {
    if (now - this.lastSweep < DEDUPE_MS) return;
    this.lastSweep = now;
    for (const [key, e] of this.seen)
      if (e.name !== undefined && now - e.last > FORGET_MS) this.seen.delete(key);
  }
}
