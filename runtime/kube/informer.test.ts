import { SimClock, flushAsync } from '../clock/sim-clock';
import {
  ApiError,
  GoneError,
  type KubeApi,
  type ListOptions,
  type ListResult,
  type WatchEvent,
  type WatchEventType,
  type WatchHandle,
  type WatchOptions,
} from './api';
import { Informer, objectKey } from './informer';
import { Kinds, type ResourceKind } from './kinds';
import { MemoryApiServer } from './memory/memory-api-server';
import { nameOf, type KubeObject, type Node, type Pod } from './objects';

/**
 * A KubeApi over a MemoryApiServer whose open watches the test can end, as a dropped connection or a 410 Gone
 * would, and whose list/watch calls can be made to fail.
 */
class ControllableApi implements KubeApi {
  private readonly open = new Set<{ handle: WatchHandle; onClose?: (err?: Error) => void }>();
  watchCalls: string[] = [];
  listCalls = 0;
  failNextLists: Error[] = [];
  failNextWatches: Error[] = [];

  constructor(readonly server: MemoryApiServer) {}

  get openWatches(): number {
    return this.open.size;
  }

  /** End every open watch with `err`, like the server closing the connection. */
  closeWatches(err?: Error): void {
    for (const w of [...this.open]) {
      this.open.delete(w);
      w.handle.stop();
      w.onClose?.(err);
    }
  }

  async list<T extends KubeObject>(kind: ResourceKind<T>, opts?: ListOptions): Promise<ListResult<T>> {
    this.listCalls++;
    const err = this.failNextLists.shift();
    if (err) throw err;
    return this.server.list(kind, opts);
  }
  get: KubeApi['get'] = (kind, name, namespace) => this.server.get(kind, name, namespace);
  create: KubeApi['create'] = (kind, obj) => this.server.create(kind, obj);
  update: KubeApi['update'] = (kind, obj) => this.server.update(kind, obj);
  updateStatus: KubeApi['updateStatus'] = (kind, obj) => this.server.updateStatus(kind, obj);
  patch: KubeApi['patch'] = (kind, name, patch, namespace) => this.server.patch(kind, name, patch, namespace);
  delete: KubeApi['delete'] = (kind, name, namespace, opts) =>
    this.server.delete(kind, name, namespace, opts);
  evict: KubeApi['evict'] = (name, namespace) => this.server.evict(name, namespace);

  async watch<T extends KubeObject>(
    kind: ResourceKind<T>,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle> {
    this.watchCalls.push(opts.resourceVersion);
    const err = this.failNextWatches.shift();
    if (err) throw err;
    const handle = await this.server.watch(kind, opts, onEvent);
    const entry = { handle, ...(opts.onClose ? { onClose: opts.onClose } : {}) };
    this.open.add(entry);
    return {
      stop: () => {
        this.open.delete(entry);
        handle.stop();
      },
    };
  }
}

function node(name: string, labels: Record<string, string> = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } };
}

function pod(name: string, namespace: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'c' }] },
  };
}

interface Seen {
  type: WatchEventType;
  name: string;
  rv: string | undefined;
  oldRv: string | undefined;
  labels?: Record<string, string>;
}

let clock: SimClock;
let server: MemoryApiServer;
let api: ControllableApi;
let errors: unknown[];
let informer: Informer<Node>;
let seen: Seen[];

function record(inf: Informer<Node>): void {
  inf.onChange((type, obj, old) =>
    seen.push({
      type,
      name: nameOf(obj),
      rv: obj.metadata.resourceVersion,
      oldRv: old?.metadata.resourceVersion,
      ...(obj.metadata.labels ? { labels: obj.metadata.labels } : {}),
    }),
  );
}

const names = (): string[] =>
  informer
    .list()
    .map((n) => nameOf(n))
    .sort();

beforeEach(() => {
  clock = new SimClock(0);
  server = new MemoryApiServer({ clock });
  api = new ControllableApi(server);
  errors = [];
  seen = [];
  informer = new Informer(api, Kinds.Node, clock, (err) => errors.push(err));
  record(informer);
});

afterEach(() => informer.stop());

describe('Informer', () => {
  it('objectKey is namespace/name for namespaced objects and name otherwise', () => {
    expect(objectKey(node('n1'))).toBe('n1');
    expect(objectKey(pod('p1', 'ns'))).toBe('ns/p1');
  });

  it('start() lists into the cache, fires ADDED for each object and watches from the list', async () => {
    await server.create(Kinds.Node, node('n1', { a: '1' }));
    await server.create(Kinds.Node, node('n2'));
    await server.create(Kinds.Pod, pod('p1', 'default'));

    await informer.start();

    expect(names()).toEqual(['n1', 'n2']);
    expect(informer.get('n1')?.metadata.labels).toEqual({ a: '1' });
    expect(informer.get('missing')).toBeUndefined();
    expect(informer.resourceVersion).toBe('3');
    expect(api.watchCalls).toEqual(['3']);
    expect(seen.map((s) => `${s.type} ${s.name} old=${s.oldRv}`).sort()).toEqual([
      'ADDED n1 old=undefined',
      'ADDED n2 old=undefined',
    ]);
    expect(informer.relists).toBe(0);
  });

  it('list(filter) filters the cache', async () => {
    await server.create(Kinds.Node, node('n1', { role: 'a' }));
    await server.create(Kinds.Node, node('n2', { role: 'b' }));
    await informer.start();
    expect(informer.list((n) => n.metadata.labels?.['role'] === 'b').map((n) => n.metadata.name)).toEqual([
      'n2',
    ]);
  });

  it('an index follows the cache through the list, watch events, label changes, deletes and a relist', async () => {
    await server.create(Kinds.Node, node('n1', { role: 'a' }));
    informer.addIndex('role', (n) => n.metadata.labels?.['role']);
    await informer.start();
    const byRole = (role: string) => informer.byIndex('role', role).map(nameOf).sort();
    expect(byRole('a')).toEqual(['n1']);

    await server.create(Kinds.Node, node('n2', { role: 'a' }));
    await server.create(Kinds.Node, node('n3'));
    await flushAsync();
    expect(byRole('a')).toEqual(['n1', 'n2']);

    await server.patch(Kinds.Node, 'n1', { metadata: { labels: { role: 'b' } } });
    await flushAsync();
    expect(byRole('a')).toEqual(['n2']);
    expect(byRole('b')).toEqual(['n1']);

    await server.delete(Kinds.Node, 'n2');
    await flushAsync();
    expect(byRole('a')).toEqual([]);

    // Changes missed while the watch was down arrive through the relist.
    api.closeWatches(new GoneError('too old resource version'));
    await server.delete(Kinds.Node, 'n1');
    await server.patch(Kinds.Node, 'n3', { metadata: { labels: { role: 'a' } } });
    await clock.advance(1000);
    await flushAsync();
    expect(byRole('b')).toEqual([]);
    expect(byRole('a')).toEqual(['n3']);

    // An index added to a filled cache starts from what it holds.
    informer.addIndex('named', (n) => nameOf(n));
    expect(informer.byIndex('named', 'n3').map(nameOf)).toEqual(['n3']);
    expect(() => informer.byIndex('zone', 'x')).toThrow('no index zone');
  });

  it('keys namespaced objects by namespace and name', async () => {
    const pods = new Informer(api, Kinds.Pod, clock);
    await server.create(Kinds.Pod, pod('p', 'a'));
    await server.create(Kinds.Pod, pod('p', 'b'));
    await pods.start();
    expect(pods.get('p', 'a')?.metadata.namespace).toBe('a');
    expect(pods.get('p', 'b')?.metadata.namespace).toBe('b');
    expect(pods.get('p')).toBeUndefined();
    pods.stop();
  });

  it('the watch keeps the cache current: ADDED, then MODIFIED and DELETED with the old object', async () => {
    await informer.start();
    await server.create(Kinds.Node, node('n1'));
    await flushAsync();
    expect(names()).toEqual(['n1']);

    await server.patch(Kinds.Node, 'n1', { metadata: { labels: { v: '2' } } });
    await flushAsync();
    expect(informer.get('n1')?.metadata.labels).toEqual({ v: '2' });
    expect(informer.resourceVersion).toBe('2');

    await server.delete(Kinds.Node, 'n1');
    await flushAsync();
    expect(informer.get('n1')).toBeUndefined();
    expect(informer.resourceVersion).toBe('3');

    expect(seen).toEqual([
      { type: 'ADDED', name: 'n1', rv: '1', oldRv: undefined, labels: {} },
      { type: 'MODIFIED', name: 'n1', rv: '2', oldRv: '1', labels: { v: '2' } },
      { type: 'DELETED', name: 'n1', rv: '3', oldRv: '2', labels: { v: '2' } },
    ]);
  });

  it('sees a finalizer-held deletion as MODIFIED, then DELETED once the finalizer goes', async () => {
    await server.create(Kinds.Node, { ...node('n1'), metadata: { name: 'n1', finalizers: ['f'] } });
    await informer.start();
    await server.delete(Kinds.Node, 'n1');
    await flushAsync();
    expect(informer.get('n1')?.metadata.deletionTimestamp).toBeDefined();
    await server.patch(Kinds.Node, 'n1', { metadata: { finalizers: null } });
    await flushAsync();
    expect(informer.get('n1')).toBeUndefined();
    expect(seen.map((s) => s.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('relists after the watch closes with 410 Gone, after a 1 s backoff, and converges', async () => {
    await server.create(Kinds.Node, node('keep'));
    await server.create(Kinds.Node, node('change'));
    await server.create(Kinds.Node, node('remove'));
    await informer.start();
    expect(names()).toEqual(['change', 'keep', 'remove']);
    seen = [];

    // The watch dies and, while it is down, the cluster changes and the server forgets that history.
    const gone = new GoneError('too old resource version: 3 (5)');
    api.closeWatches(gone);
    await server.patch(Kinds.Node, 'change', { metadata: { labels: { v: '2' } } });
    await server.delete(Kinds.Node, 'remove');
    await server.create(Kinds.Node, node('new'));
    server.compact();
    await flushAsync();

    expect(errors).toEqual([gone]);
    expect(informer.relists).toBe(1);
    // Nothing happens before the backoff elapses: the cache is stale.
    await clock.advance(999);
    expect(api.listCalls).toBe(1);
    expect(names()).toEqual(['change', 'keep', 'remove']);
    expect(seen).toEqual([]);

    await clock.advance(1);
    expect(api.listCalls).toBe(2);
    expect(names()).toEqual(['change', 'keep', 'new']);
    expect(informer.get('change')?.metadata.labels).toEqual({ v: '2' });
    expect(informer.resourceVersion).toBe('6');
    expect(seen.map((s) => `${s.type} ${s.name} rv=${s.rv} old=${s.oldRv}`).sort()).toEqual([
      'ADDED new rv=6 old=undefined',
      'DELETED remove rv=3 old=3',
      'MODIFIED change rv=4 old=2',
    ]);
    // "keep" did not change, so it is not re-announced.
    expect(seen.some((s) => s.name === 'keep')).toBe(false);

    // The new watch resumes from the relist and keeps the cache current.
    expect(api.watchCalls).toEqual(['3', '6']);
    expect(api.openWatches).toBe(1);
    seen = [];
    await server.delete(Kinds.Node, 'keep');
    await flushAsync();
    expect(names()).toEqual(['change', 'new']);
    expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['DELETED keep']);
    expect(informer.relists).toBe(1);
  });

  it('resumes a watch that closes cleanly from its last resourceVersion, without a list or an error', async () => {
    await server.create(Kinds.Node, node('a'));
    await informer.start();
    await server.create(Kinds.Node, node('b'));
    await flushAsync();
    await clock.advance(5000);
    api.closeWatches();
    // Written while no watch is open: the resumed watch must replay it.
    await server.create(Kinds.Node, node('n1'));
    // The watch had lived 5 s and delivered an event: resumed at once.
    await clock.advance(0);
    expect(informer.relists).toBe(0);
    expect(informer.resumes).toBe(1);
    expect(api.listCalls).toBe(1);
    expect(api.watchCalls).toEqual(['1', '2']);
    expect(errors).toEqual([]);
    expect(names()).toEqual(['a', 'b', 'n1']);
    expect(informer.synced).toBe(true);
    // That watch delivered n1, so its close resumes at once too; the next one, closed at once with nothing
    // delivered, is a server turning watches away: retried 1 s later, not looped.
    api.closeWatches();
    await clock.advance(0);
    expect(api.watchCalls).toHaveLength(3);
    api.closeWatches();
    await clock.advance(999);
    expect(api.watchCalls).toHaveLength(3);
    await clock.advance(1);
    expect(api.watchCalls).toHaveLength(4);
  });

  it('resumes after a dropped connection, 1 s later, missing nothing; relists only when the version is gone', async () => {
    await informer.start();
    const reset = new Error('ECONNRESET');
    api.closeWatches(reset);
    await server.create(Kinds.Node, node('n1'));
    expect(informer.synced).toBe(false);
    await clock.advance(999);
    expect(api.watchCalls).toHaveLength(1);
    await clock.advance(1);
    expect(api.watchCalls).toHaveLength(2);
    expect(names()).toEqual(['n1']);
    expect(api.listCalls).toBe(1);
    expect(errors).toEqual([reset]);
    // The server compacted past the resume point while the watch was down: the resumed watch fails, so relist.
    api.closeWatches(reset);
    await server.create(Kinds.Node, node('n2'));
    server.compact();
    api.failNextWatches.push(new GoneError('too old resource version'));
    await clock.advance(1000);
    expect(api.listCalls).toBe(1);
    await clock.advance(1000);
    expect(api.listCalls).toBe(2);
    expect(names()).toEqual(['n1', 'n2']);
    expect(informer.relists).toBe(1);
    expect(informer.resumes).toBe(2);
    expect(informer.synced).toBe(true);
  });

  it('retries when starting the watch itself fails with 410 Gone', async () => {
    const gone = new GoneError('too old resource version');
    api.failNextWatches.push(gone);
    await server.create(Kinds.Node, node('n1'));
    await informer.start();
    expect(names()).toEqual(['n1']);
    expect(informer.relists).toBe(1);
    expect(errors).toEqual([gone]);
    expect(api.openWatches).toBe(0);

    await server.create(Kinds.Node, node('n2'));
    await clock.advance(1000);
    expect(api.openWatches).toBe(1);
    expect(names()).toEqual(['n1', 'n2']);
    await server.create(Kinds.Node, node('n3'));
    await flushAsync();
    expect(names()).toEqual(['n1', 'n2', 'n3']);
  });

  it('keeps retrying, 1 s apart, while relisting fails', async () => {
    await informer.start();
    const down = new ApiError(503, 'ServiceUnavailable', 'apiserver down');
    api.failNextLists.push(down, down);
    api.closeWatches(new GoneError('gone'));
    await server.create(Kinds.Node, node('n1'));

    await clock.advance(1000);
    expect(api.listCalls).toBe(2);
    expect(names()).toEqual([]);
    await clock.advance(1000);
    expect(api.listCalls).toBe(3);
    expect(names()).toEqual([]);
    await clock.advance(1000);
    expect(api.listCalls).toBe(4);
    expect(names()).toEqual(['n1']);
    expect(informer.relists).toBe(3);
    expect(errors).toContain(down);
    expect(api.openWatches).toBe(1);
  });

  it('converges after compaction when restarted from scratch', async () => {
    await server.create(Kinds.Node, node('a'));
    await informer.start();
    informer.stop();
    await server.delete(Kinds.Node, 'a');
    await server.create(Kinds.Node, node('b'));
    server.compact();
    seen = [];

    await informer.start();
    expect(names()).toEqual(['b']);
    expect(seen.map((s) => `${s.type} ${s.name}`).sort()).toEqual(['ADDED b', 'DELETED a']);
  });

  it('stop() stops updates from the watch', async () => {
    await informer.start();
    await server.create(Kinds.Node, node('n1'));
    await flushAsync();
    informer.stop();
    expect(api.openWatches).toBe(0);
    await server.create(Kinds.Node, node('n2'));
    await server.delete(Kinds.Node, 'n1');
    await flushAsync();
    expect(names()).toEqual(['n1']);
    expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['ADDED n1']);
  });

  it('stop() during the relist backoff stops updates too', async () => {
    await server.create(Kinds.Node, node('n1'));
    await informer.start();
    api.closeWatches(new GoneError('gone'));
    informer.stop();
    await server.create(Kinds.Node, node('n2'));
    await clock.advance(5000);
    expect(names()).toEqual(['n1']);
    expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['ADDED n1']);
    expect(api.openWatches).toBe(0);
  });

  it('stop() then start() during the relist backoff leaves exactly one watch', async () => {
    await informer.start();
    api.closeWatches(new GoneError('gone'));
    informer.stop();
    await informer.start();
    expect(api.openWatches).toBe(1);
    await clock.advance(5000);
    expect(api.openWatches).toBe(1);
    expect(api.listCalls).toBe(2);

    await server.create(Kinds.Node, node('n1'));
    await flushAsync();
    expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['ADDED n1']);
  });

  it('is synced after its list and watch, not while it relists, and again once it has', async () => {
    expect(informer.synced).toBe(false);
    await informer.start();
    expect(informer.synced).toBe(true);
    const down = new ApiError(503, 'ServiceUnavailable', 'apiserver down');
    api.failNextLists.push(down);
    api.closeWatches(new GoneError('gone'));
    expect(informer.synced).toBe(false);
    await clock.advance(1000);
    expect(informer.synced).toBe(false);
    await clock.advance(1000);
    expect(informer.synced).toBe(true);
  });

  it('start() retries a server that is still coming up, but not a kind it does not serve', async () => {
    const starting = new ApiError(429, 'TooManyRequests', 'storage is (re)initializing');
    api.failNextLists.push(starting, starting);
    const started = informer.start();
    await clock.advance(1000);
    await clock.advance(2000);
    await started;
    expect(api.listCalls).toBe(3);
    expect(informer.synced).toBe(true);

    const other = new Informer(api, Kinds.Node, clock);
    api.failNextLists.push(new ApiError(404, 'NotFound', 'the server could not find the requested resource'));
    await expect(other.start()).rejects.toThrow(
      /^the API server does not serve Node \(v1, nodes\): install its CRD .*could not find/,
    );
    expect(api.listCalls).toBe(4);
    other.stop();
  });

  it('observe() shows a just-written object before its watch event, and never goes back to an older one', async () => {
    await informer.start();
    const created = await api.create(Kinds.Node, node('n1'));
    informer.observe(created);
    expect(names()).toEqual(['n1']);
    const updated = await api.patch(Kinds.Node, 'n1', { metadata: { labels: { a: '2' } } });
    await flushAsync();
    informer.observe(created);
    expect(informer.get('n1')?.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
    expect(seen.filter((e) => e.name === 'n1').map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
  });

  it('keeps no managedFields in the cache, from the list, the watch or observe()', async () => {
    const managed = (name: string): Node => ({
      ...node(name),
      metadata: {
        ...node(name).metadata,
        managedFields: [{ manager: 'kubelet', operation: 'Update' }],
      } as Node['metadata'],
    });
    const fieldsOf = (n: Node | undefined) =>
      (n?.metadata as { managedFields?: unknown } | undefined)?.managedFields;
    await server.create(Kinds.Node, managed('listed'));
    await informer.start();
    await server.create(Kinds.Node, managed('watched'));
    await flushAsync();
    informer.observe(await api.create(Kinds.Node, managed('observed')));

    for (const name of ['listed', 'watched', 'observed']) {
      expect(informer.get(name)).toBeDefined();
      expect(fieldsOf(informer.get(name))).toBeUndefined();
    }
    // The server's copy is untouched: only the cache drops them.
    expect(fieldsOf(await api.get(Kinds.Node, 'listed'))).toEqual([
      { manager: 'kubelet', operation: 'Update' },
    ]);
  });
});
