import { nodePool } from '../scheduling/testing';
import { SimClock, flushAsync } from '../clock/sim-clock';
import { CachedReads } from './cached-reads';
import { Informer } from './informer';
import { Kinds, type ResourceKind } from './kinds';
import { MemoryApiServer } from './memory/memory-api-server';
import type { KubeObject, Node } from './objects';

/** The memory server, counting its GETs per kind. */
function countingServer() {
  const server = new MemoryApiServer({ clock: new SimClock(0) });
  const gets: string[] = [];
  const get = server.get.bind(server);
  server.get = <T extends KubeObject>(kind: ResourceKind<T>, name: string, namespace?: string) => {
    gets.push(kind.kind);
    return get(kind, name, namespace);
  };
  return { server, gets };
}

const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });

describe('CachedReads', () => {
  it('answers GETs of a served kind from its synced informer, and asks the server before it syncs', async () => {
    const { server, gets } = countingServer();
    await server.create(Kinds.NodePool, nodePool('default'));
    const reads = new CachedReads(server);
    const informer = new Informer(server, Kinds.NodePool, new SimClock(0));
    reads.serve(Kinds.NodePool, informer);

    expect((await reads.get(Kinds.NodePool, 'default'))?.metadata.name).toBe('default');
    expect(gets).toEqual(['NodePool']);

    await informer.start();
    for (let i = 0; i < 5; i++)
      expect((await reads.get(Kinds.NodePool, 'default'))?.metadata.name).toBe('default');
    expect(gets).toEqual(['NodePool']);

    // Changes reach the answers through the watch.
    await server.patch(Kinds.NodePool, 'default', { spec: { weight: 7 } });
    await flushAsync();
    expect((await reads.get(Kinds.NodePool, 'default'))?.spec.weight).toBe(7);
    informer.stop();
  });

  it('asks the server about a miss: an object the watch has not brought yet is found, a gone one is not', async () => {
    const { server, gets } = countingServer();
    const reads = new CachedReads(server);
    const informer = new Informer(server, Kinds.NodePool, new SimClock(0));
    reads.serve(Kinds.NodePool, informer);
    await informer.start();
    informer.stop(); // no watch events from here: the cache stays as it was at the list
    informer['isSynced'] = true;

    await server.create(Kinds.NodePool, nodePool('new'));
    expect((await reads.get(Kinds.NodePool, 'new'))?.metadata.name).toBe('new');
    expect(await reads.get(Kinds.NodePool, 'missing')).toBeUndefined();
    expect(gets).toEqual(['NodePool', 'NodePool']);
  });

  it('answers a miss for an object the watch saw deleted from the cache, until the name is seen again', async () => {
    const { server, gets } = countingServer();
    await server.create(Kinds.Node, node('gone'));
    const reads = new CachedReads(server);
    const informer = new Informer(server, Kinds.Node, new SimClock(0));
    reads.serve(Kinds.Node, informer);
    await informer.start();
    await server.delete(Kinds.Node, 'gone');
    await flushAsync();
    expect(await reads.get(Kinds.Node, 'gone')).toBeUndefined();
    expect(await reads.get(Kinds.Node, 'never-seen')).toBeUndefined();
    expect(gets).toEqual(['Node']);
    // Made again under the same name: the watch brings it and the cache answers.
    await server.create(Kinds.Node, node('gone'));
    await flushAsync();
    expect((await reads.get(Kinds.Node, 'gone'))?.metadata.name).toBe('gone');
    expect(gets).toEqual(['Node']);
    informer.stop();
  });

  it('answers with copies: a caller changing one leaves the cache as it was', async () => {
    const { server } = countingServer();
    await server.create(Kinds.NodePool, nodePool('default'));
    const reads = new CachedReads(server);
    const informer = new Informer(server, Kinds.NodePool, new SimClock(0));
    reads.serve(Kinds.NodePool, informer);
    await informer.start();
    const answer = await reads.get(Kinds.NodePool, 'default');
    if (!answer) throw new Error('no answer');
    answer.spec.weight = 99;
    expect(informer.get('default')?.spec.weight).toBeUndefined();
    informer.stop();
  });

  it('sends every other kind, and every write, to the server', async () => {
    const { server, gets } = countingServer();
    const reads = new CachedReads(server);
    await reads.create(Kinds.Node, node('n1'));
    expect((await reads.get(Kinds.Node, 'n1'))?.metadata.name).toBe('n1');
    expect(gets).toEqual(['Node']);
    expect((await server.get(Kinds.Node, 'n1'))?.metadata.name).toBe('n1');
  });
});
