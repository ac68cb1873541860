/**
 * Properties of disruption over random clusters on the embedded simulator: whatever the workload, budget and
 * PodDisruptionBudget, consolidation never exceeds the budget, never makes more pods unavailable than the PDB
 * allows, never strands a pod, and never leaves the cluster costing more than before it started.
 */
import fc from 'fast-check';
import { Kinds } from '../runtime/kube/kinds';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, pdb, workshopNodes } from './support/cluster';

const TYPES = ['t3a.medium', 't3a.large', 't3a.xlarge', 'm5.large', 'c5.xlarge', 'm5.2xlarge'];

interface Scenario {
  types: string[];
  cpu: string;
  up: number;
  down: number;
  budget: number;
  maxUnavailable: number;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    types: fc.subarray(TYPES, { minLength: 1 }),
    cpu: fc.constantFrom('250m', '500m', '900m'),
    up: fc.integer({ min: 3, max: 14 }),
    downShare: fc.double({ min: 0.05, max: 0.9, noNaN: true }),
    budget: fc.integer({ min: 1, max: 3 }),
    maxUnavailable: fc.integer({ min: 1, max: 2 }),
  })
  .map(({ downShare, ...s }) => ({ ...s, down: Math.max(1, Math.floor(s.up * downShare)) }));

function clusterPrice(sim: Simulation): number {
  const live = new Set(workshopNodes(sim).map((n) => n.spec?.providerID));
  return sim.cloud
    .allInstances()
    .filter((i) => i.state !== 'terminated' && live.has(i.providerID))
    .reduce((sum, i) => sum + i.price, 0);
}

function disrupting(sim: Simulation): number {
  return sim.api
    .peekAll(Kinds.NodeClaim)
    .filter(
      (c) =>
        c.metadata.deletionTimestamp ||
        sim.api
          .peekAll(Kinds.Node)
          .some(
            (n) =>
              n.spec?.providerID === c.status?.providerID &&
              n.spec?.taints?.some((t) => t.key === 'karpenter.sh/disrupted'),
          ),
    ).length;
}

function unavailable(sim: Simulation, desired: number): number {
  const ready = sim
    .pods()
    .filter(
      (p) =>
        p.metadata.labels?.app === 'fastapi-app' &&
        !p.metadata.deletionTimestamp &&
        p.status?.phase === 'Running',
    ).length;
  return Math.max(0, desired - ready);
}

/** How many runs actually consolidated something: a property that never got exercised proves nothing. */
let consolidatedRuns = 0;

async function check(s: Scenario): Promise<void> {
  const sim = await labCluster({
    replicas: 1,
    appCpu: s.cpu,
    editPool: (pool) => {
      const req = pool.spec.template.spec.requirements.find(
        (r) => r.key === 'node.kubernetes.io/instance-type',
      );
      if (req) req.values = s.types;
      pool.spec.disruption.budgets = [{ nodes: String(s.budget) }];
    },
  });
  try {
    await sim.scale('Deployment', APP_NS, APP, s.up);
    await sim.settle();
    await sim.apply([
      pdb('app', { selector: { matchLabels: { app: 'fastapi-app' } }, maxUnavailable: s.maxUnavailable }),
    ]);
    const before = clusterPrice(sim);
    await sim.scale('Deployment', APP_NS, APP, s.down);
    let quiet = 0;
    let lastVersion = sim.api.resourceVersion;
    for (let t = 0; t < 30 * 60 && quiet < 90; t++) {
      await sim.clock.advance(1000);
      expect(disrupting(sim)).toBeLessThanOrEqual(s.budget);
      expect(unavailable(sim, s.down)).toBeLessThanOrEqual(s.maxUnavailable);
      quiet = sim.api.resourceVersion === lastVersion ? quiet + 1 : 0;
      lastVersion = sim.api.resourceVersion;
    }
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toEqual([]);
    expect(clusterPrice(sim)).toBeLessThanOrEqual(before + 1e-9);
    if (clusterPrice(sim) < before - 1e-9) consolidatedRuns++;
  } finally {
    sim.stop();
  }
}

describe('disruption properties over random clusters', () => {
  it('respects budgets and PDBs, strands no pod, and never raises the cost', async () => {
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: 12, seed: 20261122 });
    expect(consolidatedRuns).toBeGreaterThan(3);
  }, 240_000);
});
