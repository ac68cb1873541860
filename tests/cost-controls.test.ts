/** Spend caps on the embedded simulator (issue 22): a NodePool's own, and the cluster-wide caps across pools. */
import { CostPerHourLimit, Labels } from '../sdk/api/well-known';
import { Kinds } from '../runtime/kube/kinds';
import { nameOf, type Deployment, type NodePool } from '../runtime/kube/objects';
import { bindClusterState, scrape } from '../runtime/metrics';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, applySiblingDeployment, labCluster, workshopNodes } from './support/cluster';

/** What a lab node of each size (on-demand, with the lab node class's volumes) bills per hour. */
async function nodePrices(sim: Simulation): Promise<{ medium: number; large: number }> {
  const pool = sim.api.peekAll(Kinds.NodePool)[0] as NodePool;
  const types = await sim.cloud.getInstanceTypes(pool);
  const overhead = await sim.cloud.nodeOverheadPrice(pool);
  const price = (name: string) =>
    (types.find((t) => t.name === name)?.offerings.find((o) => o.capacityType === 'on-demand')
      ?.price as number) + overhead;
  return { medium: price('t3a.medium'), large: price('t3a.large') };
}

/** What one lab node (an on-demand t3a.medium with the lab node class's volumes) bills per hour. */
async function nodePrice(sim: Simulation): Promise<number> {
  return (await nodePrices(sim)).medium;
}

const pending = (sim: Simulation) =>
  sim.pods().filter((p) => !p.spec.nodeName && p.metadata.namespace === APP_NS);
const events = (sim: Simulation, reason: string) =>
  sim.api.peekAll(Kinds.Event).filter((e) => e.reason === reason);

describe('spend caps', () => {
  it('stops a NodePool at its USD/hour limit: pods stay pending with the reason, the pool gets an Event', async () => {
    const probe = await labCluster({ replicas: 1 });
    const price = await nodePrice(probe);
    probe.stop();
    // Room for two and a half nodes: the second node fits, a third would pass the cap.
    const cap = (2.5 * price).toFixed(4);
    const sim = await labCluster({
      replicas: 1,
      editPool: (pool) => {
        pool.spec.limits = { ...pool.spec.limits, [CostPerHourLimit]: cap };
      },
    });
    await sim.scale('Deployment', APP_NS, APP, 30);
    await sim.settle();
    expect(workshopNodes(sim)).toHaveLength(2);
    const overhead = await sim.cloud.nodeOverheadPrice(sim.api.peekAll(Kinds.NodePool)[0] as NodePool);
    const billed = sim.cloud.allInstances().reduce((sum, i) => sum + i.price + overhead, 0);
    expect(billed).toBeLessThanOrEqual(Number(cap));
    expect(pending(sim).length).toBeGreaterThan(0);
    const failed = events(sim, 'FailedScheduling').map((e) => e.message);
    expect(failed.some((m) => m?.includes(`NodePool limit ${CostPerHourLimit}=${cap} reached`))).toBe(true);
    const [capped] = events(sim, 'SpendLimitReached');
    expect(capped?.involvedObject).toMatchObject({ kind: 'NodePool', name: 'developers-workshop-pool' });
    expect(capped?.message).toMatch(/left pending$/);

    // The status shows what the cap counts: the two nodes.
    const pool = sim.api.peekAll(Kinds.NodePool)[0] as NodePool;
    expect(Number(pool.status?.resources?.[CostPerHourLimit])).toBeCloseTo(billed, 4);
    // And the metrics: the cap and the spend, without the dollars among the resource limits.
    const unbind = bindClusterState(sim.operator.state, { now: () => sim.clock.now(), cloud: sim.cloud });
    const text = await scrape();
    unbind();
    const value = (name: string) =>
      Number(new RegExp(`^${name}\\{nodepool="developers-workshop-pool"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('karpenter_nodepools_cost_limit')).toBeCloseTo(Number(cap), 6);
    expect(value('karpenter_nodepools_cost_per_hour')).toBeCloseTo(billed, 6);
    expect(text).not.toMatch(/karpenter_nodepools_limit\{[^}]*cost/);
    // Raising the cap lets the pods in.
    const raised: NodePool = structuredClone(pool);
    raised.spec.limits = { ...raised.spec.limits, [CostPerHourLimit]: '100' };
    await sim.apply([raised]);
    await sim.settle();
    expect(pending(sim)).toHaveLength(0);
    expect(workshopNodes(sim).length).toBeGreaterThan(2);
    sim.stop();
  });

  it('holds the cluster-wide USD/hour cap across two NodePools', async () => {
    const probe = await labCluster({ replicas: 1 });
    const price = await nodePrice(probe);
    probe.stop();
    const sim = await labCluster({
      replicas: 1,
      // The lab pool takes two nodes; the rest spills over to a second pool until the cluster cap.
      editPool: (pool) => {
        pool.spec.limits = { nodes: '2' };
        pool.spec.weight = 10;
      },
      settings: { clusterMaxCostPerHour: 3.5 * price },
    });
    const lab = sim.api.peekAll(Kinds.NodePool)[0] as NodePool;
    const second: NodePool = structuredClone(lab);
    second.metadata = { name: 'overflow' };
    second.spec.limits = {};
    delete second.spec.weight;
    delete second.status;
    await sim.apply([second]);
    await sim.scale('Deployment', APP_NS, APP, 40);
    await sim.settle();
    const byPool = (name: string) =>
      sim.api.peekAll(Kinds.Node).filter((n) => n.metadata.labels?.[Labels.nodePool] === name).length;
    // 3.5 node prices allow three nodes: two in the lab pool (its own limit), one in the overflow pool.
    expect(byPool(nameOf(lab))).toBe(2);
    expect(byPool('overflow')).toBe(1);
    expect(pending(sim).length).toBeGreaterThan(0);
    const failed = events(sim, 'FailedScheduling').map((e) => e.message);
    expect(failed.some((m) => m?.includes('cluster limit CLUSTER_MAX_COST_PER_HOUR reached'))).toBe(true);
    expect(events(sim, 'ClusterLimitReached').map((e) => e.involvedObject.name)).toContain('overflow');
    sim.stop();
  });

  it('never replaces a node into a pool at its cap: consolidation only deletes there', async () => {
    // One memory-heavy pod needs a t3a.large; once it goes, a small pod alone on that node is cheaper on a
    // t3a.medium. Uncapped, consolidation replaces the node; capped at what the t3a.large costs, it may not.
    const run = async (capped: boolean) => {
      const sim = await labCluster({
        replicas: 0,
        editPool: (pool) => {
          const types = pool.spec.template.spec.requirements.find((r) => r.key === Labels.instanceType);
          if (types) types.values = ['t3a.medium', 't3a.large'];
        },
      });
      const memory = (m: string) => (d: Deployment) => {
        const requests = d.spec.template.spec.containers[0]?.resources?.requests;
        if (requests) requests.memory = m;
      };
      await applySiblingDeployment(sim, 'big', 1, '100m', memory('4Gi'));
      await sim.settle();
      await applySiblingDeployment(sim, 'small', 1, '100m', memory('512Mi'));
      await sim.settle();
      const typeOf = () => workshopNodes(sim).map((n) => n.metadata.labels?.[Labels.instanceType]);
      expect(typeOf()).toEqual(['t3a.large']);
      if (capped) {
        const pool = structuredClone(sim.api.peekAll(Kinds.NodePool)[0] as NodePool);
        const spend = Number((await nodePrices(sim)).large.toFixed(4)) + 0.0001;
        pool.spec.limits = { ...pool.spec.limits, [CostPerHourLimit]: String(spend) };
        await sim.apply([pool]);
      }
      await sim.scale('Deployment', APP_NS, 'big', 0);
      await sim.settle();
      const types = typeOf();
      sim.stop();
      return types;
    };
    expect(await run(false)).toEqual(['t3a.medium']);
    expect(await run(true)).toEqual(['t3a.large']);
  }, 60_000);
});
