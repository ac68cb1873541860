import { Labels } from '../../../sdk/api/well-known';
import { Requirement, Requirements } from '../../scheduling/requirements';
import type { PlannedNodeClaim } from '../../scheduling/scheduler';
import { instanceTypes, nodePool, plannedClaim } from '../../scheduling/testing';
import { SimClock } from '../../clock/sim-clock';
import { CloudProviderError, type CloudProvider } from '../../cloudprovider/types';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { NodePool } from '../../kube/objects';
import { ClusterState } from '../../state/cluster-state';
import { nodeClaimFor, schedulingNodePools } from './nodeclaim-factory';

function plan(extra: Partial<PlannedNodeClaim> = {}): PlannedNodeClaim {
  return { ...plannedClaim(instanceTypes(['t3a.medium', 'm5.large'])), ...extra };
}

describe('nodeClaimFor', () => {
  const pool = nodePool('default');

  it('lists the planned instance types, cheapest first, and stamps the drift hashes', () => {
    const claim = nodeClaimFor(pool, plan());
    const types = claim.spec.requirements.find((r) => r.key === 'node.kubernetes.io/instance-type');
    expect(types?.values).toEqual(['t3a.medium', 'm5.large']);
    expect(claim.metadata.annotations?.['karpenter.sh/nodepool-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(claim.metadata.annotations?.['karpenter.sh/nodeclaim-min-values-relaxed']).toBeUndefined();
  });

  it('never writes a hostname requirement (the NodeClaim CRD refuses it, as upstream)', () => {
    const base = plan();
    const requirements = new Requirements([
      ...base.requirements.values(),
      Requirement.exists(Labels.hostname),
      Requirement.in(Labels.zone, ['us-east-1a']),
    ]);
    const keys = nodeClaimFor(pool, { ...base, requirements }).spec.requirements.map((r) => r.key);
    expect(keys).toContain(Labels.zone);
    expect(keys).not.toContain(Labels.hostname);
  });

  it('marks a claim whose minValues were relaxed (MIN_VALUES_POLICY=BestEffort)', () => {
    const claim = nodeClaimFor(pool, plan({ minValuesRelaxed: true }));
    expect(claim.metadata.annotations?.['karpenter.sh/nodeclaim-min-values-relaxed']).toBe('true');
  });
});

describe('schedulingNodePools', () => {
  async function stateWith(...pools: string[]): Promise<ClusterState> {
    const clock = new SimClock();
    const memory = new MemoryApiServer({ clock });
    for (const name of pools) await memory.create(Kinds.NodePool, nodePool(name));
    const state = new ClusterState(memory, clock);
    await state.start();
    return state;
  }
  const cloudRefusing = (refused: Record<string, CloudProviderError>) =>
    ({
      getInstanceTypes: async (np: NodePool) => {
        const err = refused[np.metadata.name ?? ''];
        if (err) throw err;
        return instanceTypes(['t3a.medium']);
      },
      nodeOverheadPrice: async () => 0,
    }) as unknown as CloudProvider;

  it('leaves out a pool whose node class the cloud refuses for good, and says which; the others stay', async () => {
    const state = await stateWith('good', 'bad');
    const refusal = new CloudProviderError('NodeClassNotReady', 'ec2nodeclass', 'remove the field', false);
    const refused: string[] = [];
    const pools = await schedulingNodePools(state, cloudRefusing({ bad: refusal }), 0, (np, err) =>
      refused.push(`${np.metadata.name}: ${err.message}`),
    );
    expect(pools.map((p) => p.nodePool.metadata.name)).toEqual(['good']);
    expect(refused).toEqual(['bad: remove the field']);
    state.stop();
  });

  it('fails the whole round on an error that may clear up by itself (the round is retried)', async () => {
    const state = await stateWith('good', 'throttled');
    const throttled = new CloudProviderError('Throttled', 'ec2:DescribeInstanceTypes', 'slow down');
    await expect(schedulingNodePools(state, cloudRefusing({ throttled }))).rejects.toThrow('slow down');
    state.stop();
  });
});
