/**
 * Repack consolidation (CONSOLIDATION_REPACK) on the simulator: a fleet of large nodes, each full of a mix of
 * pods no single cheaper type takes, which single- and multi-node consolidation leave as it is once the NodePool
 * allows every type. With repack the fleet gets cheaper and every pod still runs.
 */
import { realisticDeployments } from '../bench/scheduling/fixtures';
import { defaultCatalog } from '../runtime/cloudprovider/simulated/catalog';
import { Kinds } from '../runtime/kube/kinds';
import type { Deployment, NodePool } from '../runtime/kube/objects';
import { catalogPrices } from '../runtime/viewer/prices';
import { APP_NS, labCluster } from './support/cluster';

jest.setTimeout(120_000);

const price = catalogPrices(defaultCatalog);

function deployment(name: string, replicas: number, cpu: string, memory: string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: APP_NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'pause', resources: { requests: { cpu, memory } } }] },
      },
    },
  } as Deployment;
}

async function repackedFleet(repack: boolean) {
  const sim = await labCluster({
    settings: { consolidationRepack: repack },
    editPool: (pool) => {
      pool.spec.template.spec.requirements = [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m6g.16xlarge'] },
      ];
      delete pool.spec.limits;
      pool.spec.disruption = {
        consolidationPolicy: 'WhenEmptyOrUnderutilized',
        consolidateAfter: '0s',
        budgets: [{ nodes: '20%' }],
      };
    },
  });
  await sim.apply(
    realisticDeployments(20, 42).map((d) => deployment(d.name, d.replicas, d.shape.cpu, d.shape.memory)),
  );
  await sim.settle();
  const fleet = () => {
    const nodes = sim.nodes().filter((n) => n.metadata.labels?.['karpenter.sh/nodepool']);
    const cost = nodes.reduce((sum, n) => {
      const l = n.metadata.labels ?? {};
      return (
        sum +
        (price(
          l['node.kubernetes.io/instance-type'] ?? '',
          'on-demand',
          l['topology.kubernetes.io/zone'] ?? '',
        ) ?? NaN)
      );
    }, 0);
    return { nodes: nodes.length, cost };
  };
  const before = fleet();
  // Every type allowed from now on: nothing drifts, only consolidation can change the fleet.
  const pool = structuredClone(sim.api.peekAll(Kinds.NodePool)[0]) as NodePool;
  pool.spec.template.spec.requirements = [
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
  ];
  await sim.apply([pool]);
  await sim.settle({ quietMs: 600_000, maxMs: 4 * 3600_000 });
  const pods = sim.pods().filter((p) => p.metadata.namespace === APP_NS);
  const result = { before, after: fleet(), pods };
  sim.stop();
  return result;
}

describe('repack consolidation', () => {
  it('makes a fleet of full, ill-matched nodes cheaper; every pod keeps running', async () => {
    const { before, after, pods } = await repackedFleet(true);
    expect(before.nodes).toBeGreaterThan(5);
    expect(after.cost).toBeLessThan(before.cost * 0.97);
    expect(pods.length).toBeGreaterThan(400);
    expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
  });

  it('without it (the default, as upstream) the same fleet stays as it is', async () => {
    const { before, after } = await repackedFleet(false);
    expect(after.cost).toBeCloseTo(before.cost, 6);
    expect(after.nodes).toBe(before.nodes);
  });
});
