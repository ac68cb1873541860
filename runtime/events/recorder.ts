/**
 * Kubernetes Events for the decisions the controller makes, so `kubectl describe` on a pod, node or NodeClaim
 * explains what happened. Repeats of the same event bump its count instead of creating new objects.
 */
import type { Clock } from '../clock/clock';
import { toIso } from '../clock/clock';
import { isNotFound, type KubeApi } from '../kube/api';
import { apiVersionOf, Kinds } from '../kube/kinds';
import type { Event, KubeObject } from '../kube/objects';

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
  last: number;
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

  normal(obj: KubeObject, reason: string, message: string): void {
    this.record(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): void {
    this.record(obj, 'Warning', reason, message);
  }

  private record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = this.clock.now();
    const e: RecordedEvent = {
      time: now,
      type,
      reason,
      message,
      kind: obj.kind,
      name: obj.metadata.name as string,
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    };
    for (const l of this.listeners) l(e);
    const namespace = obj.metadata.namespace ?? 'default';
    const key = `${obj.kind}/${namespace}/${obj.metadata.name}/${reason}/${message}`;
    const prior = this.seen.get(key);
    if (prior && prior.name === undefined) {
      // Still being created: count the repeat; create() writes the count once the Event exists.
      prior.count++;
      prior.last = now;
      return;
    }
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
        name: obj.metadata.name as string,
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
    entry.name = created.metadata.name as string;
    if (entry.count > 1) {
      await this.api.patch(
        Kinds.Event,
        entry.name,
        { count: entry.count, lastTimestamp: toIso(entry.last) },
        namespace,
      );
    }
    return created;
  }
}
