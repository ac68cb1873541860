import { SimClock } from '../clock/sim-clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import type { Node, Pod } from '../kube/objects';
import { LiveViewer } from './live';

function node(name: string, labels: Record<string, string>, created: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels, creationTimestamp: created },
    status: {
      allocatable: { cpu: '1780m', memory: '3554Mi', pods: '17' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

function pod(name: string, nodeName: string | undefined, cpu: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'app' },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'c', resources: { requests: { cpu, memory: '256Mi' } } }],
    },
    status: { phase: nodeName ? 'Running' : 'Pending' },
  };
}

const workshop = {
  'karpenter.sh/nodepool': 'workshop',
  'node.kubernetes.io/instance-type': 't3a.medium',
  'karpenter.sh/capacity-type': 'on-demand',
  'topology.kubernetes.io/zone': 'us-east-1a',
  'workload-type': 'workshop',
};
const system = { ...workshop, 'karpenter.sh/nodepool': 'system', 'workload-type': 'system' };

describe('live viewer', () => {
  async function setup(opts: { nodeSelector?: string; sort?: 'name' | 'cpu' } = {}) {
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    await api.create(Kinds.Node, node('node-b', workshop, '2026-01-01T00:00:00Z'));
    await api.create(Kinds.Node, node('node-a', system, '2026-01-01T00:01:00Z'));
    await api.create(Kinds.Pod, pod('p1', 'node-b', '800m'));
    await api.create(Kinds.Pod, pod('p2', 'node-a', '200m'));
    const frames: string[] = [];
    const viewer = new LiveViewer({
      api,
      clock,
      priceOf: (it) => (it === 't3a.medium' ? 0.0376 : undefined),
      write: (f) => frames.push(f),
      ...opts,
    });
    await viewer.start();
    return { clock, api, frames, viewer };
  }

  it('renders a known cluster from its Nodes and Pods, filtered by node selector', async () => {
    const { frames, viewer } = await setup({ nodeSelector: 'workload-type=workshop' });
    expect(frames).toEqual([
      [
        `1 nodes (      800m/1780m) 44.9% cpu ${'█'.repeat(18)}${'░'.repeat(22)} $0.038/hour | $27.448/month`,
        '2 pods (0 pending 2 running 2 bound)',
        '',
        `node-b cpu ${'█'.repeat(16)}${'░'.repeat(19)}  45% (1 pods) t3a.medium/$0.0376 On-Demand - Ready -`,
      ].join('\n'),
    ]);
    viewer.stop();
  });

  it('redraws once per burst of watch events, with no polling in between', async () => {
    const { clock, api, frames, viewer } = await setup({ sort: 'cpu' });
    expect(frames).toHaveLength(1);
    await clock.advance(60_000);
    expect(frames).toHaveLength(1);
    await api.create(Kinds.Pod, pod('p3', 'node-a', '1000m'));
    await api.create(Kinds.Pod, pod('p4', undefined, '100m'));
    await clock.advance(1_000);
    expect(frames).toHaveLength(2);
    const rows = (frames[1] as string).split('\n');
    expect(rows[1]).toBe('4 pods (1 pending 3 running 3 bound)');
    // Sorted by CPU use: node-a (1200m) now above node-b (800m).
    expect(rows[3]).toMatch(/^node-a cpu .* 67% \(2 pods\)/);
    expect(rows[4]).toMatch(/^node-b cpu .* 45% \(1 pods\)/);
    viewer.stop();
  });
});
