/**
 * A KubeApi whose GETs of some kinds are answered from an informer's cache once it has synced: the cloud provider
 * reads a NodePool and its node class on every provisioning round, disruption decision and launch (and the kwok
 * provider a Node on every termination pass), and a GET each time was most of the controller's requests at scale.
 * Everything else, every read before the cache syncs and every miss goes to the API server, except a miss for an
 * object the watch saw deleted (a terminated kwok node, read once more to confirm it is gone): the server would
 * only say 404 again. Answers are copies, so no caller can change the cache.
 */
import type {
  DeleteOptions,
  KubeApi,
  ListOptions,
  ListResult,
  MergePatch,
  WatchEvent,
  WatchHandle,
  WatchOptions,
} from './api';
import { objectKey, type Informer } from './informer';
import { kindKey, type ResourceKind } from './kinds';
import type { KubeObject } from './objects';

/** Deleted objects remembered per kind; past it the oldest are forgotten (a forgotten one costs one GET). */
const TOMBSTONES = 4096;

export class CachedReads implements KubeApi {
  private readonly caches = new Map<string, Informer<KubeObject>>();
  /** Per kind, the keys of objects the watch saw deleted and not seen again since, oldest first. */
  private readonly deleted = new Map<string, Set<string>>();

  constructor(private readonly api: KubeApi) {
    if (api.serverVersion) this.serverVersion = () => (api.serverVersion as () => Promise<string>)();
  }

  /** Answer GETs of `kind` from `informer` whenever it has synced. */
  serve<T extends KubeObject>(kind: ResourceKind<T>, informer: Informer<T>): void {
    const key = kindKey(kind);
    this.caches.set(key, informer as unknown as Informer<KubeObject>);
    const deleted = new Set<string>();
    this.deleted.set(key, deleted);
    informer.onChange((type, obj) => {
      const objKey = objectKey(obj);
      deleted.delete(objKey);
      if (type !== 'DELETED') return;
      deleted.add(objKey);
      if (deleted.size > TOMBSTONES) deleted.delete(deleted.values().next().value as string);
    });
  }

  async get<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    const cache = this.caches.get(kindKey(kind));
    if (!cache?.synced) return this.api.get(kind, name, namespace);
    const cached = cache.get(name, namespace) as T | undefined;
    if (cached) return structuredClone(cached);
    // A miss is asked of the server: an object created a moment ago may not have reached the cache yet, and
    // "not found" must be true before anyone acts on it (a cloud provider deciding an instance is gone). Seen
    // deleted, it was: only a new object of the same name, not yet watched, could answer otherwise.
    if (this.deleted.get(kindKey(kind))?.has(namespace ? `${namespace}/${name}` : name)) return undefined;
    return this.api.get(kind, name, namespace);
  }

  serverVersion?: () => Promise<string>;

  list<T extends KubeObject>(kind: ResourceKind<T>, opts?: ListOptions): Promise<ListResult<T>> {
    return this.api.list(kind, opts);
  }
  create<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T> {
    return this.api.create(kind, obj);
  }
  update<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T> {
    return this.api.update(kind, obj);
  }
  updateStatus<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T> {
    return this.api.updateStatus(kind, obj);
  }
  patch<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    patch: MergePatch,
    namespace?: string,
  ): Promise<T> {
    return this.api.patch(kind, name, patch, namespace);
  }
  delete<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
    opts?: DeleteOptions,
  ): Promise<void> {
    return this.api.delete(kind, name, namespace, opts);
  }
  evict(name: string, namespace: string): Promise<void> {
    return this.api.evict(name, namespace);
  }
  watch<T extends KubeObject>(
    kind: ResourceKind<T>,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle> {
    return this.api.watch(kind, opts, onEvent);
  }
}
