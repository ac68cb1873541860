/** Provisioning rounds with CapacityBuffer virtual pods: planned after real pods, never nominated or evented. */
import type { CloudProvider } from '../../cloudprovider/types';
import { SimClock } from '../../clock/sim-clock';
import { EventRecorder } from '../../events/recorder';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { Node, Pod } from '../../kube/objects';
import { createLogger } from '../../logging';
import type { SchedulingResult } from '../../scheduling/scheduler';
import { instanceTypes, nodePool, pod } from '../../scheduling/testing';
import { ClusterState } from '../../state/cluster-state';
import { cpuVirtualPods, testCapacityBuffer } from '../capacity-buffer/testing';
import { ProvisioningController } from './controller';

const buffer = testCapacityBuffer({ name: 'headroom', namespace: 'default', uid: 'b' }, { replicas: 2 });

const unschedulable = (p: Pod): Pod => ({
  ...p,
  status: {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
  },
});

/** A Ready node outside any NodePool with 1 cpu free. */
const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
  status: {
    allocatable: { cpu: '1', memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
};

async function cluster(virtual: Pod[]) {
  const clock = new SimClock();
  const api = new MemoryApiServer({ clock });
  const state = new ClusterState(api, clock);
  await state.start();
  await api.create(Kinds.NodePool, nodePool('default'));
  await api.create(Kinds.Node, node);
  const rounds: SchedulingResult[] = [];
  const provisioner = new ProvisioningController({
    api,
    cloud: {
      getInstanceTypes: () => Promise.resolve(instanceTypes(['t3a.medium', 't3a.large'])),
      nodeOverheadPrice: () => Promise.resolve(0),
    } as unknown as CloudProvider,
    state,
    clock,
    recorder: new EventRecorder(api, clock),
    logger: createLogger('silent'),
    capacityBuffers: { virtualPods: () => virtual, noteRound: (r) => rounds.push(r) },
  });
  return { api, clock, state, provisioner, rounds };
}

describe('provisioning with CapacityBuffer virtual pods', () => {
  it('buys headroom with nothing pending, without nominating the node that holds some of it', async () => {
    const { api, state, provisioner, rounds } = await cluster(cpuVirtualPods(buffer, '600m', 2));
    // One virtual pod fits n1, the other needs a claim.
    const result = await provisioner.provision();
    expect(result?.existing.get('n1')?.map((p) => p.metadata.name)).toEqual(['capacity-buffer-headroom-1']);
    expect(rounds).toHaveLength(1);
    expect(api.peekAll(Kinds.NodeClaim)).toHaveLength(1);
    expect(state.isNominated('n1')).toBe(false);
    provisioner.stop();
  });

  it('gives the existing room to a real pod first, and events only the real pod', async () => {
    const { api, clock, state, provisioner } = await cluster(cpuVirtualPods(buffer, '600m', 2));
    // Smaller than the virtual pods, which size order alone would place first on n1 (1 cpu): 600m + 600m.
    await api.create(Kinds.Pod, unschedulable(pod('z-real', { cpu: '300m' })));
    const result = await provisioner.provision();
    expect(result?.existing.get('n1')?.map((p) => p.metadata.name)).toEqual([
      'z-real',
      'capacity-buffer-headroom-1',
    ]);
    expect(result?.newNodeClaims.flatMap((c) => c.pods.map((p) => p.metadata.name))).toEqual([
      'capacity-buffer-headroom-2',
    ]);
    expect(state.isNominated('n1')).toBe(true);
    await clock.advance(1000);
    const events = api.peekAll(Kinds.Event);
    expect(events.some((e) => e.involvedObject?.name === 'z-real')).toBe(true);
    expect(events.filter((e) => e.involvedObject?.name?.startsWith('capacity-buffer-'))).toEqual([]);
    provisioner.stop();
  });

  it('says nothing about virtual pods that fit nowhere: the buffer’s condition does', async () => {
    const tooBig = cpuVirtualPods(buffer, '64', 1);
    const { api, clock, provisioner, rounds } = await cluster(tooBig);
    const result = await provisioner.provision();
    expect(result?.unschedulable.size).toBe(1);
    expect(rounds[0]?.unschedulable.size).toBe(1);
    await clock.advance(1000);
    expect(api.peekAll(Kinds.Event).filter((e) => e.reason === 'FailedScheduling')).toEqual([]);
    expect(api.peekAll(Kinds.NodeClaim)).toEqual([]);
    provisioner.stop();
  });
});
