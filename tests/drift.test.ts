/** Drift on the embedded simulator: nodes that no longer match their NodePool are replaced, within budgets. */
import { Kinds } from '../runtime/kube/kinds';
import { nameOf, type NodePool } from '../runtime/kube/objects';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';

async function twoNodes(budgets: NodePool['spec']['disruption']['budgets']): Promise<Simulation> {
  const sim = await labCluster({
    replicas: 1,
    editPool: (pool) => {
      pool.spec.disruption.budgets = budgets;
    },
  });
  await sim.scale('Deployment', APP_NS, APP, 9);
  await sim.settle();
  expect(workshopNodes(sim)).toHaveLength(2);
  return sim;
}

async function editPool(sim: Simulation, edit: (pool: NodePool) => void): Promise<void> {
  const pool = sim.api.peek(Kinds.NodePool, 'developers-workshop-pool') as NodePool;
  edit(pool);
  await sim.api.update(Kinds.NodePool, pool);
}

const names = (sim: Simulation) => workshopNodes(sim).map((n) => nameOf(n));

describe('drift', () => {
  it('replaces every drifted node at once when the budget allows, not one at a time', async () => {
    const sim = await twoNodes([{ nodes: '100%' }]);
    const before = names(sim);
    await editPool(sim, (pool) => {
      pool.spec.template.metadata = { labels: { ...pool.spec.template.metadata?.labels, team: 'web' } };
    });
    await sim.settle();
    const after = workshopNodes(sim);
    expect(after.map((n) => n.metadata.name).filter((n) => before.includes(n as string))).toEqual([]);
    expect(after.every((n) => n.metadata.labels?.team === 'web')).toBe(true);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    const disrupted = sim.api
      .peekAll(Kinds.Event)
      .filter(
        (e) => e.reason === 'DisruptionTerminating' && e.message.startsWith('Disrupting Node: Drifted'),
      );
    expect(disrupted.map((e) => e.involvedObject.name).sort()).toEqual([...before].sort());
    // One command: both nodes were disrupted at the same moment.
    expect(new Set(disrupted.map((e) => e.firstTimestamp)).size).toBe(1);
    sim.stop();
  });

  it('replaces nodes whose instance type the NodePool no longer allows', async () => {
    const sim = await labCluster({ replicas: 1 });
    await editPool(sim, (pool) => {
      pool.spec.template.spec.requirements[0] = {
        key: 'node.kubernetes.io/instance-type',
        operator: 'In',
        values: ['t3a.large'],
      };
    });
    await sim.settle();
    expect(workshopNodes(sim).map((n) => n.metadata.labels?.['node.kubernetes.io/instance-type'])).toEqual([
      't3a.large',
    ]);
    const drifted = sim.api.peekAll(Kinds.Event).find((e) => e.reason === 'Drifted');
    expect(drifted?.message).toBe('NodeClaim drifted: RequirementsDrifted');
    sim.stop();
  });

  it('holds drifted nodes while the Drifted budget is zero, and says so', async () => {
    const sim = await twoNodes([{ nodes: '0', reasons: ['Drifted'] }]);
    const before = names(sim);
    await editPool(sim, (pool) => {
      pool.spec.template.metadata = { labels: { ...pool.spec.template.metadata?.labels, team: 'web' } };
    });
    await sim.settle();
    expect(names(sim)).toEqual(before);
    expect(sim.operator.disruption.explanations.get(before[1] as string)).toMatch(
      /allows no more \(Drifted\)/,
    );
    const claims = sim.api.peekAll(Kinds.NodeClaim);
    expect(
      claims.every((c) => c.status?.conditions?.some((x) => x.type === 'Drifted' && x.status === 'True')),
    ).toBe(true);
    sim.stop();
  });
});
