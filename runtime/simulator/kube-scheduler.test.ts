import { Taints } from '../../sdk/api/well-known';
import { SimClock } from '../clock/sim-clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import type { Node, Pod, PodCondition, Taint, Toleration } from '../kube/objects';
import { SimKubeScheduler, fitErrorMessage } from './kube-scheduler';

let clock: SimClock;
let api: MemoryApiServer;
let scheduler: SimKubeScheduler;

beforeEach(async () => {
  clock = new SimClock();
  api = new MemoryApiServer({ clock });
  scheduler = new SimKubeScheduler({ api, clock });
  await scheduler.start();
});

afterEach(() => scheduler.stop());

function node(
  name: string,
  opts: {
    cpu?: string;
    labels?: Record<string, string>;
    taints?: Taint[];
    ready?: boolean;
    unschedulable?: boolean;
  } = {},
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: { taints: opts.taints ?? [], ...(opts.unschedulable ? { unschedulable: true } : {}) },
    status: {
      allocatable: { cpu: opts.cpu ?? '2', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

function pod(
  name: string,
  opts: {
    cpu?: string;
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
    schedulerName?: string;
    phase?: NonNullable<Pod['status']>['phase'];
  } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'app', resources: { requests: { cpu: opts.cpu ?? '200m' } } }],
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
      ...(opts.schedulerName ? { schedulerName: opts.schedulerName } : {}),
    },
    status: { phase: opts.phase ?? 'Pending' },
  };
}

function get(name: string): Pod {
  const p = api.peek(Kinds.Pod, name, 'default');
  if (!p) throw new Error(`pod ${name} not found`);
  return p;
}

function scheduled(name: string): PodCondition[] | undefined {
  return get(name).status?.conditions?.filter((c) => c.type === 'PodScheduled');
}

describe('SimKubeScheduler', () => {
  it('binds pods while resources last and marks the rest Unschedulable, naming the short resource', async () => {
    await api.create(Kinds.Node, node('n1', { cpu: '1780m' }));
    for (let i = 0; i < 9; i++) await api.create(Kinds.Pod, pod(`p-${i}`));
    await clock.advance(100);

    const bound = api.peekAll(Kinds.Pod).filter((p) => p.spec.nodeName === 'n1');
    expect(bound.map((p) => p.metadata.name).sort()).toEqual([
      'p-0',
      'p-1',
      'p-2',
      'p-3',
      'p-4',
      'p-5',
      'p-6',
      'p-7',
    ]);
    expect(scheduled('p-0')).toEqual([expect.objectContaining({ status: 'True' })]);
    expect(get('p-8').spec.nodeName).toBeUndefined();
    expect(scheduled('p-8')).toEqual([
      expect.objectContaining({
        status: 'False',
        reason: 'Unschedulable',
        message: '0/1 nodes are available: 1 Insufficient cpu.',
      }),
    ]);
    expect(scheduler.pendingCount()).toBe(1);
  });

  it('goes quiet: an unchanged Unschedulable condition is not rewritten', async () => {
    await api.create(Kinds.Node, node('n1', { cpu: '100m' }));
    await api.create(Kinds.Pod, pod('big', { cpu: '1' }));
    await clock.advance(100);
    const rv = get('big').metadata.resourceVersion;

    // A node event forces another pass; the verdict is the same, so nothing is written.
    await api.patch(Kinds.Node, 'n1', { metadata: { labels: { touched: 'yes' } } });
    await clock.advance(100);
    expect(get('big').metadata.resourceVersion).toBe(rv);

    // With nothing changing, no further passes run at all.
    const passes = scheduler.passes;
    await clock.advance(60_000);
    expect(scheduler.passes).toBe(passes);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('keeps pods off nodes tainted disrupted or unregistered, and groups the reasons', async () => {
    await api.create(Kinds.Node, node('a', { taints: [{ ...Taints.disrupted }] }));
    await api.create(Kinds.Node, node('b', { taints: [{ ...Taints.unregistered }] }));
    await api.create(Kinds.Node, node('c', { cpu: '100m' }));
    await api.create(Kinds.Pod, pod('p', { cpu: '500m' }));
    await clock.advance(100);

    expect(get('p').spec.nodeName).toBeUndefined();
    expect(scheduled('p')?.[0]?.message).toBe(
      '0/3 nodes are available: 1 Insufficient cpu, ' +
        '1 node(s) had untolerated taint {karpenter.sh/disrupted: }, ' +
        '1 node(s) had untolerated taint {karpenter.sh/unregistered: }.',
    );

    // Lifting the taint is a node event: the pod is retried and lands, with a single PodScheduled condition.
    await api.patch(Kinds.Node, 'b', { spec: { taints: [] } });
    await clock.advance(100);
    expect(get('p').spec.nodeName).toBe('b');
    expect(scheduled('p')).toEqual([expect.objectContaining({ status: 'True' })]);
  });

  it('places a pod that tolerates the disrupted taint', async () => {
    await api.create(Kinds.Node, node('a', { taints: [{ ...Taints.disrupted }] }));
    await api.create(
      Kinds.Pod,
      pod('p', { tolerations: [{ key: Taints.disrupted.key, operator: 'Exists' }] }),
    );
    await clock.advance(100);
    expect(get('p').spec.nodeName).toBe('a');
  });

  it('honours nodeSelector over a better-scoring node', async () => {
    await api.create(Kinds.Node, node('a', { cpu: '8', labels: { zone: 'a' } }));
    await api.create(Kinds.Node, node('b', { cpu: '1', labels: { zone: 'b' } }));
    await api.create(Kinds.Pod, pod('in-b', { nodeSelector: { zone: 'b' } }));
    await api.create(Kinds.Pod, pod('in-c', { nodeSelector: { zone: 'c' } }));
    await clock.advance(100);

    expect(get('in-b').spec.nodeName).toBe('b');
    expect(get('in-c').spec.nodeName).toBeUndefined();
    expect(scheduled('in-c')?.[0]?.message).toBe(
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
    );
  });

  it('prefers the node with the lowest cpu fraction after placement (LeastAllocated)', async () => {
    // a: 2.5 of 4 cpu afterwards (62.5%), more free cpu in absolute terms; b: 1 of 2 (50%).
    await api.create(Kinds.Node, node('a', { cpu: '4' }));
    await api.create(Kinds.Node, node('b', { cpu: '2' }));
    await api.create(Kinds.Pod, pod('on-a', { cpu: '2', nodeName: 'a', phase: 'Running' }));
    await api.create(Kinds.Pod, pod('on-b', { cpu: '500m', nodeName: 'b', phase: 'Running' }));
    await api.create(Kinds.Pod, pod('new', { cpu: '500m' }));
    await clock.advance(100);
    expect(get('new').spec.nodeName).toBe('b');
  });

  it('places a pod on a node without untolerated PreferNoSchedule taints first, however allocated (TaintToleration)', async () => {
    await api.create(Kinds.Node, node('steered', { taints: [{ ...Taints.consolidationCandidate }] }));
    await api.create(Kinds.Node, node('busy'));
    await api.create(Kinds.Pod, pod('on-busy', { cpu: '1', nodeName: 'busy', phase: 'Running' }));
    await api.create(Kinds.Pod, pod('new', { cpu: '500m' }));
    await api.create(Kinds.Pod, pod('tolerates', { cpu: '200m', tolerations: [{ operator: 'Exists' }] }));
    await clock.advance(100);
    expect(get('new').spec.nodeName).toBe('busy');
    // Tolerated, the taint counts for nothing: LeastAllocated picks the empty node.
    expect(get('tolerates').spec.nodeName).toBe('steered');
    // Only a preference: with no room elsewhere the tainted node takes the pod.
    await api.create(Kinds.Pod, pod('large', { cpu: '1' }));
    await clock.advance(100);
    expect(get('large').spec.nodeName).toBe('steered');
  });

  it('spreads pods across equal nodes, breaking ties by node name', async () => {
    await api.create(Kinds.Node, node('b'));
    await api.create(Kinds.Node, node('a'));
    for (const name of ['p1', 'p2', 'p3']) await api.create(Kinds.Pod, pod(name, { cpu: '500m' }));
    await clock.advance(100);
    expect(['p1', 'p2', 'p3'].map((n) => get(n).spec.nodeName)).toEqual(['a', 'b', 'a']);
  });

  it('skips cordoned and NotReady nodes', async () => {
    await api.create(Kinds.Node, node('cordoned', { unschedulable: true }));
    await api.create(Kinds.Node, node('booting', { ready: false }));
    await api.create(Kinds.Pod, pod('p'));
    await clock.advance(100);
    expect(get('p').spec.nodeName).toBeUndefined();
    expect(scheduled('p')?.[0]?.message).toBe(
      '0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, ' +
        '1 node(s) were unschedulable.',
    );
  });

  it('does not count finished pods against a node, and leaves pods of other schedulers alone', async () => {
    await api.create(Kinds.Node, node('n', { cpu: '1' }));
    await api.create(Kinds.Pod, pod('done', { cpu: '900m', nodeName: 'n', phase: 'Succeeded' }));
    await api.create(Kinds.Pod, pod('mine', { cpu: '500m' }));
    await api.create(Kinds.Pod, pod('theirs', { schedulerName: 'other-scheduler' }));
    await clock.advance(100);
    expect(get('mine').spec.nodeName).toBe('n');
    expect(get('theirs').spec.nodeName).toBeUndefined();
    expect(get('theirs').status?.conditions).toBeUndefined();
    expect(scheduler.pendingCount()).toBe(0);
  });

  it('frees room when a bound pod is deleted', async () => {
    await api.create(Kinds.Node, node('n', { cpu: '1' }));
    await api.create(Kinds.Pod, pod('old', { cpu: '800m', nodeName: 'n', phase: 'Running' }));
    await api.create(Kinds.Pod, pod('new', { cpu: '500m' }));
    await clock.advance(100);
    expect(get('new').spec.nodeName).toBeUndefined();
    await api.delete(Kinds.Pod, 'old', 'default');
    await clock.advance(100);
    expect(get('new').spec.nodeName).toBe('n');
  });

  it('says so when there are no nodes at all', async () => {
    await api.create(Kinds.Pod, pod('p'));
    await clock.advance(100);
    expect(scheduled('p')?.[0]?.message).toBe('no nodes available to schedule pods');
  });
});

describe('fitErrorMessage', () => {
  it('counts identical reasons and sorts the entries', () => {
    expect(fitErrorMessage(3, ['Insufficient memory', 'Insufficient cpu', 'Insufficient cpu'])).toBe(
      '0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.',
    );
  });
});
