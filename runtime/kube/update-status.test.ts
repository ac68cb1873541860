import { SimClock } from '../clock/sim-clock';
import { Kinds, type ResourceKind } from './kinds';
import { MemoryApiServer } from './memory/memory-api-server';
import type { KubeObject, Node, NodeClaim } from './objects';
import { testNodeClaim } from './testing';
import { patchFromCache, updateStatusFromCache } from './retry';

function server() {
  const api = new MemoryApiServer({ clock: new SimClock(0) });
  const gets: string[] = [];
  const get = api.get.bind(api);
  api.get = <T extends KubeObject>(kind: ResourceKind<T>, name: string, namespace?: string) => {
    gets.push(name);
    return get(kind, name, namespace);
  };
  return { api, gets };
}

const withNodeName = (nodeName: string) => (claim: NodeClaim) => ({
  ...claim,
  status: { ...claim.status, nodeName },
});

describe('updateStatusFromCache', () => {
  it('writes from a current cache in one request, without a GET', async () => {
    const { api, gets } = server();
    const cached = await api.create(Kinds.NodeClaim, testNodeClaim('c1'));
    const written = await updateStatusFromCache(api, Kinds.NodeClaim, cached, withNodeName('n1'));
    expect(written?.status?.nodeName).toBe('n1');
    expect(gets).toEqual([]);
    expect(cached.status?.nodeName).toBeUndefined();
  });

  it('applies the change to a fresh read when the cache was stale, keeping what changed meanwhile', async () => {
    const { api, gets } = server();
    const cached = await api.create(Kinds.NodeClaim, testNodeClaim('c1'));
    await api.patch(Kinds.NodeClaim, 'c1', { metadata: { labels: { later: 'yes' } } });
    const written = await updateStatusFromCache(api, Kinds.NodeClaim, cached, withNodeName('n1'));
    expect(gets).toEqual(['c1']);
    expect(written?.status?.nodeName).toBe('n1');
    expect((await api.get(Kinds.NodeClaim, 'c1'))?.metadata.labels?.later).toBe('yes');
  });

  it('writes nothing when the fresh copy needs nothing', async () => {
    const { api } = server();
    const cached = await api.create(Kinds.NodeClaim, testNodeClaim('c1'));
    await api.patch(Kinds.NodeClaim, 'c1', { metadata: { labels: { later: 'yes' } } });
    const written = await updateStatusFromCache(api, Kinds.NodeClaim, cached, (c) =>
      c.metadata.labels?.later ? undefined : withNodeName('n1')(c),
    );
    expect(written).toBeUndefined();
    expect((await api.get(Kinds.NodeClaim, 'c1'))?.status?.nodeName).toBeUndefined();
  });
});

describe('patchFromCache', () => {
  const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} });
  const addTaint = (key: string) => (n: Node) =>
    n.spec?.taints?.some((t) => t.key === key)
      ? undefined
      : { spec: { taints: [...(n.spec?.taints ?? []), { key, effect: 'NoSchedule' }] } };

  it('patches from a current cache in one request, without a GET', async () => {
    const { api, gets } = server();
    const cached = await api.create(Kinds.Node, node('n1'));
    await patchFromCache(api, Kinds.Node, 'n1', cached, addTaint('a'));
    expect(gets).toEqual([]);
    expect((await api.get(Kinds.Node, 'n1'))?.spec?.taints?.map((t) => t.key)).toEqual(['a']);
  });

  it('recomputes on a fresh read when the cache was stale, so a change made in between is kept', async () => {
    const { api, gets } = server();
    const cached = await api.create(Kinds.Node, node('n1'));
    // Someone else taints the node after our cache saw it: a blind merge patch of the list would drop theirs.
    await api.patch(Kinds.Node, 'n1', { spec: { taints: [{ key: 'theirs', effect: 'NoSchedule' }] } });
    await patchFromCache(api, Kinds.Node, 'n1', cached, addTaint('a'));
    expect(gets).toEqual(['n1']);
    expect((await api.get(Kinds.Node, 'n1'))?.spec?.taints?.map((t) => t.key)).toEqual(['theirs', 'a']);
  });

  it('reads the server when the cache has no copy, and does nothing for an object that is gone', async () => {
    const { api, gets } = server();
    await api.create(Kinds.Node, node('n1'));
    await patchFromCache(api, Kinds.Node, 'n1', undefined, addTaint('a'));
    await patchFromCache(api, Kinds.Node, 'gone', undefined, addTaint('a'));
    expect(gets).toEqual(['n1', 'gone']);
    expect((await api.get(Kinds.Node, 'n1'))?.spec?.taints?.map((t) => t.key)).toEqual(['a']);
  });

  it('the memory server refuses a patch whose resourceVersion is not the current one, as the API server does', async () => {
    const { api } = server();
    const created = await api.create(Kinds.Node, node('n1'));
    await api.patch(Kinds.Node, 'n1', { metadata: { labels: { x: '1' } } });
    await expect(
      api.patch(Kinds.Node, 'n1', { metadata: { resourceVersion: created.metadata.resourceVersion } }),
    ).rejects.toThrow(/modified/);
  });
});
