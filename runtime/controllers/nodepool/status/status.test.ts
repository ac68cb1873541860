import { SimClock } from '../../../clock/sim-clock';
import { EventRecorder } from '../../../events/recorder';
import type { CloudProvider } from '../../../cloudprovider/types';
import { Kinds } from '../../../kube/kinds';
import { MemoryApiServer } from '../../../kube/memory/memory-api-server';
import { testNodeClaim } from '../../../kube/testing';
import type { EC2NodeClass, NodePool } from '../../../kube/objects';
import { createLogger } from '../../../logging';
import { nodePool } from '../../../scheduling/testing';
import { testNodeClass } from '../../../cloudprovider/aws/testing';
import { ClusterState } from '../../../state/cluster-state';
import { NodePoolStatusController } from './controller';
import { RegistrationHealth } from './registration-health';
import { nodePoolStatus, statusChanged } from './status';

const pool = nodePool('default');
const conditionOf = (p: { status?: NodePool['status'] }, type: string) =>
  p.status?.conditions?.find((c) => c.type === type);

describe('nodePoolStatus', () => {
  const base = {
    nodePool: pool,
    capacities: [],
    nodeClassStatusManaged: true,
    now: 0,
    registration: { status: 'Unknown' as const },
  };

  it('shows the USD/hour its spend cap counts under the cap key, only when given', () => {
    const withCost = nodePoolStatus({ ...base, nodeClass: undefined, costPerHour: 1.23456 });
    expect(withCost.resources?.['karpenter-ts.sh/cost-per-hour']).toBe('1.2346');
    expect(nodePoolStatus({ ...base, nodeClass: undefined }).resources).not.toHaveProperty(
      'karpenter-ts.sh/cost-per-hour',
    );
  });

  it('sums the capacity of the pool nodes, with the base resources and the node count', () => {
    const status = nodePoolStatus({
      ...base,
      nodeClass: undefined,
      capacities: [
        { cpu: 2000, memory: 4 * 2 ** 30, pods: 17 },
        { cpu: 4000, memory: 8 * 2 ** 30, pods: 29 },
      ],
    });
    expect(status.resources).toEqual({
      cpu: '6',
      memory: '12Gi',
      pods: '46',
      'ephemeral-storage': '0',
      nodes: '2',
    });
    expect(status.nodes).toBe(2);
    expect(nodePoolStatus({ ...base, nodeClass: undefined }).resources).toEqual({
      cpu: '0',
      memory: '0',
      pods: '0',
      'ephemeral-storage': '0',
      nodes: '0',
    });
  });

  it('writes NodeRegistrationHealthy from the verdict and the node class generation, without touching Ready', () => {
    const nodeClass = { ...testNodeClass(), metadata: { ...testNodeClass().metadata, generation: 7 } };
    const failing = nodePoolStatus({
      ...base,
      nodePool: { ...pool, metadata: { ...pool.metadata, generation: 2 } },
      nodeClass,
      nodeClassStatusManaged: false,
      registration: { status: 'False', reason: 'AccessDenied', message: 'CreateFleet: denied' },
    });
    expect(failing.nodeClassObservedGeneration).toBe(7);
    expect(conditionOf({ status: failing }, 'NodeRegistrationHealthy')).toMatchObject({
      status: 'False',
      reason: 'AccessDenied',
      message: 'CreateFleet: denied',
      observedGeneration: 2,
    });
    // Upstream's Ready depends on ValidationSucceeded and NodeClassReady only.
    expect(conditionOf({ status: failing }, 'Ready')?.status).toBe('True');
    // With the node class gone, the generation last observed stays.
    const gone = nodePoolStatus({ ...base, nodePool: { ...pool, status: failing }, nodeClass: undefined });
    expect(gone.nodeClassObservedGeneration).toBe(7);
  });

  it('is Ready only when it validates and its node class is Ready, naming what is not', () => {
    const readyClass: EC2NodeClass = {
      ...testNodeClass(),
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '', lastTransitionTime: '' }],
      },
    };
    expect(conditionOf({ status: nodePoolStatus({ ...base, nodeClass: readyClass }) }, 'Ready')?.status).toBe(
      'True',
    );

    const missing = nodePoolStatus({ ...base, nodeClass: undefined });
    expect(conditionOf({ status: missing }, 'NodeClassReady')).toMatchObject({
      status: 'False',
      reason: 'NodeClassNotFound',
      message: 'NodeClass not found on cluster',
    });
    expect(conditionOf({ status: missing }, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'UnhealthyDependents',
      message: 'NodeClassReady=False',
    });
    const notReady: EC2NodeClass = {
      ...testNodeClass(),
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'SubnetsNotFound',
            message: 'no subnets',
            lastTransitionTime: '',
          },
        ],
      },
    };
    expect(
      conditionOf({ status: nodePoolStatus({ ...base, nodeClass: notReady }) }, 'NodeClassReady'),
    ).toMatchObject({
      status: 'False',
      reason: 'SubnetsNotFound',
      message: 'no subnets',
    });
    const unknown = nodePoolStatus({ ...base, nodeClass: testNodeClass() });
    expect(conditionOf({ status: unknown }, 'NodeClassReady')?.reason).toBe('NodeClassReadinessUnknown');
    // A cloud that keeps no node class status (kwok, the simulator): an existing node class is ready.
    const kwok = nodePoolStatus({ ...base, nodeClass: testNodeClass(), nodeClassStatusManaged: false });
    expect(conditionOf({ status: kwok }, 'Ready')?.status).toBe('True');
  });

  it('reports a spec the schema refuses as ValidationSucceeded=False', () => {
    const broken = structuredClone(pool);
    broken.spec.template.spec.requirements = [{ key: 'team', operator: 'In', values: [] }];
    const status = nodePoolStatus({
      ...base,
      nodePool: broken,
      nodeClass: testNodeClass(),
      nodeClassStatusManaged: false,
    });
    expect(conditionOf({ status }, 'ValidationSucceeded')).toMatchObject({
      status: 'False',
      reason: 'NodePoolValidationFailed',
    });
    expect(conditionOf({ status }, 'ValidationSucceeded')?.message).toMatch(/requirements/);
    expect(conditionOf({ status }, 'Ready')?.message).toBe('ValidationSucceeded=False');
  });

  it('keeps condition times when nothing changes, so an unchanged pool is not written again', () => {
    const first = nodePoolStatus({ ...base, nodeClass: undefined, now: 1_000 });
    const again = nodePoolStatus({
      ...base,
      nodePool: { ...pool, status: first },
      nodeClass: undefined,
      now: 9_000,
    });
    expect(statusChanged(first, again)).toBe(false);
  });
});

describe('NodePoolStatusController', () => {
  it('writes resources, nodes and conditions, and follows the pool nodes', async () => {
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    await api.create(Kinds.NodePool, pool);
    await api.create(Kinds.EC2NodeClass, testNodeClass());
    const state = new ClusterState(api, clock);
    await state.start();
    const controller = new NodePoolStatusController({
      api,
      cloud: { name: 'kwok' } as CloudProvider,
      state,
      clock,
      recorder: new EventRecorder(api, clock),
      logger: createLogger('silent'),
      registrationHealth: new RegistrationHealth(),
    });
    controller.start();
    await clock.advance(1_000);
    expect((await api.get(Kinds.NodePool, 'default'))?.status).toMatchObject({
      nodes: 0,
      resources: { nodes: '0' },
    });

    await api.create(
      Kinds.NodeClaim,
      testNodeClaim('c1', {
        metadata: { labels: { 'karpenter.sh/nodepool': 'default' } },
        status: { capacity: { cpu: '2', memory: '4Gi', pods: '17' } },
      }),
    );
    await clock.advance(1_000);
    const stored = await api.get(Kinds.NodePool, 'default');
    expect(stored?.status).toMatchObject({
      nodes: 1,
      resources: { cpu: '2', memory: '4Gi', pods: '17', nodes: '1' },
    });
    expect(conditionOf(stored ?? {}, 'Ready')?.status).toBe('True');
    const rv = stored?.metadata.resourceVersion;
    await clock.advance(10_000);
    expect((await api.get(Kinds.NodePool, 'default'))?.metadata.resourceVersion).toBe(rv);

    // A claim's status changing in a way that does not count (conditions only) queues no recount; its deletion does.
    const recounts = jest.spyOn(state, 'stateNodes');
    await api.patch(Kinds.NodeClaim, 'c1', {
      status: {
        conditions: [
          { type: 'Launched', status: 'True', reason: 'Launched', message: '', lastTransitionTime: '' },
        ],
      },
    });
    await clock.advance(1_000);
    expect(recounts).not.toHaveBeenCalled();
    await api.delete(Kinds.NodeClaim, 'c1');
    await clock.advance(1_000);
    expect(recounts).toHaveBeenCalled();
    expect((await api.get(Kinds.NodePool, 'default'))?.status?.nodes).toBe(0);
    controller.stop();
    state.stop();
  });
});
