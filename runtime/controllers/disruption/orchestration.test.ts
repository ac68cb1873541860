import type { CloudProvider } from '../../cloudprovider/types';
import { SimClock } from '../../clock/sim-clock';
import { EventRecorder } from '../../events/recorder';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import { testNodeClaim } from '../../kube/testing';
import type { NodeClaim, NodePool } from '../../kube/objects';
import { createLogger } from '../../logging';
import {
  nodeClaimsCreatedTotal,
  nodeClaimsDisruptedTotal,
  podsDisruptionInitiatedTotal,
  registry,
  voluntaryDisruptionQueueFailuresTotal,
} from '../../metrics';
import { Requirement, Requirements } from '../../scheduling/requirements';
import type { PlannedNodeClaim } from '../../scheduling/scheduler';
import { instanceTypes, nodePool, pod } from '../../scheduling/testing';
import { ClusterState, type StateNode } from '../../state/cluster-state';
import type { Candidate } from './candidates';
import type { Command } from './methods';
import { DESTINATION_HOLD_MS, Orchestrator, REPLACEMENT_TIMEOUT_MS } from './orchestration';

async function samples(metric: { get(): Promise<{ values: { labels: object; value: number }[] }> }) {
  return (await metric.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
}

function stateNode(claim: NodeClaim): StateNode {
  return {
    name: claim.metadata.name as string,
    nodeClaim: claim,
    managed: true,
    nodePoolName: 'default',
    pods: [],
    labels: claim.metadata.labels ?? {},
    taints: [],
    allocatable: {},
    requested: {},
    registered: true,
    initialized: true,
    deleting: false,
    markedForDisruption: false,
  };
}

describe('Orchestrator metrics', () => {
  let clock: SimClock;
  let api: MemoryApiServer;
  let state: ClusterState;
  let orchestrator: Orchestrator;
  let pool: NodePool;

  beforeEach(async () => {
    registry.resetMetrics();
    clock = new SimClock();
    api = new MemoryApiServer({ clock });
    state = new ClusterState(api, clock);
    await state.start();
    pool = await api.create(Kinds.NodePool, nodePool('default'));
    orchestrator = new Orchestrator({
      api,
      clock,
      state,
      cloud: {} as CloudProvider,
      recorder: new EventRecorder(api, clock),
      logger: createLogger('silent'),
      stopped: () => false,
      onConsolidated: () => undefined,
    });
  });

  afterEach(() => state.stop());

  async function candidate(name: string, terminationGracePeriod?: string): Promise<Candidate> {
    const claim = await api.create(
      Kinds.NodeClaim,
      testNodeClaim(name, {
        metadata: { labels: { 'karpenter.sh/nodepool': 'default', 'karpenter.sh/capacity-type': 'spot' } },
        ...(terminationGracePeriod ? { spec: { terminationGracePeriod } } : {}),
      }),
    );
    return {
      stateNode: stateNode(claim),
      nodePool: pool,
      price: 1,
      reschedulablePods: [pod(`${name}-a`), pod(`${name}-b`)],
      disruptionCost: 1,
    };
  }

  it("keeps a command's destinations nominated while its candidate is there, then lets them go", async () => {
    const moved = await candidate('old');
    await api.create(Kinds.Node, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'old' } });
    await clock.advance(10);
    await orchestrator.execute({
      reason: 'Underutilized',
      candidates: [moved],
      replacements: [],
      savings: 1,
      destinations: ['dest'],
    });
    expect(state.isNominated('dest')).toBe(true);
    // Still draining after a long while: each poll renews the hold.
    await clock.advance(DESTINATION_HOLD_MS * 3);
    expect(state.isNominated('dest')).toBe(false);
    orchestrator.holdDestinations();
    expect(state.isNominated('dest')).toBe(true);
    // Gone: the hold runs out and is not renewed.
    await api.delete(Kinds.Node, 'old');
    await clock.advance(10);
    orchestrator.holdDestinations();
    await clock.advance(DESTINATION_HOLD_MS);
    orchestrator.holdDestinations();
    expect(state.isNominated('dest')).toBe(false);
  });

  it('counts a consolidation under the NodePool policy and the claim termination mode, with its pods', async () => {
    const command: Command = {
      reason: 'Empty',
      candidates: [await candidate('old', '1h')],
      replacements: [],
      savings: 1,
    };
    await orchestrator.execute(command);
    const labels = {
      reason: 'empty',
      nodepool: 'default',
      capacity_type: 'spot',
      consolidation_policy: 'when_empty_or_underutilized',
      termination_mode: 'eventual',
    };
    expect(await samples(nodeClaimsDisruptedTotal)).toEqual([{ labels, value: 1 }]);
    expect(await samples(podsDisruptionInitiatedTotal)).toEqual([{ labels, value: 2 }]);
  });

  it('reports no consolidation policy for drift, and graceful termination without a grace period', async () => {
    await orchestrator.execute({
      reason: 'Drifted',
      candidates: [await candidate('drifted')],
      replacements: [],
      savings: 0,
    });
    expect(await samples(nodeClaimsDisruptedTotal)).toEqual([
      {
        labels: {
          reason: 'drifted',
          nodepool: 'default',
          capacity_type: 'spot',
          consolidation_policy: '',
          termination_mode: 'graceful',
        },
        value: 1,
      },
    ]);
  });

  it('counts a replacement that never initializes as a queue failure, and its relaxed minValues', async () => {
    const replacement: PlannedNodeClaim = {
      nodePoolName: 'default',
      requirements: new Requirements([Requirement.in('karpenter.sh/capacity-type', ['on-demand'])]),
      taints: [],
      pods: [],
      requests: {},
      instanceTypeOptions: instanceTypes(['t3a.medium']),
      minValuesRelaxed: true,
    };
    const done = orchestrator.execute({
      reason: 'Underutilized',
      candidates: [await candidate('big')],
      replacements: [replacement],
      savings: 1,
    });
    await clock.advance(REPLACEMENT_TIMEOUT_MS + 5_000);
    await done;
    expect(await samples(voluntaryDisruptionQueueFailuresTotal)).toEqual([
      { labels: { decision: 'replace', reason: 'underutilized', consolidation_type: 'single' }, value: 1 },
    ]);
    expect(await samples(nodeClaimsCreatedTotal)).toEqual([
      { labels: { reason: 'underutilized', nodepool: 'default', min_values_relaxed: 'true' }, value: 1 },
    ]);
    // Undone: the candidate stays.
    expect(await samples(nodeClaimsDisruptedTotal)).toEqual([]);
    expect(await api.get(Kinds.NodeClaim, 'big')).toBeDefined();
  });
});
