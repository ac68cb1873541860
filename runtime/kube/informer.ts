/**
 * Informer-style cached reads over any KubeApi: list once, then watch from the list's resourceVersion, keeping a
 * local cache that controllers read synchronously. A watch that ends (the server's timeout, a dropped connection)
 * is resumed from the last resourceVersion seen, as client-go's reflector does; only 410 Gone (that version was
 * compacted away) costs a relist. A relist of 10,000 pods is the most expensive read a controller can make, and
 * relisting on every watch end was most of this controller's GETs at scale.
 */
import type { Clock } from '../clock/clock';
import {
  GoneError,
  isNotFound,
  isTransient,
  type KubeApi,
  type WatchEventType,
  type WatchHandle,
} from './api';
import type { ResourceKind } from './kinds';
import { nameOf, type KubeObject } from './objects';

/** Initial list attempts before start() gives up (about a minute with the backoff below). */
const START_ATTEMPTS = 15;

export type InformerHandler<T> = (type: WatchEventType, obj: T, old: T | undefined) => void;

function notServed(kind: ResourceKind, err: unknown): Error {
  const apiVersion = kind.group ? `${kind.group}/${kind.version}` : kind.version;
  return new Error(
    `the API server does not serve ${kind.kind} (${apiVersion}, ${kind.plural}): install its CRD (the karpenter-ts ` +
      `install does; the files are in sdk/crds/), or turn off the feature gate that watches it (${String(
        err instanceof Error ? err.message : err,
      )})`,
    { cause: err },
  );
}

export function objectKey(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : nameOf(obj);
}

/**
 * What the cache keeps of an object: all of it but metadata.managedFields, which no controller reads and which is
 * often the largest part of a Pod or Node (an entry per writer). An update sent from a cached copy leaves the
 * server's managedFields as they are (a request that omits them changes nothing there).
 */
function forCache<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as { managedFields?: unknown };
  if (meta.managedFields !== undefined) delete meta.managedFields;
  return obj;
}

interface InformerIndex<T> {
  valueOf: (obj: T) => string | undefined;
  /** Derived value → cache key → object. */
  buckets: Map<string, Map<string, T>>;
}

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private handle: WatchHandle | undefined;
  private cancelRetry: (() => void) | undefined;
  private stopped = false;
  private lastResourceVersion = '';
  /** How many times the informer had to relist; exposed for tests and metrics. */
  relists = 0;
  /** How many times a watch was resumed from the last resourceVersion, without a list. */
  resumes = 0;
  /** When the current watch opened, and how many events it has delivered (a "very short watch" backs off). */
  private watchStarted = 0;
  private watchEvents = 0;
  /** The server said 410 Gone: the last resourceVersion is useless until a list replaces it. */
  private mustRelist = false;
  /** The cache reflects a completed list and a live watch; false while it relists after a dropped watch. */
  private isSynced = false;
  /** Secondary indexes, as client-go's Indexers: index name → derived value → cache key → object. */
  private readonly indexes = new Map<string, InformerIndex<T>>();

  constructor(
    private readonly api: KubeApi,
    readonly kind: ResourceKind<T>,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  onChange(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  /**
   * Keep the cache's objects findable by a derived value (a controller's UID, a node name), so a reconcile reads
   * its own objects instead of scanning every one: with a scan per event, a 5,000-pod scale-up is quadratic.
   */
  addIndex(name: string, valueOf: (obj: T) => string | undefined): void {
    const index: InformerIndex<T> = { valueOf, buckets: new Map() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.cache) this.indexPut(index, key, obj);
  }

  /** The cached objects whose index `name` derives `value`; the index must have been added. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer for ${this.kind.kind}: no index ${name}`);
    return [...(index.buckets.get(value)?.values() ?? [])];
  }

  /** How many cached objects index `name` derives `value` for, without copying them. */
  countByIndex(name: string, value: string): number {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer for ${this.kind.kind}: no index ${name}`);
    return index.buckets.get(value)?.size ?? 0;
  }

  private indexPut(index: InformerIndex<T>, key: string, obj: T): void {
    const value = index.valueOf(obj);
    if (value === undefined) return;
    let bucket = index.buckets.get(value);
    if (!bucket) index.buckets.set(value, (bucket = new Map()));
    bucket.set(key, obj);
  }

  /** Every cache write goes through here, so the indexes follow the cache. */
  private store(key: string, obj: T | undefined, old: T | undefined): void {
    for (const index of this.indexes.values()) {
      if (old) {
        const value = index.valueOf(old);
        const bucket = value === undefined ? undefined : index.buckets.get(value);
        bucket?.delete(key);
        if (bucket?.size === 0 && value !== undefined) index.buckets.delete(value);
      }
      if (obj) this.indexPut(index, key, obj);
    }
    if (obj) this.cache.set(key, obj);
    else this.cache.delete(key);
  }

  /**
   * List and start watching; resolves once the cache holds the listed state. A server that is still coming up
   * (429 while a CRD's storage initialises, 5xx, a refused connection) is retried for up to a minute; any other
   * error, such as a kind the server does not serve, fails at once.
   */
  async start(): Promise<void> {
    this.stopped = false;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.relist();
        return;
      } catch (err) {
        // A kind the server does not serve is a CRD not installed (or a gate on before its CRD): say which.
        if (isNotFound(err)) throw notServed(this.kind, err);
        if (this.stopped || attempt >= START_ATTEMPTS || !isTransient(err)) throw err;
        this.onError(err);
        await this.clock.sleep(Math.min(1000 * attempt, 5000));
      }
    }
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /**
   * Put an object this process just wrote into the cache before its watch event arrives, so a decision made in
   * the meantime (a second provisioning round, a lifecycle requeue) sees it. Older versions never replace newer.
   */
  observe(obj: T): void {
    forCache(obj);
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (old && Number(old.metadata.resourceVersion) >= Number(obj.metadata.resourceVersion)) return;
    this.store(key, obj, old);
    this.notify(old ? 'MODIFIED' : 'ADDED', obj, old);
  }

  stop(): void {
    this.stopped = true;
    this.isSynced = false;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.handle?.stop();
    this.handle = undefined;
  }

  get resourceVersion(): string {
    return this.lastResourceVersion;
  }

  list(filter?: (obj: T) => boolean): T[] {
    const out: T[] = [];
    for (const obj of this.cache.values()) if (!filter || filter(obj)) out.push(obj);
    return out;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.api.list(this.kind);
    const seen = new Set<string>();
    for (const item of items) {
      forCache(item);
      const key = objectKey(item);
      seen.add(key);
      const old = this.cache.get(key);
      this.store(key, item, old);
      if (!old) this.notify('ADDED', item, undefined);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion)
        this.notify('MODIFIED', item, old);
    }
    for (const [key, old] of [...this.cache]) {
      if (!seen.has(key)) {
        this.store(key, undefined, old);
        this.notify('DELETED', old, old);
      }
    }
    this.lastResourceVersion = resourceVersion;
    this.mustRelist = false;
    await this.watchFrom(resourceVersion);
    this.isSynced = !this.stopped && this.handle !== undefined;
  }

  private async watchFrom(resourceVersion: string): Promise<void> {
    if (this.stopped) return;
    this.watchStarted = this.clock.now();
    this.watchEvents = 0;
    try {
      this.handle = await this.api.watch(
        this.kind,
        {
          resourceVersion,
          onClose: (err) => this.restart(err),
          // A bookmark moves the resume point past events of other objects, so a resumed watch rarely meets 410.
          onBookmark: (rv) => (this.lastResourceVersion = rv),
        },
        ({ type, object }) => this.apply(type, object),
      );
    } catch (err) {
      this.restart(err);
    }
  }

  private async resume(): Promise<void> {
    await this.watchFrom(this.lastResourceVersion);
    this.isSynced = !this.stopped && this.handle !== undefined;
  }

  /**
   * After a watch ends: resume from the last resourceVersion (at once after a clean close, 1 s later after an
   * error, so a failing server is not hammered), or relist when the server no longer has that version.
   */
  private restart(err?: unknown): void {
    this.isSynced = false;
    this.handle = undefined;
    if (this.stopped) return;
    if (err) this.onError(err);
    if (err instanceof GoneError) this.mustRelist = true;
    const relist = this.mustRelist || this.lastResourceVersion === '';
    if (relist) this.relists++;
    else this.resumes++;
    // A clean close right after opening, with nothing delivered, is a server turning watches away: back off as for
    // an error (client-go's "very short watch"), or the resume would loop at full speed. The clock makes the
    // backoff instant in simulation.
    const short = this.clock.now() - this.watchStarted < 1000 && this.watchEvents === 0;
    this.cancelRetry = this.clock.setTimer(err || short ? 1000 : 0, () => {
      this.cancelRetry = undefined;
      (relist ? this.relist() : this.resume()).catch((e) => {
        this.onError(e);
        this.restart(e);
      });
    });
  }

  private apply(type: WatchEventType, object: T): void {
    this.watchEvents++;
    forCache(object);
    const key = objectKey(object);
    const old = this.cache.get(key);
    if (object.metadata.resourceVersion) this.lastResourceVersion = object.metadata.resourceVersion;
    if (type === 'DELETED') {
      this.store(key, undefined, old);
      this.notify(type, object, old);
      return;
    }
    this.store(key, object, old);
    this.notify(old ? 'MODIFIED' : 'ADDED', object, old);
  }

  private notify(type: WatchEventType, obj: T, old: T | undefined): void {
    for (const h of this.handlers) h(type, obj, old);
  }
}
