import { SimClock } from '../clock/sim-clock';
import { Kinds, type ResourceKind } from './kinds';
import { MemoryApiServer } from './memory/memory-api-server';
import type { KubeObject, NodeClaim } from './objects';
import { testNodeClaim } from './testing';
import { updateStatusFromCache } from './retry';

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
