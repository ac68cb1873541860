/**
 * Repack consolidation (CONSOLIDATION_REPACK) on the simulator: a fleet of large nodes, each full of a mix of
 * pods no single cheaper type takes, which single- and multi-node consolidation leave as it is once the NodePool
 * allows every type. With repack the fleet gets cheaper and every pod still runs.
 */
import { fleetCost, startingFleet } from './support/fleets';

jest.setTimeout(120_000);

async function repackedFleet(repack: boolean) {
  const sim = await startingFleet({
    start: ['m6g.16xlarge'],
    seed: 42,
    budget: '20%',
    settings: { consolidationRepack: repack },
  });
  try {
    const before = await fleetCost(sim);
    await sim.settle({ quietMs: 600_000, maxMs: 4 * 3600_000 });
    return { before, after: await fleetCost(sim), pods: sim.pods().length };
  } finally {
    sim.stop();
  }
}

describe('repack consolidation', () => {
  it('makes a fleet of full, ill-matched nodes cheaper; every pod keeps running', async () => {
    const { before, after, pods } = await repackedFleet(true);
    expect(before.nodes).toBeGreaterThan(5);
    expect(after.cost).toBeLessThan(before.cost * 0.97);
    expect(pods).toBeGreaterThan(400);
    expect(after.notRunning).toBe(0);
  });

  it('without it (the default, as upstream) the same fleet stays as it is', async () => {
    const { before, after } = await repackedFleet(false);
    expect(after.cost).toBeCloseTo(before.cost, 6);
    expect(after.nodes).toBe(before.nodes);
  });
});
