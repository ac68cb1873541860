import type { CloudProvider } from '../cloudprovider/types';
import { InsufficientCapacityError, NodeClaimNotFoundError } from '../cloudprovider/types';
import type { NodeClaim } from '../kube/objects';
import type { StateNode } from '../state/cluster-state';
import { errorCategory, instrumentCloudProvider } from './cloudprovider';
import { nodeSamples } from './cluster-gauges';
import { bindInterruptionStats, messageTypeLabel } from './interruption-stats';
import { registry, scrape } from './registry';

function values(text: string, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

class FakeCloud implements CloudProvider {
  readonly name = 'fake';
  marked: string[] = [];
  create(claim: NodeClaim): Promise<NodeClaim> {
    return Promise.reject(new InsufficientCapacityError(`no capacity for ${claim.metadata.name}`));
  }
  delete(claim: NodeClaim): Promise<void> {
    return Promise.reject(new NodeClaimNotFoundError(`${claim.metadata.name} is gone`));
  }
  get(providerID: string): Promise<NodeClaim> {
    return Promise.reject(new Error(`boom: ${providerID}`));
  }
  list(): Promise<NodeClaim[]> {
    return Promise.resolve([]);
  }
  getInstanceTypes() {
    return Promise.resolve([]);
  }
  isDrifted() {
    return Promise.resolve(undefined);
  }
  nodeOverheadPrice() {
    return Promise.resolve(0);
  }
  markUnavailable(it: string): void {
    this.marked.push(it);
  }
}

describe('instrumentCloudProvider', () => {
  beforeEach(() => registry.resetMetrics());

  it('times every call and counts errors by bounded category, passing results and errors through', async () => {
    const cloud = instrumentCloudProvider(new FakeCloud(), { controller: 'test' });
    await expect(cloud.list()).resolves.toEqual([]);
    await expect(cloud.list()).resolves.toEqual([]);
    const claim = { metadata: { name: 'c1' } } as NodeClaim;
    await expect(cloud.create(claim)).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(cloud.delete(claim)).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    await expect(cloud.get('aws:///x')).rejects.toThrow('boom');
    const text = await scrape();
    expect(values(text, 'karpenter_cloudprovider_duration_seconds_count')).toEqual({
      'karpenter_cloudprovider_duration_seconds_count{controller="test",method="List",provider="fake"}': 2,
      'karpenter_cloudprovider_duration_seconds_count{controller="test",method="Create",provider="fake"}': 1,
      'karpenter_cloudprovider_duration_seconds_count{controller="test",method="Delete",provider="fake"}': 1,
      'karpenter_cloudprovider_duration_seconds_count{controller="test",method="Get",provider="fake"}': 1,
    });
    expect(values(text, 'karpenter_cloudprovider_errors_total')).toEqual({
      'karpenter_cloudprovider_errors_total{controller="test",method="Create",provider="fake",error="InsufficientCapacityError"}': 1,
      'karpenter_cloudprovider_errors_total{controller="test",method="Delete",provider="fake",error="NodeClaimNotFoundError"}': 1,
      'karpenter_cloudprovider_errors_total{controller="test",method="Get",provider="fake",error="UnknownError"}': 1,
    });
  });

  it('keeps the rest of the concrete provider reachable (markUnavailable, name)', () => {
    const inner = new FakeCloud();
    const cloud = instrumentCloudProvider(inner);
    cloud.markUnavailable('m5.large');
    expect(inner.marked).toEqual(['m5.large']);
    expect(cloud.name).toBe('fake');
  });

  it('never lets an error message become a label value', () => {
    const err = new Error('instance i-0abc in us-east-1a failed');
    expect(errorCategory(err)).toBe('UnknownError');
    expect(errorCategory('string')).toBe('UnknownError');
  });
});

describe('interruption counters', () => {
  beforeEach(() => registry.resetMetrics());

  it("uses Karpenter's message_type values", () => {
    expect(messageTypeLabel('spotInterruption')).toBe('spot_interruption');
    expect(messageTypeLabel('scheduledChange')).toBe('scheduled_change');
    expect(messageTypeLabel('malformed')).toBe('malformed');
  });

  it('adds what the controller counted since the last scrape', async () => {
    const stats = { received: { spotInterruption: 2, stateChange: 0 }, deleted: 1 };
    const unbind = bindInterruptionStats(stats);
    let text = await scrape();
    expect(text).toContain(
      'karpenter_interruption_received_messages_total{message_type="spot_interruption"} 2',
    );
    stats.received.spotInterruption = 5;
    stats.received.stateChange = 1;
    stats.deleted = 6;
    text = await scrape();
    expect(text).toContain(
      'karpenter_interruption_received_messages_total{message_type="spot_interruption"} 5',
    );
    expect(text).toContain('karpenter_interruption_received_messages_total{message_type="state_change"} 1');
    expect(text).toContain('karpenter_interruption_deleted_messages_total 6');
    unbind();
    stats.received.spotInterruption = 50;
    expect(await scrape()).toContain(
      'karpenter_interruption_received_messages_total{message_type="spot_interruption"} 5',
    );
  });
});

describe('node samples', () => {
  it('reports cpu in cores, skips claims without a node, and counts pods against the pods resource', () => {
    const base = {
      managed: true,
      nodePoolName: 'default',
      labels: {
        'node.kubernetes.io/instance-type': 'm5.large',
        'karpenter.sh/capacity-type': 'spot',
        'topology.kubernetes.io/zone': 'us-east-1b',
      },
      taints: [],
      registered: true,
      initialized: true,
      deleting: false,
      markedForDisruption: false,
    };
    const nodes = [
      {
        ...base,
        name: 'n1',
        node: {} as StateNode['node'],
        pods: [{}, {}] as StateNode['pods'],
        allocatable: { cpu: 1930, memory: 7e9, pods: 29 },
        requested: { cpu: 450, memory: 1e9 },
      },
      { ...base, name: 'claim-launching', pods: [], allocatable: {}, requested: {} },
    ] as StateNode[];
    const samples = nodeSamples(nodes);
    expect(
      samples.map((s) => [s.labels.node_name, s.labels.resource_type, s.allocatable, s.requested]),
    ).toEqual([
      ['n1', 'cpu', 1.93, 0.45],
      ['n1', 'memory', 7e9, 1e9],
      ['n1', 'pods', 29, 2],
    ]);
    expect(samples[0]?.labels).toEqual({
      node_name: 'n1',
      nodepool: 'default',
      resource_type: 'cpu',
      instance_type: 'm5.large',
      capacity_type: 'spot',
      zone: 'us-east-1b',
    });
  });
});
