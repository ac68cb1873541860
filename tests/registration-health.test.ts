/**
 * NodeRegistrationHealthy on the embedded simulator: a node class whose launches fail (or whose nodes never join)
 * turns its NodePool's condition False with upstream's reason once 2 of the last 4 claims failed; fixing the node
 * class (a new generation) resets it to Unknown, and the registrations that follow turn it True.
 */
import { CloudProviderError } from '../runtime/cloudprovider/types';
import { Kinds } from '../runtime/kube/kinds';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';

const MIN = 60_000;
const POOL = 'developers-workshop-pool';

async function registrationHealthy(sim: Simulation) {
  const pool = await sim.api.get(Kinds.NodePool, POOL);
  return {
    condition: pool?.status?.conditions?.find((c) => c.type === 'NodeRegistrationHealthy'),
    ready: pool?.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    nodeClassObservedGeneration: pool?.status?.nodeClassObservedGeneration,
  };
}

async function fixNodeClass(sim: Simulation): Promise<void> {
  sim.cloud.nodeClassFaults.repair('default');
  await sim.api.patch(Kinds.EC2NodeClass, 'default', { spec: { tags: { fixed: 'true' } } });
}

describe('NodeRegistrationHealthy', () => {
  it('goes False when launches from the node class fail, Unknown when it is fixed, True as nodes register', async () => {
    const sim = await labCluster({ replicas: 1 });
    expect(await registrationHealthy(sim)).toMatchObject({
      condition: { status: 'True', reason: 'NodeRegistrationHealthy' },
      nodeClassObservedGeneration: 1,
    });
    const before = workshopNodes(sim).length;

    sim.cloud.nodeClassFaults.break('default', {
      kind: 'launch',
      error: new CloudProviderError('AccessDenied', 'CreateFleet', 'not authorized to perform iam:PassRole'),
    });
    await sim.scale('Deployment', APP_NS, APP, 24);
    // Each claim retries its launch until the 5 min launch timeout, then is given up on: one failure each.
    await sim.clock.advance(4 * MIN);
    expect((await registrationHealthy(sim)).condition?.status).toBe('True');
    await sim.clock.advance(3 * MIN);
    const failed = await registrationHealthy(sim);
    expect(failed.condition).toMatchObject({
      status: 'False',
      reason: 'AccessDenied',
      message: 'CreateFleet: not authorized to perform iam:PassRole',
    });
    // It informs only: the pool stays Ready and no node came.
    expect(failed.ready).toBe('True');
    expect(workshopNodes(sim)).toHaveLength(before);

    await fixNodeClass(sim);
    await sim.clock.advance(1_000);
    expect(await registrationHealthy(sim)).toMatchObject({
      condition: { status: 'Unknown', reason: 'AwaitingReconciliation' },
      nodeClassObservedGeneration: 2,
    });
    await sim.settle();
    expect((await registrationHealthy(sim)).condition?.status).toBe('True');
    expect(workshopNodes(sim).length).toBeGreaterThan(before);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    sim.stop();
  });

  it('says RegistrationFailed when instances launch but their nodes never join', async () => {
    const sim = await labCluster({ replicas: 1 });
    sim.cloud.nodeClassFaults.break('default', { kind: 'register' });
    await sim.scale('Deployment', APP_NS, APP, 24);
    await sim.clock.advance(14 * MIN);
    expect((await registrationHealthy(sim)).condition?.status).toBe('True');
    await sim.clock.advance(3 * MIN);
    expect((await registrationHealthy(sim)).condition).toMatchObject({
      status: 'False',
      reason: 'RegistrationFailed',
      message: 'Failed to register node',
    });
    // Editing the NodePool resets it too (its generation moves).
    await sim.api.patch(Kinds.NodePool, POOL, { spec: { weight: 5 } });
    await sim.clock.advance(1_000);
    expect((await registrationHealthy(sim)).condition?.status).toBe('Unknown');
    sim.stop();
  });
});
