/**
 * An in-memory Kubernetes API server for the embedded simulator and fast tests. It keeps the semantics the
 * controllers depend on: a single monotonic resourceVersion, watch events resumable from a resourceVersion
 * (410 Gone once it falls out of the retained history), optimistic concurrency on update, deletion that only marks
 * objects holding finalizers, and an Eviction subresource that refuses when a PodDisruptionBudget would be violated.
 * Objects are deep-copied in and out so callers can never mutate the store.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock/clock';
import { toIso } from '../../clock/clock';
import {
  AlreadyExistsError,
  ApiError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  TooManyRequestsError,
  type DeleteOptions,
  type KubeApi,
  type ListOptions,
  type ListResult,
  type MergePatch,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
} from '../api';
import { Kinds, apiVersionOf, kindKey, type ResourceKind } from '../kinds';
import { applyMergePatch } from '../merge-patch';
import { nameOf, type KubeObject, type Pod, type PodDisruptionBudget } from '../objects';
import { evictionVerdict } from '../pdb';
import { matchesFieldSelector, matchesSelector, parseFieldSelector, parseSelectorString } from '../selectors';

interface StoredEvent {
  kindKey: string;
  rv: number;
  event: WatchEvent<KubeObject>;
}

interface Subscriber {
  kindKey: string;
  namespace?: string;
  deliver: (event: WatchEvent<KubeObject>) => void;
}

/** Told of every stored change, synchronously, as the change is made: invariant checks "after every write". */
export type WriteListener = (
  kind: ResourceKind,
  type: WatchEvent<KubeObject>['type'],
  obj: KubeObject,
) => void;

/**
 * Validates an object before it is stored, like an admission webhook or CRD schema (with `old`, the stored object,
 * on an update, for transition rules); throws InvalidError.
 */
export type Admission = (kind: ResourceKind, obj: KubeObject, old?: KubeObject) => void;

export interface MemoryApiServerOptions {
  clock: Clock;
  /** How many watch events to keep for resuming watches. @default 10000 */
  historyLimit?: number;
  admission?: Admission[];
}

const clone = <T>(v: T): T => structuredClone(v);

export class MemoryApiServer implements KubeApi {
  private readonly stores = new Map<string, Map<string, KubeObject>>();
  private rv = 0;
  private history: StoredEvent[] = [];
  /** Events before this index have been dropped; trimmed in bulk so each write stays O(1). */
  private historyStart = 0;
  private readonly subscribers = new Set<Subscriber>();
  private readonly clock: Clock;
  private readonly historyLimit: number;
  private readonly admission: Admission[];
  private readonly writeListeners: WriteListener[] = [];
  private nameSeq = 0;

  constructor(opts: MemoryApiServerOptions) {
    this.clock = opts.clock;
    this.historyLimit = opts.historyLimit ?? 10_000;
    this.admission = opts.admission ?? [];
  }

  /** The latest resourceVersion handed out. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  async list<T extends KubeObject>(kind: ResourceKind<T>, opts: ListOptions = {}): Promise<ListResult<T>> {
    const selector = opts.labelSelector ? parseSelectorString(opts.labelSelector) : undefined;
    const fields = opts.fieldSelector ? parseFieldSelector(opts.fieldSelector) : undefined;
    const items: T[] = [];
    for (const obj of this.store(kind).values()) {
      if (opts.namespace && obj.metadata.namespace !== opts.namespace) continue;
      if (selector && !matchesSelector(selector, obj.metadata.labels)) continue;
      if (fields && !matchesFieldSelector(fields, obj)) continue;
      items.push(clone(obj) as T);
    }
    return { items, resourceVersion: String(this.rv) };
  }

  /** Synchronous read for the simulator's own stand-ins; controllers use the async API. */
  peek<T extends KubeObject>(kind: ResourceKind<T>, name: string, namespace?: string): T | undefined {
    const obj = this.store(kind).get(this.key(kind, name, namespace));
    return obj ? (clone(obj) as T) : undefined;
  }

  /** Synchronous list for the simulator's stand-ins and tests. */
  peekAll<T extends KubeObject>(kind: ResourceKind<T>): T[] {
    return [...this.store(kind).values()].map((o) => clone(o) as T);
  }

  /**
   * Whether any stored object of the kind matches, without copying them all (the simulator asks this every
   * simulated second while it settles). The predicate sees the stored object and must not change it.
   */
  peekSome<T extends KubeObject>(kind: ResourceKind<T>, predicate: (obj: Readonly<T>) => boolean): boolean {
    for (const obj of this.store(kind).values()) if (predicate(obj as T)) return true;
    return false;
  }

  async get<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    return this.peek(kind, name, namespace);
  }

  async create<T extends KubeObject>(kind: ResourceKind<T>, input: T): Promise<T> {
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(kind);
    obj.kind = kind.kind;
    if (!obj.metadata.name) {
      if (!obj.metadata.generateName)
        throw new InvalidError(`${kind.kind}: metadata.name or generateName is required`);
      obj.metadata.name = `${obj.metadata.generateName}${this.randomSuffix()}`;
    }
    if (kind.namespaced) obj.metadata.namespace ??= 'default';
    else delete obj.metadata.namespace;
    const key = this.key(kind, obj.metadata.name, obj.metadata.namespace);
    if (this.store(kind).has(key)) {
      throw new AlreadyExistsError(`${kind.plural} "${obj.metadata.name}" already exists`);
    }
    this.admit(kind, obj);
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = toIso(this.clock.now());
    obj.metadata.generation = 1;
    delete obj.metadata.deletionTimestamp;
    obj.metadata.resourceVersion = String(++this.rv);
    this.store(kind).set(key, obj);
    this.emit(kind, 'ADDED', obj);
    return clone(obj);
  }

  /**
   * Store an object as another cluster held it (a snapshot): its uid (owner references name it), creation and
   * deletion times and status are kept; only the resourceVersion is this server's. Admission still applies.
   */
  restore<T extends KubeObject>(kind: ResourceKind<T>, input: T): T {
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(kind);
    obj.kind = kind.kind;
    if (kind.namespaced) obj.metadata.namespace ??= 'default';
    else delete obj.metadata.namespace;
    const key = this.key(kind, nameOf(obj), obj.metadata.namespace);
    if (this.store(kind).has(key))
      throw new AlreadyExistsError(`${kind.plural} "${nameOf(obj)}" already exists`);
    this.admit(kind, obj);
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= toIso(this.clock.now());
    obj.metadata.generation ??= 1;
    obj.metadata.resourceVersion = String(++this.rv);
    this.store(kind).set(key, obj);
    this.emit(kind, 'ADDED', obj);
    return clone(obj);
  }

  async update<T extends KubeObject>(kind: ResourceKind<T>, input: T): Promise<T> {
    return this.replace(kind, input, 'spec');
  }

  async updateStatus<T extends KubeObject>(kind: ResourceKind<T>, input: T): Promise<T> {
    return this.replace(kind, input, 'status');
  }

  async patch<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    patch: MergePatch,
    namespace?: string,
  ): Promise<T> {
    const current = this.mustGet(kind, name, namespace);
    // A resourceVersion in the patch is a precondition, as the API server treats it.
    const expected = (patch.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (expected !== undefined && expected !== current.metadata.resourceVersion) {
      throw new ConflictError(
        `${kind.plural} "${name}": the object has been modified (resourceVersion ${expected})`,
      );
    }
    const next = applyMergePatch(clone(current), patch);
    // Identity fields are not patchable.
    next.metadata = {
      ...next.metadata,
      name: current.metadata.name,
      namespace: current.metadata.namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      deletionTimestamp: current.metadata.deletionTimestamp,
      resourceVersion: current.metadata.resourceVersion,
    };
    if (!next.metadata.deletionTimestamp) delete next.metadata.deletionTimestamp;
    return this.commit(kind, current, next);
  }

  async delete<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
    opts: DeleteOptions = {},
  ): Promise<void> {
    const current = this.mustGet(kind, name, namespace);
    if (opts.resourceVersion && opts.resourceVersion !== current.metadata.resourceVersion) {
      throw new ConflictError(`${kind.plural} "${name}": the object has been modified (precondition failed)`);
    }
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp) return;
      const next = clone(current);
      next.metadata.deletionTimestamp = toIso(this.clock.now());
      next.metadata.resourceVersion = String(++this.rv);
      this.store(kind).set(this.key(kind, name, current.metadata.namespace), next);
      this.emit(kind, 'MODIFIED', next);
      return;
    }
    this.remove(kind, current);
  }

  async evict(name: string, namespace: string): Promise<void> {
    const pod = this.mustGet(Kinds.Pod, name, namespace);
    if (pod.metadata.deletionTimestamp) return;
    // The verdict only reads: the stored objects are passed as they are, not copied (an eviction per pod of a
    // large scale-down would otherwise copy every pod each time).
    const inNamespace = <T extends KubeObject>(kind: ResourceKind<T>): T[] =>
      [...this.store(kind).values()].filter((o) => o.metadata.namespace === namespace) as T[];
    const pdbs = inNamespace<PodDisruptionBudget>(Kinds.PodDisruptionBudget);
    const pods = inNamespace<Pod>(Kinds.Pod);
    const verdict = evictionVerdict(pod, pdbs, pods, (owner, ns) => this.replicasOf(owner, ns));
    if (!verdict.allowed) {
      if (verdict.status === 429) throw new TooManyRequestsError(verdict.message);
      throw new ApiError(500, 'InternalError', verdict.message);
    }
    await this.delete(Kinds.Pod, name, namespace);
  }

  async watch<T extends KubeObject>(
    kind: ResourceKind<T>,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle> {
    const from = Number(opts.resourceVersion || this.rv);
    const key = kindKey(kind);
    // With the whole history compacted away, only the current resourceVersion can be resumed from.
    const oldest = this.history[this.historyStart]?.rv ?? this.rv + 1;
    if (from < this.rv && from < oldest - 1) {
      throw new GoneError(`too old resource version: ${from} (${oldest - 1})`);
    }
    let stopped = false;
    const queue: WatchEvent<T>[] = [];
    let scheduled = false;
    // Delivery is asynchronous, as over a network, and in order.
    const deliver = (event: WatchEvent<KubeObject>): void => {
      if (stopped) return;
      if (opts.namespace && event.object.metadata.namespace !== opts.namespace) return;
      queue.push(clone(event) as WatchEvent<T>);
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        // Taken as a batch: shifting one at a time is quadratic when a resumed watch replays a long history.
        for (const event of queue.splice(0, queue.length)) {
          if (stopped) break;
          onEvent(event);
        }
      });
    };
    for (let i = this.historyStart; i < this.history.length; i++) {
      const e = this.history[i] as StoredEvent;
      if (e.kindKey === key && e.rv > from) deliver(e.event);
    }
    const sub: Subscriber = {
      kindKey: key,
      deliver,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
    };
    this.subscribers.add(sub);
    return {
      stop: () => {
        stopped = true;
        this.subscribers.delete(sub);
      },
    };
  }

  /** Drop history older than the latest `keep` events: resuming from before it then fails with 410 Gone. */
  compact(keep = 0): void {
    this.history = keep > 0 ? this.history.slice(this.historyStart).slice(-keep) : [];
    this.historyStart = 0;
  }

  // --- internals ---

  /** The controller's desired replicas, as the API server's disruption controller reads its scale. */
  private replicasOf(owner: { kind: string; name: string }, namespace: string): number | undefined {
    const kind =
      owner.kind === 'ReplicaSet'
        ? Kinds.ReplicaSet
        : owner.kind === 'StatefulSet'
          ? Kinds.StatefulSet
          : undefined;
    if (!kind) return undefined;
    const obj = this.store(kind).get(this.key(kind, owner.name, namespace)) as
      { spec?: { replicas?: number } } | undefined;
    return obj ? (obj.spec?.replicas ?? 1) : undefined;
  }

  private replace<T extends KubeObject>(kind: ResourceKind<T>, input: T, part: 'spec' | 'status'): T {
    // An update without a name names no stored object: NotFound.
    const current = this.mustGet(kind, input.metadata.name ?? '', input.metadata.namespace);
    if (
      input.metadata.resourceVersion &&
      input.metadata.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${kind.plural} "${input.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const incoming = clone(input) as T & { status?: unknown };
    const stored = current as T & { status?: unknown };
    let next: T & { status?: unknown };
    if (part === 'status') {
      next = clone(stored);
      next.status = incoming.status;
    } else {
      next = incoming;
      next.status = clone(stored.status);
      if (next.status === undefined) delete next.status;
      next.metadata = {
        ...incoming.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        deletionTimestamp: current.metadata.deletionTimestamp,
      };
      if (!next.metadata.deletionTimestamp) delete next.metadata.deletionTimestamp;
    }
    next.apiVersion = current.apiVersion;
    next.kind = current.kind;
    return this.commit(kind, current, next);
  }

  private commit<T extends KubeObject>(kind: ResourceKind<T>, current: T, next: T): T {
    if (current.metadata.deletionTimestamp) {
      // A terminating object may lose finalizers but not gain new ones.
      const before = new Set(current.metadata.finalizers ?? []);
      if ((next.metadata.finalizers ?? []).some((f) => !before.has(f))) {
        throw new InvalidError(
          `${kind.plural} "${current.metadata.name}": cannot add finalizers while terminating`,
        );
      }
    }
    this.admit(kind, next, current);
    const specChanged =
      JSON.stringify((next as { spec?: unknown }).spec) !==
      JSON.stringify((current as { spec?: unknown }).spec);
    next.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    next.metadata.resourceVersion = String(++this.rv);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.remove(kind, next);
      return clone(next);
    }
    this.store(kind).set(this.key(kind, nameOf(next), next.metadata.namespace), next);
    this.emit(kind, 'MODIFIED', next);
    return clone(next);
  }

  private remove(kind: ResourceKind, obj: KubeObject): void {
    this.store(kind).delete(this.key(kind, nameOf(obj), obj.metadata.namespace));
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit(kind, 'DELETED', gone);
  }

  private admit(kind: ResourceKind, obj: KubeObject, old?: KubeObject): void {
    for (const check of this.admission) check(kind, obj, old);
  }

  /** Listen to every write; returns a function that stops listening. */
  onWrite(listener: WriteListener): () => void {
    this.writeListeners.push(listener);
    return () => {
      const i = this.writeListeners.indexOf(listener);
      if (i >= 0) this.writeListeners.splice(i, 1);
    };
  }

  private emit(kind: ResourceKind, type: WatchEvent<KubeObject>['type'], obj: KubeObject): void {
    for (const listener of this.writeListeners) listener(kind, type, obj);
    const event: WatchEvent<KubeObject> = { type, object: clone(obj) };
    const key = kindKey(kind);
    this.history.push({ kindKey: key, rv: this.rv, event });
    if (this.history.length - this.historyStart > this.historyLimit) this.historyStart++;
    if (this.historyStart > this.historyLimit) {
      this.history = this.history.slice(this.historyStart);
      this.historyStart = 0;
    }
    for (const s of this.subscribers) if (s.kindKey === key) s.deliver(event);
  }

  private mustGet<T extends KubeObject>(kind: ResourceKind<T>, name: string, namespace?: string): T {
    const obj = this.store(kind).get(this.key(kind, name, namespace));
    if (!obj) throw new NotFoundError(`${kind.plural} "${name}" not found`);
    return clone(obj) as T;
  }

  private store(kind: ResourceKind): Map<string, KubeObject> {
    const key = kindKey(kind);
    let s = this.stores.get(key);
    if (!s) {
      s = new Map();
      this.stores.set(key, s);
    }
    return s;
  }

  private key(kind: ResourceKind, name: string, namespace?: string): string {
    return kind.namespaced ? `${namespace ?? 'default'}/${name}` : name;
  }

  private randomSuffix(): string {
    // Deterministic, collision-free suffixes (a bijection on n below 27^5) keep simulator runs reproducible.
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let x = (++this.nameSeq * 7919) % 27 ** 5;
    let out = '';
    for (let i = 0; i < 5; i++) {
      out += alphabet[x % 27];
      x = Math.floor(x / 27);
    }
    return out;
  }
}
