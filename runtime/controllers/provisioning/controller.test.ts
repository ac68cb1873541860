import type { CloudProvider } from '../../cloudprovider/types';
import { SimClock } from '../../clock/sim-clock';
import { EventRecorder } from '../../events/recorder';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { NodeSelectorRequirement, Pod } from '../../kube/objects';
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

async function cluster(minValues?: number, minValuesPolicy?: MinValuesPolicy) {
  registry.resetMetrics();
  const clock = new SimClock();
  const api = new MemoryApiServer({ clock });
  const state = new ClusterState(api, clock);
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
