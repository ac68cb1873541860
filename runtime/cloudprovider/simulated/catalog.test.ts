import { SimClock } from '../../clock/sim-clock';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { NodeClaim } from '../../kube/objects';
import { DEFAULT_CAPACITY_SETTINGS } from '../../scheduling/allocatable';
import { fromResourceList } from '../../scheduling/resources';
import { catalogSpec, nodePool } from '../../scheduling/testing';
import { testNodeClass } from '../aws/testing';
import { defaultCatalog, nodeClassShape, specsFor, toInstanceType } from './catalog';
import { SimulatedCloud } from './simulated-cloud';

const MiB = 2 ** 20;

function claim(name: string, type: string): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, uid: `uid-${name}`, labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: {
      requirements: [
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [type] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      ],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      expireAfter: '720h',
    },
  } as NodeClaim;
}

describe('the simulated catalog', () => {
  it('sells memory less the VM overhead and ENI-limited pods, labelled with the full instance memory', () => {
    const m5 = toInstanceType(catalogSpec('m5.large'), defaultCatalog.region, {}, DEFAULT_CAPACITY_SETTINGS);
    expect(m5.capacity).toMatchObject({ cpu: 2000, memory: 7577 * MiB, pods: 29 });
    expect(m5.allocatable).toMatchObject({ cpu: 1930, memory: 6903 * MiB, pods: 29 });
    expect(m5.requirements.get('karpenter.k8s.aws/instance-memory')?.has('8192')).toBe(true);
    expect(m5.requirements.get('karpenter.k8s.aws/instance-memory')?.has('7577')).toBe(false);
    const big = toInstanceType(
      catalogSpec('m5.16xlarge'),
      defaultCatalog.region,
      {},
      DEFAULT_CAPACITY_SETTINGS,
    );
    expect(big.capacity).toMatchObject({ memory: 242483 * MiB, pods: 737 });
  });

  it("reads the node class's AMI family (alias or amiFamily) and kubelet settings", () => {
    const kubelet = { podsPerCore: 4 };
    expect(
      nodeClassShape(testNodeClass({ amiSelectorTerms: [{ alias: 'bottlerocket@latest' }], kubelet })),
    ).toEqual({
      kubelet,
      amiFamily: 'Bottlerocket',
    });
    expect(nodeClassShape(testNodeClass()).amiFamily).toBe('AL2023');
    expect(nodeClassShape(undefined)).toEqual({});
  });
});

describe('SimulatedCloud capacity', () => {
  async function cloudWith(spec: Parameters<typeof testNodeClass>[0], capacity = DEFAULT_CAPACITY_SETTINGS) {
    const clock = new SimClock(0);
    const api = new MemoryApiServer({ clock });
    await api.create(Kinds.EC2NodeClass, testNodeClass(spec));
    await api.create(Kinds.NodePool, nodePool('default'));
    return { clock, api, cloud: new SimulatedCloud({ api, clock, capacity }) };
  }

  it('sizes its instance types with the capacity settings it was given', async () => {
    const { cloud } = await cloudWith({}, { vmMemoryOverheadPercent: 0, reservedENIs: 1 });
    const m5 = (await cloud.getInstanceTypes(nodePool('default'))).find((t) => t.name === 'm5.large');
    expect(m5?.capacity).toMatchObject({ memory: 8192 * MiB, pods: 20 });
  });

  it("applies the node class's family: podsPerCore caps AL2023 pods, not Bottlerocket's", async () => {
    const podsOn = async (alias: string) => {
      const { cloud } = await cloudWith({ amiSelectorTerms: [{ alias }], kubelet: { podsPerCore: 4 } });
      return (await cloud.getInstanceTypes(nodePool('default'))).find((t) => t.name === 'm5.large')?.capacity
        .pods;
    };
    expect(await podsOn('al2023@latest')).toBe(8);
    expect(await podsOn('bottlerocket@latest')).toBe(29);
  });

  it('refuses a node class with nestedVirtualization enabled: the catalog cannot tell which types support it', async () => {
    const refusal = {
      name: 'CloudProviderError',
      reason: 'NodeClassNotReady',
      retryable: false,
      message: expect.stringContaining(
        'spec.cpuOptions.nestedVirtualization "enabled" is not supported by the simulated cloud provider',
      ),
    };
    const enabled = await cloudWith({ cpuOptions: { nestedVirtualization: 'enabled' } });
    await expect(enabled.cloud.getInstanceTypes(nodePool('default'))).rejects.toMatchObject(refusal);
    await expect(enabled.cloud.create(claim('c1', 'm7i.large'))).rejects.toMatchObject(refusal);
    expect(enabled.cloud.allInstances()).toEqual([]);
    // "disabled" asks for nothing the catalog lacks: every type, as without cpuOptions.
    const disabled = await cloudWith({ cpuOptions: { nestedVirtualization: 'disabled' } });
    expect(await disabled.cloud.getInstanceTypes(nodePool('default'))).toHaveLength(
      defaultCatalog.specs.length,
    );
  });

  it('refuses a node class with a placementGroupSelector: the simulated cloud has no placement groups', async () => {
    const refusal = {
      name: 'CloudProviderError',
      reason: 'NodeClassNotReady',
      retryable: false,
      message: expect.stringContaining(
        'spec.placementGroupSelector is not supported by the simulated cloud provider',
      ),
    };
    const grouped = await cloudWith({ placementGroupSelector: { name: 'training' } });
    await expect(grouped.cloud.getInstanceTypes(nodePool('default'))).rejects.toMatchObject(refusal);
    await expect(grouped.cloud.create(claim('c1', 'm7i.large'))).rejects.toMatchObject(refusal);
    expect(grouped.cloud.allInstances()).toEqual([]);
  });

  it('refuses a node class with networkInterfaces: the catalog has no network cards to check them against', async () => {
    const refusal = {
      name: 'CloudProviderError',
      reason: 'NodeClassNotReady',
      retryable: false,
      message: expect.stringContaining(
        'spec.networkInterfaces is not supported by the simulated cloud provider',
      ),
    };
    const nics = await cloudWith({
      networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' }],
    });
    await expect(nics.cloud.getInstanceTypes(nodePool('default'))).rejects.toMatchObject(refusal);
    await expect(nics.cloud.create(claim('c1', 'm7i.large'))).rejects.toMatchObject(refusal);
    expect(nics.cloud.allInstances()).toEqual([]);
  });

  it('offers a node class with connectionTracking only Nitro types, as EC2 does', () => {
    const nitro = catalogSpec('m5.large');
    const xen = { ...catalogSpec('t3a.medium'), name: 'm4.large', hypervisor: 'xen' };
    const tracked = testNodeClass({ connectionTracking: { udpTimeout: 45 } });
    expect(specsFor([nitro, xen], tracked).map((s) => s.name)).toEqual(['m5.large']);
    expect(specsFor([nitro, xen], testNodeClass()).map((s) => s.name)).toEqual(['m5.large', 'm4.large']);
  });

  it('registers Nodes with the capacity and allocatable it sold', async () => {
    const { clock, api, cloud } = await cloudWith({}, { vmMemoryOverheadPercent: 0.1, reservedENIs: 0 });
    await cloud.create(claim('c1', 'm5.large'));
    await clock.advance(30_000);
    const node = api.peekAll(Kinds.Node)[0];
    // 8192 − ceil(819.2) = 7372Mi; allocatable 7372 − 574 − 100.
    expect(fromResourceList(node?.status?.capacity)).toMatchObject({ memory: 7372 * MiB, pods: 29 });
    expect(fromResourceList(node?.status?.allocatable).memory).toBe(6698 * MiB);
    expect(node?.metadata.labels?.['karpenter.k8s.aws/instance-memory']).toBe('8192');
  });
});
