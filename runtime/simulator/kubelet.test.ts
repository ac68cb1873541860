import { SimClock } from '../clock/sim-clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import type { Node, Pod } from '../kube/objects';
import { SimKubelet } from './kubelet';

let clock: SimClock;
let api: MemoryApiServer;
let kubelet: SimKubelet | undefined;

beforeEach(() => {
  clock = new SimClock();
  api = new MemoryApiServer({ clock });
});

afterEach(() => kubelet?.stop());

async function startKubelet(podStartDelayMs?: number): Promise<SimKubelet> {
  kubelet = new SimKubelet({ api, clock, ...(podStartDelayMs !== undefined ? { podStartDelayMs } : {}) });
  await kubelet.start();
  return kubelet;
}

function node(name: string, ready = true): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: {
      allocatable: { cpu: '2', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

function pod(name: string, nodeName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app' }], ...(nodeName ? { nodeName } : {}) },
    status: {
      phase: 'Pending',
      ...(nodeName ? { conditions: [{ type: 'PodScheduled', status: 'True' as const }] } : {}),
    },
  };
}

function get(name: string): Pod | undefined {
  return api.peek(Kinds.Pod, name, 'default');
}

describe('SimKubelet', () => {
  it('starts a bound pod after the start delay, keeping PodScheduled and adding Ready', async () => {
    await startKubelet();
    await api.create(Kinds.Node, node('n1'));
    await api.create(Kinds.Pod, pod('p', 'n1'));

    // Unrelated changes to the pod in the meantime do not cut the delay short.
    await clock.advance(1000);
    await api.patch(Kinds.Pod, 'p', { metadata: { labels: { touched: 'yes' } } }, 'default');
    await clock.advance(999);
    expect(get('p')?.status?.phase).toBe('Pending');

    await clock.advance(1);
    const started = get('p');
    expect(started?.status?.phase).toBe('Running');
    expect(started?.status?.conditions).toEqual([
      expect.objectContaining({ type: 'PodScheduled', status: 'True' }),
      expect.objectContaining({ type: 'Ready', status: 'True' }),
    ]);
  });

  it('honours a custom start delay and leaves unbound pods alone', async () => {
    await startKubelet(500);
    await api.create(Kinds.Node, node('n1'));
    await api.create(Kinds.Pod, pod('bound', 'n1'));
    await api.create(Kinds.Pod, pod('unbound'));
    await clock.advance(500);
    expect(get('bound')?.status?.phase).toBe('Running');
    expect(get('unbound')?.status?.phase).toBe('Pending');
  });

  it('waits for the node to be Ready, then counts the delay from then', async () => {
    await startKubelet();
    await api.create(Kinds.Node, node('n1', false));
    await api.create(Kinds.Pod, pod('p', 'n1'));
    await clock.advance(10_000);
    expect(get('p')?.status?.phase).toBe('Pending');

    await api.patch(Kinds.Node, 'n1', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await clock.advance(1999);
    expect(get('p')?.status?.phase).toBe('Pending');
    await clock.advance(1);
    expect(get('p')?.status?.phase).toBe('Running');
  });

  it('deletes the pods of a node that goes away, and only those', async () => {
    await startKubelet();
    await api.create(Kinds.Node, node('doomed'));
    await api.create(Kinds.Node, node('stays'));
    await api.create(Kinds.Pod, pod('a', 'doomed'));
    await api.create(Kinds.Pod, pod('b', 'doomed'));
    await api.create(Kinds.Pod, pod('c', 'stays'));
    await api.create(Kinds.Pod, pod('unbound'));
    await clock.advance(2000);
    expect(get('a')?.status?.phase).toBe('Running');

    await api.delete(Kinds.Node, 'doomed');
    await clock.advance(0);
    expect(get('a')).toBeUndefined();
    expect(get('b')).toBeUndefined();
    expect(get('c')?.status?.phase).toBe('Running');
    expect(get('unbound')).toBeDefined();
  });

  it('collects pods already orphaned when it starts', async () => {
    await api.create(Kinds.Pod, pod('orphan', 'gone'));
    await startKubelet();
    await clock.advance(0);
    expect(get('orphan')).toBeUndefined();
  });

  it('does not restart a pod that is already Running, so it goes quiet', async () => {
    await startKubelet();
    await api.create(Kinds.Node, node('n1'));
    await api.create(Kinds.Pod, pod('p', 'n1'));
    await clock.advance(2000);
    const rv = get('p')?.metadata.resourceVersion;
    await clock.advance(60_000);
    expect(get('p')?.metadata.resourceVersion).toBe(rv);
    expect(clock.nextTimerAt()).toBeUndefined();
  });
});
