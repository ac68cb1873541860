import pino from 'pino';
import { SimClock, flushAsync } from '../../clock/sim-clock';
import { CachedReads } from '../../kube/cached-reads';
import { Informer } from '../../kube/informer';
import { Kinds, type ResourceKind } from '../../kube/kinds';
import { withOverrides } from '../../kube/testing';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import { loadLabManifests } from '../../lab/seed-lab';
import type { EC2NodeClass, KubeObject, Node, NodeClaim, NodePool } from '../../kube/objects';
import { nodePool as testNodePool } from '../../scheduling/testing';
import { InsufficientCapacityError, NodeClaimNotFoundError } from '../types';
import { KWOK_PROVIDER_LABEL, createKwokCloudProvider, type KwokCloudProvider } from './index';

const T0 = Date.UTC(2026, 0, 1);

// The lab's node class: kubelet systemReserved cpu 150m.
const nodeClass = loadLabManifests().nodeClass[0] as EC2NodeClass;

const nodePool: NodePool = testNodePool('default');

function claim(name: string, types: string[], cpu = '100m'): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, labels: { 'karpenter.sh/nodepool': 'default', team: 'a' } },
    spec: {
      requirements: [
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: types },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      ],
      resources: { requests: { cpu } },
      taints: [{ key: 'dedicated', value: 'a', effect: 'NoSchedule' }],
      startupTaints: [{ key: 'cni-not-ready', effect: 'NoSchedule' }],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      expireAfter: '720h',
    },
  } as NodeClaim;
}

let api: MemoryApiServer;
let cloud: KwokCloudProvider;

beforeEach(async () => {
  const clock = new SimClock(T0);
  api = new MemoryApiServer({ clock });
  await api.create(Kinds.EC2NodeClass, nodeClass);
  await api.create(Kinds.NodePool, nodePool);
  cloud = await createKwokCloudProvider({ api, clock, logger: pino({ level: 'silent' }) });
});

describe('KwokCloudProvider', () => {
  it('sizes its types with the capacity settings it was given, as the registry passes them', async () => {
    const clock = new SimClock(T0);
    const sized = await createKwokCloudProvider({
      api,
      clock,
      logger: pino({ level: 'silent' }),
      capacity: { vmMemoryOverheadPercent: 0, reservedENIs: 1 },
    });
    const t3a = (await sized.getInstanceTypes(nodePool)).find((t) => t.name === 't3a.medium');
    // No VM overhead; 2 of 3 ENIs × 5 addresses + 2 pods.
    expect(t3a?.capacity).toMatchObject({ memory: 4096 * 2 ** 20, pods: 12 });
  });

  it('launches a claim as a kwok-managed Node with the capacity of the cheapest fitting type', async () => {
    const launched = await cloud.create(claim('c1', ['t3a.medium', 't3a.xlarge']));
    expect(launched.status?.providerID).toBe('kwok://c1');
    expect(launched.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('t3a.medium');

    const node = (await api.get(Kinds.Node, 'c1')) as Node;
    expect(node.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect(node.spec?.providerID).toBe('kwok://c1');
    expect(node.metadata.labels).toMatchObject({
      'node.kubernetes.io/instance-type': 't3a.medium',
      'karpenter.sh/nodepool': 'default',
      'karpenter.sh/capacity-type': 'on-demand',
      'kubernetes.io/hostname': 'c1',
      team: 'a',
      [KWOK_PROVIDER_LABEL]: 'true',
    });
    expect(node.metadata.labels?.['topology.kubernetes.io/zone']).toBe(
      launched.metadata.labels?.['topology.kubernetes.io/zone'],
    );
    // 2 vCPU − 70m kubeReserved − 150m systemReserved from the node class.
    expect(node.status?.capacity?.cpu).toBe('2');
    expect(node.status?.allocatable?.cpu).toBe('1780m');
    // 4096Mi less the 7.5% VM overhead (ceil 307.2) = 3788Mi; less 442Mi kubeReserved and 100Mi eviction.
    expect(node.status?.capacity?.memory).toBe('3788Mi');
    expect(node.status?.allocatable?.memory).toBe('3246Mi');
    expect(node.metadata.labels?.['karpenter.k8s.aws/instance-memory']).toBe('4096');
    // kwok sets Ready; the lifecycle lifts the unregistered taint and waits for the startup taint to go.
    expect(node.status?.conditions).toBeUndefined();
    expect(node.spec?.taints?.map((t) => t.key)).toEqual([
      'karpenter.sh/unregistered',
      'dedicated',
      'cni-not-ready',
    ]);
  });

  it('picks a larger type when the requests do not fit the cheapest', async () => {
    const launched = await cloud.create(claim('c2', ['t3a.medium', 't3a.xlarge'], '3'));
    expect(launched.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('t3a.xlarge');
    expect((await api.get(Kinds.Node, 'c2'))?.status?.capacity?.cpu).toBe('4');
  });

  it('reports insufficient capacity when no type fits', async () => {
    await expect(cloud.create(claim('c3', ['t3a.medium'], '64'))).rejects.toBeInstanceOf(
      InsufficientCapacityError,
    );
    expect(await api.get(Kinds.Node, 'c3')).toBeUndefined();
  });

  it('refuses a node class with nestedVirtualization enabled (its catalog has no processor features), not "disabled"', async () => {
    const all = await cloud.getInstanceTypes(nodePool);
    await api.update(Kinds.EC2NodeClass, {
      ...nodeClass,
      spec: { ...nodeClass.spec, cpuOptions: { nestedVirtualization: 'disabled' } },
    });
    expect(await cloud.getInstanceTypes(nodePool)).toHaveLength(all.length);
    await api.update(Kinds.EC2NodeClass, {
      ...nodeClass,
      spec: { ...nodeClass.spec, cpuOptions: { nestedVirtualization: 'enabled' } },
    });
    const refusal = {
      name: 'CloudProviderError',
      reason: 'NodeClassNotReady',
      message: expect.stringContaining(
        'spec.cpuOptions.nestedVirtualization "enabled" is not supported by the kwok',
      ),
    };
    await expect(cloud.getInstanceTypes(nodePool)).rejects.toMatchObject(refusal);
    await expect(cloud.create(claim('nv1', ['t3a.medium']))).rejects.toMatchObject(refusal);
    expect(await api.get(Kinds.Node, 'nv1')).toBeUndefined();
  });

  it('refuses a node class with a placementGroupSelector (kwok has no placement groups)', async () => {
    await api.update(Kinds.EC2NodeClass, {
      ...nodeClass,
      spec: { ...nodeClass.spec, placementGroupSelector: { id: 'pg-0123abcd' } },
    });
    const refusal = {
      name: 'CloudProviderError',
      reason: 'NodeClassNotReady',
      message: expect.stringContaining('spec.placementGroupSelector is not supported by the kwok'),
    };
    await expect(cloud.getInstanceTypes(nodePool)).rejects.toMatchObject(refusal);
    await expect(cloud.create(claim('pg1', ['t3a.medium']))).rejects.toMatchObject(refusal);
    expect(await api.get(Kinds.Node, 'pg1')).toBeUndefined();
  });

  it('refuses a node class with networkInterfaces (its catalog has no network cards)', async () => {
    await api.update(Kinds.EC2NodeClass, {
      ...nodeClass,
      spec: {
        ...nodeClass.spec,
        networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' }],
      },
    });
    const refusal = {
      name: 'CloudProviderError',
      reason: 'NodeClassNotReady',
      message: expect.stringContaining('spec.networkInterfaces is not supported by the kwok'),
    };
    await expect(cloud.getInstanceTypes(nodePool)).rejects.toMatchObject(refusal);
    await expect(cloud.create(claim('ni1', ['t3a.medium']))).rejects.toMatchObject(refusal);
    expect(await api.get(Kinds.Node, 'ni1')).toBeUndefined();
  });

  it('is idempotent when a launch is retried after its node was created', async () => {
    const first = await cloud.create(claim('c4', ['t3a.medium']));
    const again = await cloud.create(claim('c4', ['t3a.medium']));
    expect(again.status?.providerID).toBe(first.status?.providerID);
    expect((await api.list(Kinds.Node)).items).toHaveLength(1);
  });

  it('lists and gets only the nodes it launched', async () => {
    await cloud.create(claim('c5', ['t3a.medium']));
    await api.create(Kinds.Node, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'someone-else' },
      spec: { providerID: 'kwok://someone-else' },
    });
    expect((await cloud.list()).map((c) => c.metadata.name)).toEqual(['c5']);
    const got = await cloud.get('kwok://c5');
    expect(got.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('t3a.medium');
    expect(got.metadata.labels?.[KWOK_PROVIDER_LABEL]).toBeUndefined();
    await expect(cloud.get('kwok://missing')).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    await expect(cloud.get('aws:///us-east-1a/i-1')).rejects.toBeInstanceOf(NodeClaimNotFoundError);
  });

  it('terminates by deleting the node, and reports it gone while a finalizer holds the object', async () => {
    const launched = await cloud.create(claim('c6', ['t3a.medium']));
    await api.patch(Kinds.Node, 'c6', { metadata: { finalizers: ['karpenter.sh/termination'] } });
    await cloud.delete(launched);
    expect((await api.get(Kinds.Node, 'c6'))?.metadata.deletionTimestamp).toBeDefined();
    await expect(cloud.delete(launched)).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    await expect(cloud.get('kwok://c6')).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    expect(await cloud.list()).toEqual([]);
  });

  it('flags a node whose instance type left the catalog as drifted', async () => {
    const launched = await cloud.create(claim('c7', ['t3a.medium']));
    expect(await cloud.isDrifted(launched)).toBeUndefined();
    launched.metadata.labels = { ...launched.metadata.labels, 'node.kubernetes.io/instance-type': 'x9.huge' };
    expect(await cloud.isDrifted(launched)).toBe('InstanceTypeNotFound');
  });

  it('terminates without a GET when its reads come from a synced Node cache', async () => {
    const clock = new SimClock(T0);
    const gets: string[] = [];
    const counted = withOverrides(api, {
      get: <T extends KubeObject>(kind: ResourceKind<T>, name: string, namespace?: string) => {
        gets.push(`${kind.kind}/${name}`);
        return api.get(kind, name, namespace);
      },
    });
    const nodes = new Informer(counted, Kinds.Node, clock);
    const reads = new CachedReads(counted);
    reads.serve(Kinds.Node, nodes);
    const cached = await createKwokCloudProvider({ api: reads, clock, logger: pino({ level: 'silent' }) });
    const launched = await cached.create(claim('c8', ['t3a.medium']));
    await api.patch(Kinds.Node, 'c8', { metadata: { finalizers: ['karpenter.sh/termination'] } });
    await nodes.start();
    gets.length = 0;

    await cached.delete(launched);
    await flushAsync();
    await expect(cached.delete(launched)).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    expect(gets.filter((g) => g.startsWith('Node/'))).toEqual([]);
    nodes.stop();
  });
});
