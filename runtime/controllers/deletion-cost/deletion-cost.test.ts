import { Annotations } from '../../../sdk/api/well-known';
import { SimClock } from '../../clock/sim-clock';
import type { CloudProvider } from '../../cloudprovider/types';
import { EventRecorder } from '../../events/recorder';
import { ApiError, type KubeApi } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { NodeClaim, Pod } from '../../kube/objects';
import { testNodeClaim, withOverrides } from '../../kube/testing';
import { createLogger } from '../../logging';
import { instanceType, plannedClaim } from '../../scheduling/testing';
import { ClusterState } from '../../state/cluster-state';
import { DeletionCostController } from './controller';
import { keepOrder, keepTierFloor, MIN_COST, nextNodeCost, nodeCostOf, podCostAnnotation } from './costs';
import { podDeletionCostWritesTotal } from '../../metrics/pods';

function claim(name: string, cost?: string, nodeName?: string): NodeClaim {
  return testNodeClaim(name, {
    metadata: cost === undefined ? {} : { annotations: { [Annotations.nodePodDeletionCost]: cost } },
    ...(nodeName ? { status: { nodeName } } : {}),
  });
}

function rsPod(
  name: string,
  opts: { node?: string; owner?: string; cost?: string; deleting?: boolean; rs?: string } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: opts.owner ?? 'ReplicaSet',
          name: opts.rs ?? 'web',
          uid: opts.rs ?? 'rs-1',
          controller: true,
        },
      ],
      ...(opts.cost !== undefined ? { annotations: { [Annotations.podDeletionCost]: opts.cost } } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'pause' }], ...(opts.node ? { nodeName: opts.node } : {}) },
  };
}

describe('pod deletion costs', () => {
  it('gives each new claim a cost below every other, the live claims and the ones this process gave', () => {
    expect(nextNodeCost([], undefined)).toBe(-1);
    expect(nextNodeCost([claim('a', '-4'), claim('b', '-9'), claim('c')], undefined)).toBe(-10);
    // A claim created a moment ago may not be in the cache yet: the last given cost still counts.
    expect(nextNodeCost([claim('a', '-4')], -12)).toBe(-13);
    // Garbage and positive values on a claim are not ours and are ignored.
    expect(nextNodeCost([claim('a', 'x'), claim('b', '5')], undefined)).toBe(-1);
    expect(nextNodeCost([claim('a', String(MIN_COST))], undefined)).toBe(MIN_COST);
    expect(nodeCostOf(claim('a', '-3'))).toBe(-3);
    expect(nodeCostOf(claim('a', String(MIN_COST - 1)))).toBeUndefined();
  });

  it("writes a cost only on a bound ReplicaSet pod that has none, and never the user's own", () => {
    expect(podCostAnnotation(rsPod('p', { node: 'n' }), -3)).toEqual({ [Annotations.podDeletionCost]: '-3' });
    expect(podCostAnnotation(rsPod('p', { node: 'n' }), undefined)).toBeUndefined();
    expect(podCostAnnotation(rsPod('p'), -3)).toBeUndefined();
    expect(podCostAnnotation(rsPod('p', { node: 'n', cost: '100' }), -3)).toBeUndefined();
    expect(podCostAnnotation(rsPod('p', { node: 'n', owner: 'StatefulSet' }), -3)).toBeUndefined();
    expect(podCostAnnotation(rsPod('p', { node: 'n', deleting: true }), -3)).toBeUndefined();
  });

  it("leaves each ReplicaSet's keep tier unwritten: its top node, then up to a quarter of its pods", () => {
    expect(podCostAnnotation(rsPod('p', { node: 'n' }), 0)).toBeUndefined();
    expect(keepTierFloor([])).toBeUndefined();
    // All on one node: that node is the tier (thinning it is what its cost would do).
    expect(keepTierFloor([-3, -3, -3])).toBe(-3);
    // 8 pods over four nodes, two each: the top node holds exactly a quarter; the next would make half.
    expect(keepTierFloor([-1, -1, -2, -2, -3, -3, -4, -4])).toBe(-1);
    // 12 pods: the top two nodes hold 3 of them, within the quarter; the third would pass it.
    expect(keepTierFloor([-1, -1, -2, -3, -3, -3, -4, -4, -4, -5, -5, -5])).toBe(-2);
    // The top node holds more than a quarter: still in, and nothing after it.
    expect(keepTierFloor([-1, -1, -1, -2])).toBe(-1);
    // After a scale-down the tier stays a share of the most the ReplicaSet had, so its pods are not written now.
    expect(keepTierFloor([-1, -1, -2, -2], 16)).toBe(-2);
  });

  it('orders a round so the cheapest per core is created first and so emptied last', () => {
    const big = plannedClaim([instanceType('c6i.16xlarge')]);
    const pricey = plannedClaim([instanceType('m5.12xlarge')]);
    const small = plannedClaim([instanceType('t3a.small')]);
    const order = keepOrder([small, pricey, big]).map((p) => p.instanceTypeOptions[0]?.name);
    expect(order.indexOf('c6i.16xlarge')).toBeLessThan(order.indexOf('m5.12xlarge'));
    expect(new Set(order)).toEqual(new Set(['c6i.16xlarge', 'm5.12xlarge', 't3a.small']));
  });
});

describe('DeletionCostController', () => {
  async function setUp(overrides: Partial<KubeApi> = {}) {
    const clock = new SimClock();
    const memory = new MemoryApiServer({ clock });
    const api = withOverrides(memory, overrides);
    const state = new ClusterState(memory, clock);
    const controller = new DeletionCostController({
      api,
      cloud: {} as CloudProvider,
      state,
      clock,
      recorder: new EventRecorder(memory, clock),
      logger: createLogger('silent'),
    });
    return { clock, memory, state, controller };
  }
  const costOf = async (api: MemoryApiServer, name: string) =>
    (await api.get(Kinds.Pod, name, 'default'))?.metadata.annotations?.[Annotations.podDeletionCost];

  it("writes each node's cost on its ReplicaSet pods, once a claim names the node, and leaves the rest", async () => {
    const { clock, memory, state, controller } = await setUp();
    await memory.create(Kinds.NodeClaim, claim('top', '-1', 'node-top'));
    await memory.create(Kinds.NodeClaim, claim('old', '-2', 'node-old'));
    await memory.create(Kinds.NodeClaim, claim('new', '-3'));
    // The ReplicaSet's keep tier: its pod on its top node keeps the 0 of no annotation.
    await memory.create(Kinds.Pod, rsPod('on-top', { node: 'node-top' }));
    await memory.create(Kinds.Pod, rsPod('on-old', { node: 'node-old' }));
    await memory.create(Kinds.Pod, rsPod('on-new', { node: 'node-new' }));
    await memory.create(Kinds.Pod, rsPod('users', { node: 'node-old', cost: '50', rs: 'other' }));
    await memory.create(
      Kinds.Pod,
      rsPod('stateful', { node: 'node-old', owner: 'StatefulSet', rs: 'other' }),
    );
    await memory.create(Kinds.Pod, rsPod('elsewhere', { node: 'unmanaged', rs: 'other' }));
    await state.start();
    controller.start();
    await clock.advance(1_000);
    expect(await costOf(memory, 'on-top')).toBeUndefined();
    expect(await costOf(memory, 'on-old')).toBe('-2');
    expect(await costOf(memory, 'users')).toBe('50');
    expect(await costOf(memory, 'stateful')).toBeUndefined();
    expect(await costOf(memory, 'elsewhere')).toBeUndefined();
    // The pod bound before its claim named the node gets the cost when the claim does.
    expect(await costOf(memory, 'on-new')).toBeUndefined();
    const pending = (await memory.get(Kinds.NodeClaim, 'new')) as NodeClaim;
    await memory.updateStatus(Kinds.NodeClaim, { ...pending, status: { nodeName: 'node-new' } });
    await clock.advance(1_000);
    expect(await costOf(memory, 'on-new')).toBe('-3');
    // Written once: nothing more to do.
    const rv = (await memory.get(Kinds.Pod, 'on-old', 'default'))?.metadata.resourceVersion;
    await clock.advance(10_000);
    expect((await memory.get(Kinds.Pod, 'on-old', 'default'))?.metadata.resourceVersion).toBe(rv);
    expect(controller.idle).toBe(true);
    controller.stop();
    state.stop();
  });

  it("writes the pods a ReplicaSet's keep tier left behind when its pods land on a node of higher cost", async () => {
    const { clock, memory, state, controller } = await setUp();
    await memory.create(Kinds.NodeClaim, claim('high', '-1', 'node-high'));
    await memory.create(Kinds.NodeClaim, claim('low', '-5', 'node-low'));
    await memory.create(Kinds.Pod, rsPod('first-a', { node: 'node-low' }));
    await memory.create(Kinds.Pod, rsPod('first-b', { node: 'node-low' }));
    await state.start();
    controller.start();
    await clock.advance(1_000);
    // Only the low node so far: it is the ReplicaSet's top node, and its pods keep no annotation.
    expect(await costOf(memory, 'first-a')).toBeUndefined();
    await memory.create(Kinds.Pod, rsPod('later', { node: 'node-high' }));
    await clock.advance(1_000);
    expect(await costOf(memory, 'later')).toBeUndefined();
    expect(await costOf(memory, 'first-a')).toBe('-5');
    expect(await costOf(memory, 'first-b')).toBe('-5');
    expect(controller.idle).toBe(true);
    controller.stop();
    state.stop();
  });

  it('does not write the keep tier after a scale-down: it stays a share of the most the ReplicaSet had', async () => {
    const { clock, memory, state, controller } = await setUp();
    for (let i = 1; i <= 8; i++) await memory.create(Kinds.NodeClaim, claim(`c${i}`, `-${i}`, `n${i}`));
    // 16 pods, two per node: the tier is the top two nodes (4 pods, a quarter).
    for (let i = 1; i <= 8; i++)
      for (const x of ['a', 'b']) await memory.create(Kinds.Pod, rsPod(`p${i}${x}`, { node: `n${i}` }));
    await state.start();
    controller.start();
    await clock.advance(1_000);
    expect(await costOf(memory, 'p2a')).toBeUndefined();
    expect(await costOf(memory, 'p3a')).toBe('-3');
    // Scaled down to the tier's four pods, then one more lands on n3.
    for (let i = 3; i <= 8; i++)
      for (const x of ['a', 'b']) await memory.delete(Kinds.Pod, `p${i}${x}`, 'default');
    await memory.create(Kinds.Pod, rsPod('again', { node: 'n3' }));
    await clock.advance(1_000);
    expect(await costOf(memory, 'again')).toBe('-3');
    // n2's pods stay unwritten (a tier judged on the five pods left would have written them).
    expect(await costOf(memory, 'p2a')).toBeUndefined();
    expect(await costOf(memory, 'p2b')).toBeUndefined();
    controller.stop();
    state.stop();
  });

  it('retries a failed write and forgets a pod that is gone, counting each outcome', async () => {
    const before = Object.fromEntries(
      (await podDeletionCostWritesTotal.get()).values.map((v) => [String(v.labels.result), v.value]),
    );
    let failures = 2;
    const patched: string[] = [];
    const holder: { memory?: MemoryApiServer } = {};
    const { clock, memory, state, controller } = await setUp({
      patch: async (kind, name, patch, namespace) => {
        patched.push(name);
        if (name === 'flaky' && failures-- > 0)
          throw new ApiError(500, 'InternalError', 'etcdserver: request timed out');
        return (holder.memory as MemoryApiServer).patch(kind, name, patch, namespace);
      },
    } as Partial<KubeApi>);
    holder.memory = memory;
    await memory.create(Kinds.NodeClaim, claim('top', '-1', 'node-top'));
    await memory.create(Kinds.NodeClaim, claim('c', '-7', 'node-c'));
    await memory.create(Kinds.Pod, rsPod('kept', { node: 'node-top' }));
    await memory.create(Kinds.Pod, rsPod('flaky', { node: 'node-c' }));
    await memory.create(Kinds.Pod, rsPod('gone', { node: 'node-c' }));
    await state.start();
    // Deleted behind the cache's back: the write finds nothing, which is not an error.
    await memory.delete(Kinds.Pod, 'gone', 'default');
    controller.start();
    await clock.advance(10_000);
    expect(await costOf(memory, 'flaky')).toBe('-7');
    expect(patched.filter((n) => n === 'flaky')).toHaveLength(3);
    const writes = Object.fromEntries(
      (await podDeletionCostWritesTotal.get()).values.map((v) => [
        v.labels.result,
        v.value - (before[String(v.labels.result)] ?? 0),
      ]),
    );
    expect(writes).toEqual({ updated: 1, error: 2 });
    expect(controller.idle).toBe(true);
    controller.stop();
    state.stop();
  });
});
