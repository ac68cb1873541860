import { SimClock } from '../clock/sim-clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import { testNodeClaim } from '../kube/testing';
import type { Node, NodeClaim, Pod, Taint } from '../kube/objects';
import { Taints } from '../../sdk/api/well-known';
import { ClusterState } from './cluster-state';

const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };
const dedicated: Taint = { key: 'dedicated', value: 'batch', effect: 'NoSchedule' };
const cni: Taint = { key: 'example.com/cni-not-ready', effect: 'NoSchedule' };

function claim(name: string, conditions: string[], startupTaints: Taint[] = []): NodeClaim {
  return testNodeClaim(name, {
    metadata: { labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: { taints: [dedicated], startupTaints, resources: { requests: { cpu: '1' } } },
    ...(conditions.includes('Launched') ? { status: { providerID: `test://${name}` } } : {}),
    conditions,
  });
}

function node(
  name: string,
  taints: Taint[],
  providerID?: string,
  labels: Record<string, string> = { 'karpenter.sh/nodepool': 'default' },
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: { taints, ...(providerID ? { providerID } : {}) },
    status: { allocatable: { cpu: '2', memory: '4Gi', pods: '20' } },
  };
}

async function stateWith(
  claims: NodeClaim[],
  nodes: Node[],
  clock = new SimClock(),
  api = new MemoryApiServer({ clock }),
): Promise<ClusterState> {
  for (const c of claims) {
    const { status, ...rest } = c;
    const created = await api.create(Kinds.NodeClaim, rest as NodeClaim);
    if (status) await api.updateStatus(Kinds.NodeClaim, { ...created, status });
  }
  for (const n of nodes) await api.create(Kinds.Node, n);
  const state = new ClusterState(api, clock);
  await state.start();
  return state;
}

function taintsOf(state: ClusterState): Record<string, string[]> {
  return Object.fromEntries(
    state.schedulableNodes().map((n) => [n.name, n.taints.map((t) => `${t.key}:${t.effect}`)]),
  );
}

const unregistered: Taint = { key: 'karpenter.sh/unregistered', effect: 'NoExecute' };

describe('ClusterState.schedulableNodes', () => {
  it('plans onto a launching node of ours as it will be once initialized: without its startup and readiness taints', async () => {
    const state = await stateWith(
      [
        claim('not-launched', [], [cni]),
        claim('registered', ['Launched', 'Registered'], [cni]),
        claim('initialized', ['Launched', 'Registered', 'Initialized']),
      ],
      [
        node('registered', [dedicated, cni, notReady], 'test://registered'),
        // Once initialized a node's taints are real again, whoever put them there.
        node('initialized', [dedicated, notReady], 'test://initialized'),
        // Not ours: the kube-scheduler's view, every taint kept.
        node('someone-elses', [notReady, unregistered], undefined, {}),
        // Of a NodePool but owned by no NodeClaim (its claim is gone, or another launch won it): never capacity.
        node('orphan', [notReady, unregistered], 'test://orphan'),
      ],
    );
    expect(taintsOf(state)).toEqual({
      'not-launched': ['dedicated:NoSchedule'],
      registered: ['dedicated:NoSchedule'],
      initialized: ['dedicated:NoSchedule', 'node.kubernetes.io/not-ready:NoSchedule'],
      'someone-elses': ['node.kubernetes.io/not-ready:NoSchedule', 'karpenter.sh/unregistered:NoExecute'],
    });
    state.stop();
  });
});

describe('ClusterState.schedulableNodes: the consolidation-candidate taint', () => {
  it('is left out of every plan (it only steers the kube-scheduler) but stays on the state node', async () => {
    const steer: Taint = { ...Taints.consolidationCandidate };
    const state = await stateWith(
      [claim('steered', ['Launched', 'Registered', 'Initialized'])],
      [node('steered', [dedicated, steer], 'test://steered')],
    );
    expect(taintsOf(state)).toEqual({ steered: ['dedicated:NoSchedule'] });
    expect(state.stateNodes()[0]?.taints).toContainEqual(steer);
    state.stop();
  });
});

describe('ClusterState.stateNodes', () => {
  it('answers from its last join only until a pod, node or claim changes', async () => {
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    const state = await stateWith(
      [claim('a', ['Launched', 'Registered', 'Initialized'])],
      [node('a', [], 'test://a')],
      clock,
      api,
    );
    const before = state.stateNodes();
    expect(state.stateNodes()).toEqual(before);
    expect(before[0]).toMatchObject({ name: 'a', pods: [], requested: {} });
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { nodeName: 'a', containers: [{ name: 'c', resources: { requests: { cpu: '500m' } } }] },
    };
    await api.create(Kinds.Pod, pod);
    await api.patch(Kinds.Node, 'a', { spec: { taints: [dedicated] } });
    await new Promise((resolve) => setImmediate(resolve)); // watch events arrive asynchronously
    const after = state.stateNodes()[0];
    expect(after?.pods.map((p) => p.metadata.name)).toEqual(['p']);
    expect(after?.requested).toEqual({ cpu: 500, pods: 1 });
    expect(after?.taints).toEqual([dedicated]);
    await api.delete(Kinds.Node, 'a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.stateNodes().map((n) => [n.name, n.node === undefined])).toEqual([['a', true]]);
    state.stop();
  });
});
