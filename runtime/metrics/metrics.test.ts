import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudProvider } from '../cloudprovider/types';
import { InsufficientCapacityError, NodeClaimNotFoundError } from '../cloudprovider/types';
import type { NodeClaim, Pod } from '../kube/objects';
import './index';
import type { StateNode } from '../state/cluster-state';
import { errorCategory, instrumentCloudProvider } from './cloudprovider';
import { nodeResourceSamples } from './nodes';
import { PodStartupTracker } from './pods';
import { bindInterruptionStats, messageTypeLabel } from './interruption-stats';
import { registry, scrape } from './registry';
import { PodSchedulingTimes } from '../state/pod-scheduling';

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
  repairPolicies() {
    return [];
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
    const claim = {
      metadata: { name: 'c1', labels: { 'karpenter.sh/nodepool': 'pool-a' } },
    } as unknown as NodeClaim;
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
      'karpenter_cloudprovider_errors_total{controller="test",method="Create",provider="fake",error="InsufficientCapacityError",nodepool="pool-a"}': 1,
      'karpenter_cloudprovider_errors_total{controller="test",method="Delete",provider="fake",error="NodeClaimNotFoundError",nodepool="pool-a"}': 1,
      'karpenter_cloudprovider_errors_total{controller="test",method="Get",provider="fake",error="UnknownError",nodepool=""}': 1,
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

  it('observes the queue time of each message handled, once', async () => {
    const stats = { received: {}, deleted: 0, queueSeconds: [2, 40] };
    const unbind = bindInterruptionStats(stats);
    await scrape();
    stats.queueSeconds.push(4);
    const text = await scrape();
    expect(text).toContain('karpenter_interruption_message_queue_duration_seconds_count 3');
    expect(text).toContain('karpenter_interruption_message_queue_duration_seconds_sum 46');
    expect(text).toContain('karpenter_interruption_message_queue_duration_seconds_bucket{le="2.5"} 1');
    expect(stats.queueSeconds).toEqual([]);
    unbind();
  });
});

describe('node samples', () => {
  it('reports cpu in cores, skips claims without a node, and counts pods against the pods resource', () => {
    const base = {
      managed: true,
      nodePoolName: 'default',
      labels: {
        'karpenter.sh/nodepool': 'default',
        'node.kubernetes.io/instance-type': 'm5.large',
        'karpenter.sh/capacity-type': 'spot',
        'topology.kubernetes.io/zone': 'us-east-1b',
        'topology.kubernetes.io/region': 'us-east-1',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
      },
      taints: [],
      registered: true,
      initialized: true,
      deleting: false,
      markedForDisruption: false,
    };
    const daemon = {
      metadata: { ownerReferences: [{ kind: 'DaemonSet', name: 'ds', apiVersion: 'apps/v1', uid: 'u' }] },
      spec: {
        containers: [{ name: 'c', resources: { requests: { cpu: '100m' }, limits: { cpu: '200m' } } }],
      },
    };
    const app = {
      metadata: {},
      spec: {
        containers: [{ name: 'c', resources: { requests: { cpu: '350m' }, limits: { memory: '1Gi' } } }],
      },
    };
    const nodes = [
      {
        ...base,
        name: 'n1',
        node: { status: { capacity: { cpu: '2', memory: '8Gi', pods: '29', 'ephemeral-storage': '20Gi' } } },
        pods: [daemon, app],
        allocatable: { cpu: 1930, memory: 7e9, pods: 29, 'ephemeral-storage': 18e9 },
        requested: { cpu: 450, memory: 1e9, pods: 2 },
      },
      { ...base, name: 'claim-launching', pods: [], allocatable: {}, requested: {} },
    ] as unknown as StateNode[];
    const samples = nodeResourceSamples(nodes);
    expect(samples.map((s) => s.labels.node_name)).not.toContain('claim-launching');
    const byType = Object.fromEntries(samples.map((s) => [s.labels.resource_type, s]));
    // Upstream's resource_type spelling: dashes become underscores.
    expect(Object.keys(byType).sort()).toEqual(['cpu', 'ephemeral_storage', 'memory', 'pods']);
    expect(byType.cpu).toMatchObject({
      allocatable: 1.93,
      podRequests: 0.45,
      podLimits: 0.2,
      daemonRequests: 0.1,
      daemonLimits: 0.2,
      systemOverhead: 0.07,
    });
    expect(byType.memory).toMatchObject({ podLimits: 2 ** 30, systemOverhead: 8 * 2 ** 30 - 7e9 });
    // The pod count is a request of every bound pod, not of DaemonSet pods alone.
    expect(byType.pods).toMatchObject({ allocatable: 29, podRequests: 2 });
    expect(byType.pods?.daemonRequests).toBeUndefined();
    expect(byType.cpu?.labels).toEqual({
      node_name: 'n1',
      phase: '',
      managed: 'true',
      nodepool: 'default',
      zone: 'us-east-1b',
      region: 'us-east-1',
      instance_type: 'm5.large',
      arch: 'amd64',
      os: 'linux',
      capacity_type: 'spot',
      windows_build: '',
      resource_type: 'cpu',
    });
  });
});

describe('docs/METRICS.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'METRICS.md'), 'utf8');
  const [supported = '', unsupported = ''] = doc.split('## Not supported');
  const rows = (text: string) =>
    [...text.matchAll(/^\| `([a-z0-9_]+)`\s*\| (\w+)\s*\| ([a-z0-9_, ]*?)\s*\|$/gm)].map((m) => ({
      name: m[1] as string,
      type: m[2] as string,
      labels: (m[3] as string)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    }));

  it('lists every registered metric with its type and labels, and nothing else as supported', () => {
    const registered = registry.getMetricsAsArray().map((m) => {
      const x = m as unknown as { name: string; labelNames: string[]; constructor: { name: string } };
      return { name: x.name, type: x.constructor.name.toLowerCase(), labels: [...x.labelNames] };
    });
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(rows(supported).sort(byName)).toEqual(registered.sort(byName));
  });

  it('lists as not supported only metrics the registry does not hold', () => {
    // The first cell of each row only: the reasons name supported metrics.
    const firstCells = unsupported.split('\n').map((line) => line.split('|')[1] ?? '');
    const names = firstCells.flatMap((c) =>
      [...c.matchAll(/`((?:karpenter|operator|workqueue|controller_runtime)_[a-z0-9_]+)`/g)].map(
        (m) => m[1] as string,
      ),
    );
    expect(names.length).toBeGreaterThan(10);
    for (const n of names) expect(registry.getSingleMetric(n)).toBeUndefined();
  });
});

describe('pod startup tracker', () => {
  beforeEach(() => registry.resetMetrics());

  const pod = (phase: string, conditions: { type: string; at: string }[], nodeName?: string) =>
    ({
      metadata: { uid: 'p1', name: 'p1', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
      spec: { containers: [], ...(nodeName ? { nodeName } : {}) },
      status: {
        phase,
        conditions: conditions.map((c) => ({ type: c.type, status: 'True', lastTransitionTime: c.at })),
      },
    }) as unknown as Pod;

  it('times a pod seen pending from creation to bound and to Ready, once', async () => {
    const tracker = new PodStartupTracker(() => Date.parse('2024-01-01T01:00:00Z'));
    tracker.onPod('ADDED', pod('Pending', []));
    tracker.onPod('MODIFIED', pod('Pending', [{ type: 'PodScheduled', at: '2024-01-01T00:00:30Z' }], 'n1'));
    const running = pod(
      'Running',
      [
        { type: 'PodScheduled', at: '2024-01-01T00:00:30Z' },
        { type: 'Ready', at: '2024-01-01T00:01:15Z' },
      ],
      'n1',
    );
    tracker.onPod('MODIFIED', running);
    tracker.onPod('MODIFIED', running);
    expect(tracker.pending).toBe(0);
    const text = await scrape();
    expect(text).toContain('karpenter_pods_startup_duration_seconds_count 1');
    expect(text).toContain('karpenter_pods_startup_duration_seconds{quantile="0.5"} 75');
    expect(text).toContain('karpenter_pods_bound_duration_seconds_sum{dynamic_resources="false"} 30');
  });

  it('times the provisioning variants from when the provisioner first placed the pod, then forgets it', async () => {
    const times = new PodSchedulingTimes();
    const tracker = new PodStartupTracker(() => Date.parse('2024-01-01T01:00:00Z'), times);
    const pending = pod('Pending', []);
    tracker.onPod('ADDED', pending);
    times.ack(pending, Date.parse('2024-01-01T00:00:02Z'));
    times.decide([pending], [], Date.parse('2024-01-01T00:00:10Z'));
    tracker.onPod('MODIFIED', pod('Pending', [{ type: 'PodScheduled', at: '2024-01-01T00:00:30Z' }], 'n1'));
    const ready = [
      { type: 'PodScheduled', at: '2024-01-01T00:00:30Z' },
      { type: 'Ready', at: '2024-01-01T00:01:15Z' },
    ];
    tracker.onPod('MODIFIED', pod('Running', ready, 'n1'));
    const text = await scrape();
    expect(text).toContain(
      'karpenter_pods_provisioning_bound_duration_seconds_sum{dynamic_resources="false"} 20',
    );
    expect(text).toContain('karpenter_pods_provisioning_startup_duration_seconds_sum 65');
    expect(text).toContain('karpenter_pods_provisioning_startup_duration_seconds_count 1');
    expect(times.size).toBe(0);
  });

  it('never observes a pod already running when first seen', async () => {
    const tracker = new PodStartupTracker(() => 0);
    tracker.onPod('ADDED', pod('Running', [{ type: 'Ready', at: '2024-01-01T00:01:00Z' }], 'n1'));
    expect(await scrape()).toContain('karpenter_pods_startup_duration_seconds_count 0');
  });
});
