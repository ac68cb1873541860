/**
 * Consolidation reaches the quality of a fresh plan from a bad starting fleet (issue 22's property, not yet for
 * every fleet): the benchmark deployments are first scheduled on a NodePool restricted to a few instance types
 * drawn at random (a fixed seed each, so CI sees the same fleets), the pool is opened to every on-demand type, and
 * once consolidation (CONSOLIDATION_REPACK on, 10 % node budget) has settled the fleet costs at most
 * CONSOLIDATED_WITHIN × what the scheduler buys for the same pods from nothing; every pod runs. The settle waits
 * out the hour a consolidation that was undone keeps its nodes back (undo.ts).
 *
 * Measured on seeds 1–6 (session 17): five ended at 0.985–1.028 × the fresh plan; seed 4's fleet (g5.8xlarge,
 * c7g.8xlarge, c6g.4xlarge) rests at 1.062 ×, the open part of the issue. Seeds 1 and 3 (the worst start, 2.24 ×)
 * run here, about two minutes each.
 */
import { defaultCatalog } from '../runtime/cloudprovider/simulated/catalog';
import { fleetCost, startingFleet } from './support/fleets';

jest.setTimeout(600_000);

/** The plan's own target against the bound that knows pods are indivisible (docs/BENCHMARKS.md). */
const CONSOLIDATED_WITHIN = 1.05;

/** 1 to 3 instance types of the catalog, drawn with a small seeded generator (mulberry32). */
function startTypes(seed: number): string[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const names = defaultCatalog.specs.map((s) => s.name);
  const count = 1 + Math.floor(random() * 3);
  const out: string[] = [];
  while (out.length < count) {
    const name = names[Math.floor(random() * names.length)] as string;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

async function freshCost(seed: number): Promise<number> {
  const sim = await startingFleet({ seed });
  try {
    return (await fleetCost(sim)).cost;
  } finally {
    sim.stop();
  }
}

describe('consolidation quality', () => {
  it.each([1, 3])('from the fleet of seed %i, settles within 5%% of a fresh plan', async (seed) => {
    const start = startTypes(seed);
    const fresh = await freshCost(seed);
    const sim = await startingFleet({ seed, start, settings: { consolidationRepack: true } });
    try {
      const before = await fleetCost(sim);
      const settled = await sim.settle({ quietMs: 90 * 60_000, maxMs: 8 * 3600_000 });
      const after = await fleetCost(sim);
      expect(settled.settled).toBe(true);
      expect(after.notRunning).toBe(0);
      // Each start is a fleet worth consolidating: at least 5 % above the fresh plan.
      expect(before.cost).toBeGreaterThan(fresh * CONSOLIDATED_WITHIN);
      expect(after.cost).toBeLessThanOrEqual(fresh * CONSOLIDATED_WITHIN);
    } finally {
      sim.stop();
    }
  });
});
