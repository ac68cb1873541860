/**
 * A KubeApi whose GETs of some kinds are answered from an informer's cache once it has synced: the cloud provider
 * reads a NodePool and its node class on every provisioning round, disruption decision and launch (and the kwok
 * provider a Node on every termination pass), and a GET each time was most of the controller's requests at scale.
 * Everything else, every read before the cache syncs and every miss goes to the API server. Answers are copies,
 * so no caller can change the cache.
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
import type { Informer } from './informer';
import { kindKey, type ResourceKind } from './kinds';
import type { KubeObject } from './objects';

export class CachedReads implements KubeApi {
  private readonly caches = new Map<string, Informer<KubeObject>>();

  constructor(private readonly api: KubeApi) {
    if (api.serverVersion) this.serverVersion = () => (api.serverVersion as () => Promise<string>)();
  }

  /** Answer GETs of `kind` from `informer` whenever it has synced. */
  serve<T extends KubeObject>(kind: ResourceKind<T>, informer: Informer<T>): void {
    this.caches.set(kindKey(kind), informer as unknown as Informer<KubeObject>);
  }

  async get<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    const cache = this.caches.get(kindKey(kind));
    if (!cache?.synced) return this.api.get(kind, name, namespace);
    const cached = cache.get(name, namespace) as T | undefined;
    // A miss is asked of the server: an object created a moment ago may not have reached the cache yet, and
    // "not found" must be true before anyone acts on it (a cloud provider deciding an instance is gone).
    return cached ? structuredClone(cached) : this.api.get(kind, name, namespace);
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
