import type { CloudProvider } from '../../cloudprovider/types';
import { SimClock } from '../../clock/sim-clock';
import { EventRecorder } from '../../events/recorder';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { NodeSelectorRequirement, Pod, ReplicaSet } from '../../kube/objects';
import { fromResourceList } from '../../scheduling/resources';
import { PROGRESS_WINDOW_MS } from './expected-pods';
import { createLogger } from '../../logging';
import {
  nodeClaimsCreatedTotal,
  podsSchedulingDecisionDurationSeconds,
  registry,
  schedulerIgnoredPodsCount,
  schedulerPendingPodsByEffectiveZoneCount,
  schedulerQueueDepth,
  schedulerUnfinishedWorkSeconds,
  unschedulablePodsCount,
} from '../../metrics';
import type { MinValuesPolicy } from '../../scheduling/scheduler';
import { instanceTypes, nodePool, pod } from '../../scheduling/testing';
import { ClusterState } from '../../state/cluster-state';
import { ProvisioningController } from './controller';

async function samples(metric: { get(): Promise<{ values: { labels: object; value: number }[] }> }) {
  return (await metric.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
}

/** A pod the kube-scheduler gave up on. */
function unschedulable(p: Pod): Pod {
  return {
    ...p,
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
    },
  };
}

const onDemand: NodeSelectorRequirement = {
  key: 'karpenter.sh/capacity-type',
  operator: 'In',
  values: ['on-demand'],
};

async function cluster(minValues?: number, minValuesPolicy?: MinValuesPolicy, replicaSets = false) {
  registry.resetMetrics();
  const clock = new SimClock();
  const api = new MemoryApiServer({ clock });
  const state = new ClusterState(api, clock, undefined, { replicaSets });
  await state.start();
  const requirements: NodeSelectorRequirement[] = [onDemand];
  if (minValues)
    requirements.push({ key: 'node.kubernetes.io/instance-type', operator: 'Exists', minValues });
  await api.create(Kinds.NodePool, nodePool('default', { requirements }));
  const cloud = {
    getInstanceTypes: () => Promise.resolve(instanceTypes(['t3a.medium', 't3a.large'])),
    nodeOverheadPrice: () => Promise.resolve(0),
  } as unknown as CloudProvider;
  const provisioner = new ProvisioningController({
    api,
    cloud,
    state,
    clock,
    recorder: new EventRecorder(api, clock),
    logger: createLogger('silent'),
    ...(minValuesPolicy ? { minValuesPolicy } : {}),
  });
  provisioner.start();
  return { clock, api, state, provisioner };
}

describe('a provisioning round', () => {
  it('reports its queue, ignored pods, effective zones and first decisions', async () => {
    const { clock, api, state, provisioner } = await cluster();
    await api.create(
      Kinds.Pod,
      unschedulable(pod('pinned', { nodeSelector: { 'topology.kubernetes.io/zone': 'us-east-1a' } })),
    );
    await api.create(Kinds.Pod, unschedulable(pod('anywhere')));
    const missingVolume = unschedulable(pod('missing-volume'));
    missingVolume.spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'gone' } }];
    await api.create(Kinds.Pod, missingVolume);
    // The batch closes once a second passes without a new pod.
    await clock.advance(3_000);
    expect(provisioner.lastResult?.newNodeClaims.length).toBeGreaterThan(0);

    const depth = await samples(schedulerQueueDepth);
    expect(depth).toEqual([
      {
        labels: { controller: 'provisioner', scheduling_id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
        value: 0,
      },
    ]);
    expect(await samples(schedulerUnfinishedWorkSeconds)).toEqual([]);
    expect(await samples(schedulerIgnoredPodsCount)).toEqual([{ labels: {}, value: 1 }]);
    // The ignored pod is not counted unschedulable too, as upstream.
    expect(await samples(unschedulablePodsCount)).toEqual([
      { labels: { controller: 'provisioner' }, value: 0 },
    ]);
    expect(await samples(schedulerPendingPodsByEffectiveZoneCount)).toEqual(
      expect.arrayContaining([
        { labels: { controller: 'provisioner', zone: 'us-east-1a' }, value: 1 },
        { labels: { controller: 'provisioner', zone: 'flexible' }, value: 1 },
      ]),
    );
    // Every pod was decided on once, about a second after it was first seen.
    const decided = await podsSchedulingDecisionDurationSeconds.get();
    expect(decided.values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(3);
    expect(decided.values.find((v) => v.metricName?.endsWith('_sum'))?.value).toBeGreaterThanOrEqual(3);
    expect(state.podScheduling.size).toBe(3);

    // The next round replaces the queue series and decides nothing for the first time again.
    await provisioner.provision();
    const next = await samples(schedulerQueueDepth);
    expect(next).toHaveLength(1);
    expect(next[0]?.labels).not.toEqual(depth[0]?.labels);
    expect(
      (await podsSchedulingDecisionDurationSeconds.get()).values.find((v) => v.metricName?.endsWith('_count'))
        ?.value,
    ).toBe(3);
    provisioner.stop();
    state.stop();
  });

  it.each([
    { minValues: 3, policy: 'BestEffort' as const, relaxed: 'true' },
    { minValues: undefined, policy: undefined, relaxed: 'false' },
  ])('counts its NodeClaims with min_values_relaxed=$relaxed', async ({ minValues, policy, relaxed }) => {
    const { clock, api, state, provisioner } = await cluster(minValues, policy);
    await api.create(Kinds.Pod, unschedulable(pod('p')));
    await clock.advance(3_000);
    expect(await samples(nodeClaimsCreatedTotal)).toEqual([
      { labels: { reason: 'provisioned', nodepool: 'default', min_values_relaxed: relaxed }, value: 1 },
    ]);
    provisioner.stop();
    state.stop();
  });
});

describe('planning for the pods a ReplicaSet is still creating', () => {
  function replicaSet(replicas: number): ReplicaSet {
    return {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', resources: { requests: { cpu: '500m' } } }] },
        },
      },
    };
  }

  function ownedBy(rs: ReplicaSet, name: string): Pod {
    const p = unschedulable(pod(name, { cpu: '500m' }));
    p.metadata.labels = { app: 'web' };
    p.metadata.ownerReferences = [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web',
        uid: rs.metadata.uid as string,
        controller: true,
      },
    ];
    return p;
  }

  /** CPU the NodeClaims were created for, in cores. */
  async function claimedCpu(api: MemoryApiServer): Promise<number> {
    const claims = api.peekAll(Kinds.NodeClaim);
    return claims.reduce((sum, c) => sum + (fromResourceList(c.spec.resources?.requests).cpu ?? 0), 0) / 1000;
  }

  it.each([
    { watched: true, cpu: 6 },
    { watched: false, cpu: 1 },
  ])(
    'buys capacity for the declared replicas when watched ($watched): $cpu cores for 2 pending pods of 12',
    async ({ watched, cpu }) => {
      const { clock, api, state, provisioner } = await cluster(undefined, undefined, watched);
      const rs = await api.create(Kinds.ReplicaSet, replicaSet(12));
      await api.create(Kinds.Pod, ownedBy(rs, 'web-1'));
      await api.create(Kinds.Pod, ownedBy(rs, 'web-2'));
      await clock.advance(3_000);
      expect(await claimedCpu(api)).toBeCloseTo(cpu, 5);
      // Events and metrics speak of real pods only: two Nominated, no FailedScheduling, two decisions.
      const events = api.peekAll(Kinds.Event);
      const nominated = events.filter((e) => e.reason === 'Nominated');
      expect(nominated.map((e) => e.involvedObject.name).sort()).toEqual(['web-1', 'web-2']);
      expect(events.filter((e) => e.reason === 'FailedScheduling')).toEqual([]);
      const decided = await podsSchedulingDecisionDurationSeconds.get();
      expect(decided.values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(2);
      expect(provisioner.hasExpectedPods()).toBe(watched);
      provisioner.stop();
      state.stop();
    },
  );

  it('starts a round for a new ReplicaSet before any of its pods exists, and stops once it stalls', async () => {
    const { clock, api, state, provisioner } = await cluster(undefined, undefined, true);
    await api.create(Kinds.ReplicaSet, replicaSet(4));
    await clock.advance(3_000);
    expect(await claimedCpu(api)).toBeCloseTo(2, 5);
    expect(provisioner.hasExpectedPods()).toBe(true);
    // No pod has come for longer than the progress window: it is not planned for again.
    await clock.advance(PROGRESS_WINDOW_MS);
    expect(provisioner.hasExpectedPods()).toBe(false);
    // Its capacity gone (held by the finalizer, deleting), nothing is bought again for pods that never came.
    for (const c of api.peekAll(Kinds.NodeClaim))
      await api.delete(Kinds.NodeClaim, c.metadata.name as string);
    await clock.advance(30_000);
    expect(api.peekAll(Kinds.NodeClaim).filter((c) => !c.metadata.deletionTimestamp)).toEqual([]);
    provisioner.stop();
    state.stop();
  });

  it('plans within a second of the ReplicaSet, while its new pods keep streaming in', async () => {
    const { clock, api, state, provisioner } = await cluster(undefined, undefined, true);
    const rs = await api.create(Kinds.ReplicaSet, replicaSet(40));
    // A pod every 100 ms would hold an ordinary batch open for its full 10 s.
    for (let i = 0; i < 12; i++) {
      await api.create(Kinds.Pod, ownedBy(rs, `web-${i}`));
      await clock.advance(100);
    }
    expect(await claimedCpu(api)).toBeCloseTo(20, 5);
    provisioner.stop();
    state.stop();
  });

  it('buys for expected pods once: later rounds buy only for the pods that end up pending', async () => {
    const { clock, api, state, provisioner } = await cluster(undefined, undefined, true);
    const rs = await api.create(Kinds.ReplicaSet, replicaSet(12));
    await clock.advance(3_000);
    const first = api.peekAll(Kinds.NodeClaim).length;
    expect(await claimedCpu(api)).toBeCloseTo(6, 5);
    // The capacity went away (deleting, held by its finalizer) and one pod is pending: the next round would plan
    // claims for the eleven pods still to come as well, but buys only the one holding the real pod.
    for (const c of api.peekAll(Kinds.NodeClaim))
      await api.delete(Kinds.NodeClaim, c.metadata.name as string);
    await api.create(Kinds.Pod, ownedBy(rs, 'web-1'));
    await clock.advance(3_000);
    const fresh = api.peekAll(Kinds.NodeClaim).filter((c) => !c.metadata.deletionTimestamp);
    expect(fresh).toHaveLength(1);
    expect(provisioner.lastResult?.newNodeClaims.length).toBeGreaterThan(1);
    expect(first).toBeGreaterThan(1);
    // Scaled up again: a new declaration, bought for again.
    await api.patch(Kinds.ReplicaSet, 'web', { spec: { replicas: 30 } }, 'default');
    await clock.advance(3_000);
    const again = api.peekAll(Kinds.NodeClaim).filter((c) => !c.metadata.deletionTimestamp);
    expect(again.length).toBeGreaterThan(fresh.length + 3);
    provisioner.stop();
    state.stop();
  });

  it('does not buy for a ReplicaSet that reports ReplicaFailure (a quota, a webhook)', async () => {
    const { clock, api, state, provisioner } = await cluster(undefined, undefined, true);
    const failing = replicaSet(12);
    failing.status = {
      replicas: 0,
      conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' }],
    };
    const rs = await api.create(Kinds.ReplicaSet, failing);
    await api.create(Kinds.Pod, ownedBy(rs, 'web-1'));
    await clock.advance(3_000);
    expect(await claimedCpu(api)).toBeCloseTo(0.5, 5);
    expect(provisioner.hasExpectedPods()).toBe(false);
    provisioner.stop();
    state.stop();
  });
});
