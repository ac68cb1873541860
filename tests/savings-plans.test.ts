/**
 * SAVINGS_PLANS on the simulator: a commitment that covers a family the pool would not otherwise choose makes the
 * scheduler choose it while the commitment has room, the covered node bills at the plan's rate, the metrics say
 * how much of the commitment is used, and a scale-down with the plan used up does not trade the covered node for
 * one that is cheaper only at list price.
 */
import { Kinds } from '../runtime/kube/kinds';
import type { Deployment, Node } from '../runtime/kube/objects';
import { scrape } from '../runtime/metrics';
import type { SavingsPlan } from '../runtime/scheduling/savings-plans';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP_NS, labCluster } from './support/cluster';
import { deployment } from './support/fleets';

jest.setTimeout(120_000);

const m6i: SavingsPlan = {
  name: 'm6i-2026',
  commitmentPerHour: 1.5,
  discountPercent: 40,
  instanceFamilies: ['m6i'],
};

const web = (replicas: number): Deployment => deployment('web', replicas, '1', '2Gi');

async function cluster(plans: SavingsPlan[] | undefined): Promise<Simulation> {
  return labCluster({
    settings: plans ? { savingsPlans: plans } : {},
    editPool: (pool) => {
      pool.spec.template.spec.requirements = [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      ];
      delete pool.spec.limits;
      pool.spec.disruption = {
        consolidationPolicy: 'WhenEmptyOrUnderutilized',
        consolidateAfter: '0s',
        budgets: [{ nodes: '50%' }],
      };
    },
  });
}

const managed = (sim: Simulation): Node[] =>
  sim.nodes().filter((n) => n.metadata.labels?.['karpenter.sh/nodepool'] && !n.metadata.deletionTimestamp);
const typeOf = (n: Node) => n.metadata.labels?.['node.kubernetes.io/instance-type'] ?? '';

const running = (sim: Simulation) =>
  sim.pods().filter((p) => p.metadata.labels?.app === 'web' && p.status?.phase === 'Running').length;

async function metric(name: string): Promise<number | undefined> {
  const line = (await scrape()).split('\n').find((l) => l.startsWith(`${name}{savings_plan="${m6i.name}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('SAVINGS_PLANS', () => {
  it('chooses the covered family while the commitment has room, and bills it at the plan rate', async () => {
    const without = await cluster(undefined);
    await without.apply([web(40)]);
    await without.settle();
    const listTypes = managed(without).map(typeOf);
    without.stop();
    expect(listTypes.some((t) => t.startsWith('m6i.'))).toBe(false);

    const sim = await cluster([m6i]);
    try {
      await sim.apply([web(40)]);
      await sim.settle();
      const nodes = managed(sim);
      expect(nodes.map(typeOf)).toEqual(['m6i.12xlarge']);
      const plans = sim.operator.savingsPlans!;
      const covered = plans.coverage.usage.get(m6i.name)!;
      // m6i.12xlarge lists at $2.304: at 40 % off, $1.3824 of the $1.50 commitment.
      expect(covered.used).toBeCloseTo(2.304 * 0.6);
      expect(covered.nodes).toBe(1);
      expect(await metric('karpenter_savings_plans_used_per_hour')).toBeCloseTo(2.304 * 0.6);
      expect(await metric('karpenter_savings_plans_commitment_per_hour')).toBe(1.5);
      expect(await metric('karpenter_savings_plans_covered_nodes')).toBe(1);
      expect(running(sim)).toBe(40);
    } finally {
      sim.stop();
    }
  });

  it('keeps a covered node once the commitment is used up, where it is cheaper only at the plan rate', async () => {
    // The commitment is exactly one m6i.12xlarge at 40 % off: with it launched, new m6i capacity sees the list price
    // ($2.304), above the c5.12xlarge's $2.04. Priced at what it bills ($1.3824), the running one is the cheaper.
    const exact = { ...m6i, commitmentPerHour: 2.304 * 0.6 };
    const sim = await cluster([exact]);
    try {
      await sim.apply([web(40)]);
      await sim.settle();
      const first = managed(sim);
      expect(first.map(typeOf)).toEqual(['m6i.12xlarge']);
      expect(sim.operator.savingsPlans!.coverage.room(m6i.name)).toBeCloseTo(0);
      const claims = sim.api.peekAll(Kinds.NodeClaim).length;
      await sim.settle({ quietMs: 3600_000, maxMs: 3 * 3600_000 });
      expect(managed(sim).map((n) => n.metadata.name)).toEqual(first.map((n) => n.metadata.name));
      expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(claims);
    } finally {
      sim.stop();
    }
  });

  it('comes to rest after a scale-down past the commitment, with every pod running', async () => {
    const sim = await cluster([m6i]);
    try {
      await sim.apply([web(100)]);
      await sim.settle();
      // The round that planned 100 pods priced every m6i at the plan rate: the commitment is used up.
      expect(sim.operator.savingsPlans!.coverage.room(m6i.name)).toBe(0);
      await sim.scale('Deployment', APP_NS, 'web', 45);
      await sim.settle({ quietMs: 600_000, maxMs: 4 * 3600_000 });
      const rested = managed(sim)
        .map((n) => n.metadata.name)
        .sort();
      const claims = sim.api.peekAll(Kinds.NodeClaim).length;
      await sim.settle({ quietMs: 3600_000, maxMs: 3 * 3600_000 });
      expect(
        managed(sim)
          .map((n) => n.metadata.name)
          .sort(),
      ).toEqual(rested);
      expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(claims);
      expect(running(sim)).toBe(45);
      const usage = sim.operator.savingsPlans!.coverage.usage.get(m6i.name)!;
      expect(usage.used).toBeLessThanOrEqual(m6i.commitmentPerHour + 1e-9);
    } finally {
      sim.stop();
    }
  });
});
