import { SimClock, flushAsync } from '../../clock/sim-clock';
import {
  AlreadyExistsError,
  ApiError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  TooManyRequestsError,
  isConflict,
  isNotFound,
  type WatchEvent,
} from '../api';
import { Kinds } from '../kinds';
import { nameOf, type KubeObject, type Node, type Pod, type PodDisruptionBudget } from '../objects';
import { MemoryApiServer, type Admission } from './memory-api-server';

const T0 = Date.UTC(2026, 0, 1);
let clock: SimClock;
let api: MemoryApiServer;

beforeEach(() => {
  clock = new SimClock(T0);
  api = new MemoryApiServer({ clock });
});

function pod(
  name: string,
  opts: { namespace?: string; labels?: Record<string, string>; ready?: boolean } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'default', labels: opts.labels ?? { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

function node(name: string, extra: Partial<Node['metadata']> = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, ...extra },
    spec: { providerID: `sim:///${name}` },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pdb(
  name: string,
  spec: Partial<PodDisruptionBudget['spec']>,
  namespace = 'default',
): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

function summarize(events: WatchEvent<KubeObject>[]): string[] {
  return events.map(
    (e) =>
      `${e.type} ${e.object.metadata.namespace ? `${e.object.metadata.namespace}/` : ''}${e.object.metadata.name}@${e.object.metadata.resourceVersion}`,
  );
}

describe('resourceVersion', () => {
  it('is a single monotonic counter across kinds and operations', async () => {
    expect(api.resourceVersion).toBe('0');
    const n = await api.create(Kinds.Node, node('n1'));
    const p = await api.create(Kinds.Pod, pod('p1'));
    const n2 = await api.patch(Kinds.Node, 'n1', { metadata: { labels: { a: 'b' } } });
    const b = await api.create(Kinds.PodDisruptionBudget, pdb('b', { minAvailable: 1 }));
    expect([n, p, n2, b].map((o) => o.metadata.resourceVersion)).toEqual(['1', '2', '3', '4']);
    expect(api.resourceVersion).toBe('4');
    await api.delete(Kinds.Pod, 'p1', 'default');
    expect(api.resourceVersion).toBe('5');
    expect((await api.list(Kinds.Node)).resourceVersion).toBe('5');
  });
});

describe('create', () => {
  it('sets uid, creationTimestamp from the clock, generation 1, apiVersion and kind', async () => {
    await clock.advance(90_000);
    const created = await api.create(Kinds.Node, {
      ...node('n1'),
      apiVersion: 'wrong',
      kind: 'Wrong',
    } as unknown as Node);
    expect(created.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(created.metadata.creationTimestamp).toBe('2026-01-01T00:01:30.000Z');
    expect(created.metadata.generation).toBe(1);
    expect(created.apiVersion).toBe('v1');
    expect(created.kind).toBe('Node');
    const other = await api.create(Kinds.Node, node('n2'));
    expect(other.metadata.uid).not.toBe(created.metadata.uid);
  });

  it('defaults the namespace of namespaced kinds and strips it from cluster-scoped kinds', async () => {
    const p = pod('p1');
    delete p.metadata.namespace;
    expect((await api.create(Kinds.Pod, p)).metadata.namespace).toBe('default');
    const n = await api.create(Kinds.Node, node('n1', { namespace: 'kube-system' }));
    expect(n.metadata.namespace).toBeUndefined();
    expect(await api.get(Kinds.Node, 'n1')).toBeDefined();
  });

  it('ignores client-supplied deletionTimestamp', async () => {
    const created = await api.create(Kinds.Node, node('n1', { deletionTimestamp: '2020-01-01T00:00:00Z' }));
    expect(created.metadata.deletionTimestamp).toBeUndefined();
  });

  it('refuses a duplicate name with AlreadyExists (409) and leaves the original alone', async () => {
    await api.create(Kinds.Pod, pod('p1', { labels: { v: '1' } }));
    const err = await rejection(api.create(Kinds.Pod, pod('p1', { labels: { v: '2' } })));
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect((err as ApiError).status).toBe(409);
    expect(isConflict(err)).toBe(false);
    expect((await api.get(Kinds.Pod, 'p1', 'default'))?.metadata.labels).toEqual({ v: '1' });
    expect(api.resourceVersion).toBe('1');
    // The same name in another namespace is a different object.
    await expect(api.create(Kinds.Pod, pod('p1', { namespace: 'other' }))).resolves.toBeDefined();
  });

  it('generateName yields distinct names with the prefix', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const created = await api.create(Kinds.Node, {
        ...node(''),
        metadata: { generateName: 'default-' },
      });
      expect(created.metadata.name).toMatch(/^default-[a-z0-9]{5}$/);
      names.add(nameOf(created));
    }
    expect(names.size).toBe(50);
    expect(api.peekAll(Kinds.Node)).toHaveLength(50);
  });

  it('requires a name or generateName', async () => {
    const err = await rejection(api.create(Kinds.Node, { ...node(''), metadata: {} }));
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as ApiError).status).toBe(422);
  });

  it('deep-copies in and out so callers cannot mutate the store', async () => {
    const input = pod('p1');
    const created = await api.create(Kinds.Pod, input);
    input.metadata.labels = { changed: 'in' };
    created.spec.containers[0]!.image = 'changed-out';
    const fetched = await api.get(Kinds.Pod, 'p1', 'default');
    expect(fetched?.metadata.labels).toEqual({ app: 'web' });
    expect(fetched?.spec.containers[0]?.image).toBe('nginx');
    expect(input.metadata.uid).toBeUndefined();
  });
});

describe('get and list', () => {
  it('get returns undefined for a missing object', async () => {
    expect(await api.get(Kinds.Pod, 'nope', 'default')).toBeUndefined();
    expect(api.peek(Kinds.Node, 'nope')).toBeUndefined();
  });

  it('lists by namespace and label selector', async () => {
    await api.create(Kinds.Pod, pod('a', { labels: { app: 'web', tier: 'fe' } }));
    await api.create(Kinds.Pod, pod('b', { labels: { app: 'api' } }));
    await api.create(Kinds.Pod, pod('c', { namespace: 'other', labels: { app: 'web' } }));
    await api.create(Kinds.Node, node('n1'));

    const names = async (opts?: Parameters<MemoryApiServer['list']>[1]): Promise<string[]> =>
      (await api.list(Kinds.Pod, opts)).items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();

    expect(await names()).toEqual(['default/a', 'default/b', 'other/c']);
    expect(await names({ namespace: 'default' })).toEqual(['default/a', 'default/b']);
    expect(await names({ namespace: 'other' })).toEqual(['other/c']);
    expect(await names({ labelSelector: 'app=web' })).toEqual(['default/a', 'other/c']);
    expect(await names({ labelSelector: 'app=web', namespace: 'default' })).toEqual(['default/a']);
    expect(await names({ labelSelector: 'app!=web' })).toEqual(['default/b']);
    expect(await names({ labelSelector: 'tier' })).toEqual(['default/a']);
    expect(await names({ labelSelector: '!tier,app=web' })).toEqual(['other/c']);
    expect(await names({ namespace: 'empty' })).toEqual([]);
    expect((await api.list(Kinds.Pod)).resourceVersion).toBe('4');
  });
});

describe('update', () => {
  it('fails with ConflictError (409) on a stale resourceVersion and changes nothing', async () => {
    const v1 = await api.create(Kinds.Node, node('n1'));
    await api.update(Kinds.Node, { ...v1, metadata: { ...v1.metadata, labels: { by: 'first' } } });
    const err = await rejection(
      api.update(Kinds.Node, { ...v1, metadata: { ...v1.metadata, labels: { by: 'stale' } } }),
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ApiError).status).toBe(409);
    expect(isConflict(err)).toBe(true);
    expect((await api.get(Kinds.Node, 'n1'))?.metadata.labels).toEqual({ by: 'first' });
    expect(api.resourceVersion).toBe('2');
  });

  it('succeeds with the current resourceVersion and bumps generation only when spec changes', async () => {
    const v1 = await api.create(Kinds.Node, node('n1'));
    const v2 = await api.update(Kinds.Node, { ...v1, metadata: { ...v1.metadata, labels: { a: 'b' } } });
    expect(v2.metadata.resourceVersion).toBe('2');
    expect(v2.metadata.generation).toBe(1);
    expect(v2.metadata.labels).toEqual({ a: 'b' });

    const v3 = await api.update(Kinds.Node, { ...v2, spec: { ...v2.spec, unschedulable: true } });
    expect(v3.metadata.resourceVersion).toBe('3');
    expect(v3.metadata.generation).toBe(2);
    expect(v3.spec?.unschedulable).toBe(true);

    // A client cannot set generation itself.
    const v4 = await api.update(Kinds.Node, { ...v3, metadata: { ...v3.metadata, generation: 42 } });
    expect(v4.metadata.generation).toBe(2);
  });

  it('keeps uid and creationTimestamp, and never changes status', async () => {
    const v1 = await api.create(Kinds.Node, node('n1'));
    await clock.advance(5000);
    const v2 = await api.update(Kinds.Node, {
      ...v1,
      metadata: { ...v1.metadata, uid: 'forged', creationTimestamp: '1999-01-01T00:00:00Z' },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    });
    expect(v2.metadata.uid).toBe(v1.metadata.uid);
    expect(v2.metadata.creationTimestamp).toBe('2026-01-01T00:00:00.000Z');
    expect(v2.status).toEqual({ conditions: [{ type: 'Ready', status: 'True' }] });
    expect((await api.get(Kinds.Node, 'n1'))?.status).toEqual({
      conditions: [{ type: 'Ready', status: 'True' }],
    });
  });

  it('without a resourceVersion is unconditional', async () => {
    await api.create(Kinds.Node, node('n1'));
    await api.patch(Kinds.Node, 'n1', { metadata: { labels: { x: '1' } } });
    const out = await api.update(Kinds.Node, node('n1', { labels: { y: '2' } }));
    expect(out.metadata.labels).toEqual({ y: '2' });
    expect(out.metadata.resourceVersion).toBe('3');
  });

  it('of a missing object is NotFound (404)', async () => {
    const err = await rejection(api.update(Kinds.Node, node('ghost')));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(isNotFound(err)).toBe(true);
  });
});

describe('updateStatus', () => {
  it('changes only status, never spec or metadata, and does not bump generation', async () => {
    const v1 = await api.create(Kinds.Node, node('n1', { labels: { a: 'b' } }));
    const v2 = await api.updateStatus(Kinds.Node, {
      ...v1,
      metadata: { ...v1.metadata, labels: { hacked: 'yes' } },
      spec: { providerID: 'changed', unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    });
    expect(v2.status).toEqual({ conditions: [{ type: 'Ready', status: 'False' }] });
    expect(v2.spec).toEqual({ providerID: 'sim:///n1' });
    expect(v2.metadata.labels).toEqual({ a: 'b' });
    expect(v2.metadata.generation).toBe(1);
    expect(v2.metadata.resourceVersion).toBe('2');
  });

  it('fails with ConflictError on a stale resourceVersion', async () => {
    const v1 = await api.create(Kinds.Node, node('n1'));
    await api.updateStatus(Kinds.Node, { ...v1, status: { capacity: { cpu: '1' } } });
    await expect(
      api.updateStatus(Kinds.Node, { ...v1, status: { capacity: { cpu: '2' } } }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await api.get(Kinds.Node, 'n1'))?.status).toEqual({ capacity: { cpu: '1' } });
  });
});

describe('patch', () => {
  it('applies merge-patch semantics: objects merge, null deletes, arrays replace', async () => {
    await api.create(Kinds.Node, {
      ...node('n1', { labels: { keep: '1', drop: '2' }, annotations: { a: 'x' } }),
      spec: { providerID: 'sim:///n1', taints: [{ key: 'a', effect: 'NoSchedule' }] },
    });
    const out = await api.patch(Kinds.Node, 'n1', {
      metadata: { labels: { drop: null, add: '3' }, annotations: null },
      spec: { taints: [{ key: 'b', effect: 'NoExecute' }] },
    });
    expect(out.metadata.labels).toEqual({ keep: '1', add: '3' });
    expect(out.metadata.annotations).toBeUndefined();
    expect(out.spec).toEqual({ providerID: 'sim:///n1', taints: [{ key: 'b', effect: 'NoExecute' }] });
    expect(out.metadata.generation).toBe(2);
    expect(await api.get(Kinds.Node, 'n1')).toEqual(out);
  });

  it('cannot change identity fields', async () => {
    const v1 = await api.create(Kinds.Pod, pod('p1'));
    const out = await api.patch(
      Kinds.Pod,
      'p1',
      {
        metadata: {
          name: 'renamed',
          namespace: 'elsewhere',
          uid: 'forged',
          creationTimestamp: '1999-01-01T00:00:00Z',
          deletionTimestamp: '1999-01-01T00:00:00Z',
          resourceVersion: v1.metadata.resourceVersion,
        },
      },
      'default',
    );
    expect(out.metadata).toMatchObject({
      name: 'p1',
      namespace: 'default',
      uid: v1.metadata.uid,
      creationTimestamp: v1.metadata.creationTimestamp,
      resourceVersion: '2',
    });
    expect(out.metadata.deletionTimestamp).toBeUndefined();
    expect(await api.get(Kinds.Pod, 'renamed', 'elsewhere')).toBeUndefined();
    // A resourceVersion is not set by a patch but checked, as the API server does: a stale one is a conflict.
    await expect(
      api.patch(Kinds.Pod, 'p1', { metadata: { resourceVersion: v1.metadata.resourceVersion } }, 'default'),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('of a missing object is NotFound', async () => {
    await expect(api.patch(Kinds.Node, 'ghost', { metadata: { labels: { a: 'b' } } })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('delete and finalizers', () => {
  it('deletes an object without finalizers immediately', async () => {
    await api.create(Kinds.Pod, pod('p1'));
    await api.delete(Kinds.Pod, 'p1', 'default');
    expect(await api.get(Kinds.Pod, 'p1', 'default')).toBeUndefined();
    await expect(api.delete(Kinds.Pod, 'p1', 'default')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('only marks an object holding finalizers, then deletes it when the last finalizer goes', async () => {
    const events: WatchEvent<Node>[] = [];
    await api.watch(Kinds.Node, { resourceVersion: api.resourceVersion }, (e) => events.push(e));
    await api.create(Kinds.Node, node('n1', { finalizers: ['karpenter.sh/termination', 'other/f'] }));
    await clock.advance(60_000);

    await api.delete(Kinds.Node, 'n1');
    const marked = await api.get(Kinds.Node, 'n1');
    expect(marked?.metadata.deletionTimestamp).toBe('2026-01-01T00:01:00.000Z');
    expect(marked?.metadata.resourceVersion).toBe('2');

    // Deleting again is a no-op: no new resourceVersion, no event.
    await api.delete(Kinds.Node, 'n1');
    expect(api.resourceVersion).toBe('2');

    // Removing one finalizer keeps it; removing the last deletes it.
    await api.patch(Kinds.Node, 'n1', { metadata: { finalizers: ['other/f'] } });
    expect(await api.get(Kinds.Node, 'n1')).toBeDefined();
    const current = (await api.get(Kinds.Node, 'n1')) as Node;
    await api.update(Kinds.Node, { ...current, metadata: { ...current.metadata, finalizers: [] } });
    expect(await api.get(Kinds.Node, 'n1')).toBeUndefined();

    await flushAsync();
    expect(
      events.map((e) => [e.type, e.object.metadata.finalizers ?? [], !!e.object.metadata.deletionTimestamp]),
    ).toEqual([
      ['ADDED', ['karpenter.sh/termination', 'other/f'], false],
      ['MODIFIED', ['karpenter.sh/termination', 'other/f'], true],
      ['MODIFIED', ['other/f'], true],
      ['DELETED', [], true],
    ]);
    // The DELETED event carries a resourceVersion newer than anything before it.
    expect(Number(events[3]?.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(events[2]?.object.metadata.resourceVersion),
    );
  });

  it('a terminating object cannot gain finalizers, by patch or update', async () => {
    await api.create(Kinds.Node, node('n1', { finalizers: ['a'] }));
    await api.delete(Kinds.Node, 'n1');
    const err = await rejection(api.patch(Kinds.Node, 'n1', { metadata: { finalizers: ['a', 'b'] } }));
    expect(err).toBeInstanceOf(InvalidError);
    const current = (await api.get(Kinds.Node, 'n1')) as Node;
    await expect(
      api.update(Kinds.Node, { ...current, metadata: { ...current.metadata, finalizers: ['c'] } }),
    ).rejects.toBeInstanceOf(InvalidError);
    expect((await api.get(Kinds.Node, 'n1'))?.metadata.finalizers).toEqual(['a']);
    // A live object may gain finalizers.
    await api.create(Kinds.Node, node('n2'));
    const n2 = await api.patch(Kinds.Node, 'n2', { metadata: { finalizers: ['x'] } });
    expect(n2.metadata.finalizers).toEqual(['x']);
  });

  it('an update cannot clear deletionTimestamp', async () => {
    await api.create(Kinds.Node, node('n1', { finalizers: ['a'] }));
    await api.delete(Kinds.Node, 'n1');
    const current = (await api.get(Kinds.Node, 'n1')) as Node;
    const cleared = structuredClone(current);
    delete cleared.metadata.deletionTimestamp;
    const out = await api.update(Kinds.Node, cleared);
    expect(out.metadata.deletionTimestamp).toBe('2026-01-01T00:00:00.000Z');
    expect((await api.get(Kinds.Node, 'n1'))?.metadata.deletionTimestamp).toBe('2026-01-01T00:00:00.000Z');
  });

  it('honours a resourceVersion precondition', async () => {
    const v1 = await api.create(Kinds.Pod, pod('p1'));
    const v2 = await api.patch(Kinds.Pod, 'p1', { metadata: { labels: { x: 'y' } } }, 'default');
    const err = await rejection(
      api.delete(Kinds.Pod, 'p1', 'default', { resourceVersion: v1.metadata.resourceVersion as string }),
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect(await api.get(Kinds.Pod, 'p1', 'default')).toBeDefined();
    await api.delete(Kinds.Pod, 'p1', 'default', { resourceVersion: v2.metadata.resourceVersion as string });
    expect(await api.get(Kinds.Pod, 'p1', 'default')).toBeUndefined();
  });
});

describe('watch', () => {
  it('delivers ADDED, MODIFIED and DELETED in order, asynchronously', async () => {
    const events: WatchEvent<Pod>[] = [];
    await api.watch(Kinds.Pod, { resourceVersion: api.resourceVersion }, (e) => events.push(e));
    // The writes take effect synchronously; delivery does not: the server yields like a network would.
    void api.create(Kinds.Pod, pod('p1'));
    void api.patch(Kinds.Pod, 'p1', { metadata: { labels: { v: '2' } } }, 'default');
    void api.delete(Kinds.Pod, 'p1', 'default');
    expect(api.resourceVersion).toBe('3');
    expect(events).toHaveLength(0);
    await flushAsync();
    expect(summarize(events)).toEqual([
      'ADDED default/p1@1',
      'MODIFIED default/p1@2',
      'DELETED default/p1@3',
    ]);
    expect(events[1]?.object.metadata.labels).toEqual({ app: 'web', v: '2' });
  });

  it('delivers copies: a handler mutating an event does not affect the store or other watchers', async () => {
    const a: WatchEvent<Pod>[] = [];
    const b: WatchEvent<Pod>[] = [];
    await api.watch(Kinds.Pod, { resourceVersion: '0' }, (e) => {
      e.object.metadata.labels = { mutated: 'yes' };
      a.push(e);
    });
    await api.watch(Kinds.Pod, { resourceVersion: '0' }, (e) => b.push(e));
    await api.create(Kinds.Pod, pod('p1'));
    await flushAsync();
    expect(a[0]?.object.metadata.labels).toEqual({ mutated: 'yes' });
    expect(b[0]?.object.metadata.labels).toEqual({ app: 'web' });
    expect((await api.get(Kinds.Pod, 'p1', 'default'))?.metadata.labels).toEqual({ app: 'web' });
  });

  it('only delivers events of the watched kind, filtered by namespace', async () => {
    const events: WatchEvent<Pod>[] = [];
    await api.watch(Kinds.Pod, { resourceVersion: api.resourceVersion, namespace: 'team-a' }, (e) =>
      events.push(e),
    );
    await api.create(Kinds.Pod, pod('p1', { namespace: 'team-a' }));
    await api.create(Kinds.Pod, pod('p2', { namespace: 'team-b' }));
    await api.create(Kinds.Node, node('n1'));
    await api.create(Kinds.Pod, pod('p3', { namespace: 'team-a' }));
    await flushAsync();
    expect(summarize(events)).toEqual(['ADDED team-a/p1@1', 'ADDED team-a/p3@4']);
  });

  it('resumes from a resourceVersion, replaying only later events before live ones', async () => {
    await api.create(Kinds.Pod, pod('p1'));
    const { resourceVersion } = await api.list(Kinds.Pod);
    await api.create(Kinds.Pod, pod('p2'));
    await api.create(Kinds.Node, node('n1'));
    await api.patch(Kinds.Pod, 'p1', { metadata: { labels: { x: '1' } } }, 'default');

    const events: WatchEvent<Pod>[] = [];
    await api.watch(Kinds.Pod, { resourceVersion }, (e) => events.push(e));
    await api.delete(Kinds.Pod, 'p2', 'default');
    await flushAsync();
    expect(summarize(events)).toEqual([
      'ADDED default/p2@2',
      'MODIFIED default/p1@4',
      'DELETED default/p2@5',
    ]);
  });

  it('starting from the current resourceVersion (or none) replays nothing', async () => {
    await api.create(Kinds.Pod, pod('p1'));
    const fromCurrent: WatchEvent<Pod>[] = [];
    const fromEmpty: WatchEvent<Pod>[] = [];
    await api.watch(Kinds.Pod, { resourceVersion: api.resourceVersion }, (e) => fromCurrent.push(e));
    await api.watch(Kinds.Pod, { resourceVersion: '' }, (e) => fromEmpty.push(e));
    await api.create(Kinds.Pod, pod('p2'));
    await flushAsync();
    expect(summarize(fromCurrent)).toEqual(['ADDED default/p2@2']);
    expect(summarize(fromEmpty)).toEqual(['ADDED default/p2@2']);
  });

  it('throws GoneError (410) after compact() when resuming from before the retained history', async () => {
    await api.create(Kinds.Pod, pod('p1'));
    await api.create(Kinds.Pod, pod('p2'));
    await api.create(Kinds.Pod, pod('p3'));
    api.compact();

    const err = await rejection(api.watch(Kinds.Pod, { resourceVersion: '1' }, () => undefined));
    expect(err).toBeInstanceOf(GoneError);
    expect((err as ApiError).status).toBe(410);
    expect((err as ApiError).reason).toBe('Expired');

    // Resuming from the current resourceVersion still works and sees new events.
    const events: WatchEvent<Pod>[] = [];
    await api.watch(Kinds.Pod, { resourceVersion: '3' }, (e) => events.push(e));
    await api.create(Kinds.Pod, pod('p4'));
    await flushAsync();
    expect(summarize(events)).toEqual(['ADDED default/p4@4']);
  });

  it('compact(keep) retains the latest events: resuming inside them replays, before them is Gone', async () => {
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) await api.create(Kinds.Pod, pod(name));
    api.compact(2);

    await expect(api.watch(Kinds.Pod, { resourceVersion: '2' }, () => undefined)).rejects.toBeInstanceOf(
      GoneError,
    );
    const events: WatchEvent<Pod>[] = [];
    await api.watch(Kinds.Pod, { resourceVersion: '3' }, (e) => events.push(e));
    await flushAsync();
    expect(summarize(events)).toEqual(['ADDED default/p4@4', 'ADDED default/p5@5']);
  });

  it('historyLimit bounds the history kept for resuming', async () => {
    api = new MemoryApiServer({ clock, historyLimit: 2 });
    for (const name of ['p1', 'p2', 'p3', 'p4']) await api.create(Kinds.Pod, pod(name));
    await expect(api.watch(Kinds.Pod, { resourceVersion: '1' }, () => undefined)).rejects.toBeInstanceOf(
      GoneError,
    );
    const events: WatchEvent<Pod>[] = [];
    await api.watch(Kinds.Pod, { resourceVersion: '2' }, (e) => events.push(e));
    await flushAsync();
    expect(summarize(events)).toEqual(['ADDED default/p3@3', 'ADDED default/p4@4']);
  });

  it('stop() stops delivery, including events already queued', async () => {
    const events: WatchEvent<Pod>[] = [];
    const handle = await api.watch(Kinds.Pod, { resourceVersion: api.resourceVersion }, (e) =>
      events.push(e),
    );
    await api.create(Kinds.Pod, pod('p1'));
    await flushAsync();
    void api.create(Kinds.Pod, pod('p2'));
    handle.stop();
    await api.create(Kinds.Pod, pod('p3'));
    await flushAsync();
    expect(summarize(events)).toEqual(['ADDED default/p1@1']);
  });
});

describe('evict', () => {
  async function createPods(n: number, opts: { ready?: boolean } = {}): Promise<void> {
    for (let i = 0; i < n; i++) await api.create(Kinds.Pod, pod(`web-${i}`, opts));
  }
  const exists = (name: string): boolean => api.peek(Kinds.Pod, name, 'default') !== undefined;

  it('deletes a pod no PodDisruptionBudget selects', async () => {
    await createPods(1);
    await api.create(Kinds.PodDisruptionBudget, pdb('other', { minAvailable: 1 }, 'other-ns'));
    await api.evict('web-0', 'default');
    expect(exists('web-0')).toBe(false);
  });

  it('only marks a pod with finalizers for deletion', async () => {
    await api.create(Kinds.Pod, { ...pod('p1'), metadata: { ...pod('p1').metadata, finalizers: ['f'] } });
    await api.evict('p1', 'default');
    expect(api.peek(Kinds.Pod, 'p1', 'default')?.metadata.deletionTimestamp).toBe('2026-01-01T00:00:00.000Z');
  });

  it('of a missing pod is NotFound', async () => {
    await expect(api.evict('ghost', 'default')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('with minAvailable 2 of 3 allows one eviction, then refuses with 429 naming the budget', async () => {
    await createPods(3);
    await api.create(Kinds.PodDisruptionBudget, pdb('web', { minAvailable: 2 }));
    await api.evict('web-0', 'default');
    expect(exists('web-0')).toBe(false);

    const err = await rejection(api.evict('web-1', 'default'));
    expect(err).toBeInstanceOf(TooManyRequestsError);
    expect((err as ApiError).status).toBe(429);
    expect((err as Error).message).toBe(
      "Cannot evict pod as it would violate the pod's disruption budget (default/web).",
    );
    expect(api.peekAll(Kinds.Pod).map((p) => p.metadata.name)).toEqual(['web-1', 'web-2']);
  });

  // Four selected pods, `healthy` of them Ready and the rest not; evicting a healthy one is allowed or refused.
  it.each<[string, Partial<PodDisruptionBudget['spec']>, number, boolean]>([
    ['minAvailable 3, 4 healthy', { minAvailable: 3 }, 4, true],
    ['minAvailable 3, 3 healthy', { minAvailable: 3 }, 3, false],
    ['maxUnavailable 1, 4 healthy', { maxUnavailable: 1 }, 4, true],
    ['maxUnavailable 1, 3 healthy', { maxUnavailable: 1 }, 3, false],
    ['minAvailable 50%, 3 healthy', { minAvailable: '50%' }, 3, true],
    ['minAvailable 50%, 2 healthy', { minAvailable: '50%' }, 2, false],
    ['maxUnavailable 25%, 4 healthy', { maxUnavailable: '25%' }, 4, true],
    ['maxUnavailable 25%, 3 healthy', { maxUnavailable: '25%' }, 3, false],
    // 60% of 4 = 2.4 rounds up to 3 pods that must stay available.
    ['minAvailable 60% (rounds up), 4 healthy', { minAvailable: '60%' }, 4, true],
    ['minAvailable 60% (rounds up), 3 healthy', { minAvailable: '60%' }, 3, false],
    // 30% of 4 = 1.2 rounds up to 2 pods that may be unavailable.
    ['maxUnavailable 30% (rounds up), 3 healthy', { maxUnavailable: '30%' }, 3, true],
    ['maxUnavailable 30% (rounds up), 2 healthy', { maxUnavailable: '30%' }, 2, false],
  ])('with %s: allowed=%s', async (_name, spec, healthy, allowed) => {
    for (let i = 0; i < 4; i++) await api.create(Kinds.Pod, pod(`web-${i}`, { ready: i < healthy }));
    await api.create(Kinds.PodDisruptionBudget, pdb('web', spec));
    const outcome = api.evict('web-0', 'default');
    if (allowed) {
      await outcome;
      expect(exists('web-0')).toBe(false);
    } else {
      const err = await rejection(outcome);
      expect(err).toBeInstanceOf(TooManyRequestsError);
      expect((err as ApiError).status).toBe(429);
      expect(exists('web-0')).toBe(true);
    }
  });

  it('counts unready pods against the budget and succeeds once enough are healthy', async () => {
    await createPods(2);
    await api.create(Kinds.Pod, pod('web-unready', { ready: false }));
    await api.create(Kinds.PodDisruptionBudget, pdb('web', { minAvailable: 2 }));

    await expect(api.evict('web-0', 'default')).rejects.toBeInstanceOf(TooManyRequestsError);

    await api.updateStatus(Kinds.Pod, {
      ...(api.peek(Kinds.Pod, 'web-unready', 'default') as Pod),
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    await api.evict('web-0', 'default');
    expect(exists('web-0')).toBe(false);
    await expect(api.evict('web-1', 'default')).rejects.toBeInstanceOf(TooManyRequestsError);
  });

  it('always allows evicting a pod that is not Running', async () => {
    await createPods(2);
    await api.create(Kinds.Pod, { ...pod('pending'), status: { phase: 'Pending' } });
    await api.create(Kinds.PodDisruptionBudget, pdb('web', { maxUnavailable: 0 }));
    await api.evict('pending', 'default');
    expect(exists('pending')).toBe(false);
  });

  it('returns ApiError 500 when two PodDisruptionBudgets select the pod', async () => {
    await createPods(3);
    await api.create(Kinds.PodDisruptionBudget, pdb('a', { minAvailable: 0 }));
    await api.create(Kinds.PodDisruptionBudget, pdb('b', { maxUnavailable: 3 }));
    const err = await rejection(api.evict('web-0', 'default'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(TooManyRequestsError);
    expect((err as ApiError).status).toBe(500);
    expect((err as ApiError).reason).toBe('InternalError');
    expect(exists('web-0')).toBe(true);
  });
});

describe('admission', () => {
  const noBadLabels: Admission = (kind, obj) => {
    if (obj.metadata.labels?.['bad'] !== undefined) {
      throw new InvalidError(`${kind.kind} ${obj.metadata.name}: label "bad" is not allowed`);
    }
  };

  beforeEach(() => {
    api = new MemoryApiServer({ clock, admission: [noBadLabels] });
  });

  it('can reject a create, which then stores nothing and uses no resourceVersion', async () => {
    const err = await rejection(api.create(Kinds.Node, node('n1', { labels: { bad: 'x' } })));
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as Error).message).toBe('Node n1: label "bad" is not allowed');
    expect(await api.get(Kinds.Node, 'n1')).toBeUndefined();
    expect(api.resourceVersion).toBe('0');
  });

  it('can reject an update and a patch, leaving the object as it was', async () => {
    const v1 = await api.create(Kinds.Node, node('n1', { labels: { good: 'y' } }));
    await expect(
      api.update(Kinds.Node, { ...v1, metadata: { ...v1.metadata, labels: { bad: 'x' } } }),
    ).rejects.toBeInstanceOf(InvalidError);
    await expect(api.patch(Kinds.Node, 'n1', { metadata: { labels: { bad: 'x' } } })).rejects.toBeInstanceOf(
      InvalidError,
    );
    expect((await api.get(Kinds.Node, 'n1'))?.metadata.labels).toEqual({ good: 'y' });
    expect(api.resourceVersion).toBe('1');
  });

  it('sees the kind and the object it is asked to admit', async () => {
    const seen: string[] = [];
    api = new MemoryApiServer({
      clock,
      admission: [(kind, obj) => void seen.push(`${kind.plural}:${obj.metadata.name}:${obj.kind}`)],
    });
    await api.create(Kinds.Node, node('n1'));
    await api.create(Kinds.Pod, pod('p1'));
    expect(seen).toEqual(['nodes:n1:Node', 'pods:p1:Pod']);
  });
});

describe('restore', () => {
  it("keeps another cluster's uid, times and status, admits the object, and emits ADDED", async () => {
    const events: string[] = [];
    await api.watch(Kinds.Pod, { resourceVersion: '0' }, (e) => events.push(`${e.type}:${nameOf(e.object)}`));
    const p = pod('old');
    p.metadata.uid = 'uid-from-cluster';
    p.metadata.creationTimestamp = '2025-06-01T00:00:00Z';
    const stored = api.restore(Kinds.Pod, p);
    expect(stored.metadata).toMatchObject({
      uid: 'uid-from-cluster',
      creationTimestamp: '2025-06-01T00:00:00Z',
      resourceVersion: api.resourceVersion,
    });
    expect((await api.get(Kinds.Pod, 'old'))?.status?.phase).toBe('Running');
    expect(() => api.restore(Kinds.Pod, p)).toThrow(AlreadyExistsError);
    const refuse: Admission = () => {
      throw new InvalidError('no');
    };
    const strict = new MemoryApiServer({ clock, admission: [refuse] });
    expect(() => strict.restore(Kinds.Pod, pod('x'))).toThrow('no');
    await flushAsync();
    expect(events).toEqual(['ADDED:old']);
  });
});
