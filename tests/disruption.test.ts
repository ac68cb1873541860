/**
 * Disruption on the embedded simulator: what may be removed, what must be kept, and the explanation each kept
 * node gets. Termination (the drain and what follows) is tests/termination.test.ts.
 */
import { LAUNCHING_PAUSE_MAX_MS } from '../runtime/controllers/disruption/controller';
import { defaultCatalog, priceOf } from '../runtime/cloudprovider/simulated/catalog';
import { Kinds } from '../runtime/kube/kinds';
import { testNodeClaim } from '../runtime/kube/testing';
import { nameOf, type NodePool } from '../runtime/kube/objects';
import {
  consolidationSavingsPerHourTotal,
  nodeClaimsDisruptedTotal,
  podsDisruptionInitiatedTotal,
  podsDrainedTotal,
  registry,
} from '../runtime/metrics';
import type { Simulation } from '../runtime/simulator/simulation';
import {
  APP,
  APP_NS,
  applyDatabase,
  applySiblingDeployment,
  labCluster,
  pdb,
  podsOn,
  protectFromDisruption,
  workshopNodes,
} from './support/cluster';
import { series } from './support/metrics';

/** Scale to 9 (nodes hold 8 and 1), then to 8 so the second node's pod fits on the first. */
async function underutilizedPair(editPool?: (pool: NodePool) => void): Promise<Simulation> {
  // As in the lab: one replica first, then 9, so the first node fills before the second is launched.
  const sim = await labCluster({ replicas: 1, ...(editPool ? { editPool } : {}) });
  await sim.scale('Deployment', APP_NS, APP, 9);
  await sim.settle();
  expect(workshopNodes(sim).map((n) => podsOn(sim, nameOf(n)).length)).toEqual([8, 1]);
  return sim;
}

function explanation(sim: Simulation, nodeName: string): string | undefined {
  return sim.operator.disruption.explanations.get(nodeName);
}

describe('consolidation', () => {
  it('removes the underutilized node when its pods fit elsewhere', async () => {
    const sim = await underutilizedPair();
    registry.resetMetrics();
    const [, small] = workshopNodes(sim);
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.settle();
    expect(workshopNodes(sim).map((n) => n.metadata.name)).not.toContain(small?.metadata.name);
    expect(workshopNodes(sim)).toHaveLength(1);
    expect(sim.cloud.allInstances().filter((i) => i.state !== 'terminated')).toHaveLength(1);
    // Counted under the NodePool's policy and the claim's termination mode; its one pod drained for the reason.
    const labels = {
      reason: 'underutilized',
      nodepool: 'developers-workshop-pool',
      capacity_type: 'on-demand',
      consolidation_policy: 'when_empty_or_underutilized',
      termination_mode: 'graceful',
    };
    expect(await series(nodeClaimsDisruptedTotal)).toEqual([{ labels, value: 1 }]);
    expect(await series(podsDisruptionInitiatedTotal)).toEqual([{ labels, value: 1 }]);
    expect(await series(podsDrainedTotal)).toEqual([{ labels: { reason: 'Underutilized' }, value: 1 }]);
    // What it took off the pool's price, in real dollars: the removed node's offering and its volumes (the
    // decision's own price of a node adds PER_NODE_COST, which no one pays).
    const [saved] = await series(consolidationSavingsPerHourTotal);
    expect(saved?.labels).toEqual({ nodepool: 'developers-workshop-pool', reason: 'underutilized' });
    const pool = sim.api.peek(Kinds.NodePool, 'developers-workshop-pool') as NodePool;
    const zone = small?.metadata.labels?.['topology.kubernetes.io/zone'] ?? '';
    expect(saved?.value).toBeCloseTo(
      (priceOf(defaultCatalog, 't3a.medium', 'on-demand', zone) ?? NaN) +
        (await sim.cloud.nodeOverheadPrice(pool)),
      9,
    );
    sim.stop();
  });

  it('is not held up by a pod that no NodePool can ever host', async () => {
    const sim = await underutilizedPair();
    await applySiblingDeployment(sim, 'huge', 1, '64');
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.settle({ maxMs: 10 * 60_000 });
    expect(workshopNodes(sim)).toHaveLength(1);
    expect(
      sim
        .pods()
        .filter((p) => !p.spec.nodeName)
        .map((p) => p.metadata.labels?.app),
    ).toEqual(['huge']);
    sim.stop();
  });

  it('keeps a node whose pod a PodDisruptionBudget protects, and says so', async () => {
    const sim = await underutilizedPair();
    await sim.apply([pdb('app', { selector: { matchLabels: { app: 'fastapi-app' } }, maxUnavailable: 0 })]);
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.settle();
    const nodes = workshopNodes(sim);
    expect(nodes).toHaveLength(2);
    expect(explanation(sim, nodes[1]?.metadata.name as string)).toMatch(
      /PodDisruptionBudget my-cool-app\/app allows no disruption of pod my-cool-app\/fastapi-deployment-/,
    );
    // The same answer is on the node as an Event, written once while it stays the same.
    const blocked = sim.api
      .peekAll(Kinds.Event)
      .filter((e) => e.reason === 'DisruptionBlocked' && e.involvedObject.name === nodes[1]?.metadata.name);
    expect(blocked.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^Not disrupted: .*PodDisruptionBudget my-cool-app\/app allows no disruption/),
    );
    expect(blocked.every((e) => (e.count ?? 1) === 1)).toBe(true);
    sim.stop();
  });

  it('an Empty-only budget of zero still lets the underutilized node consolidate into the empty one', async () => {
    const sim = await underutilizedPair((pool) => {
      pool.spec.disruption.budgets = [{ nodes: '0', reasons: ['Empty'] }];
    });
    const [full, single] = workshopNodes(sim).map((n) => nameOf(n));
    await sim.scale('Deployment', APP_NS, APP, 1);
    await sim.settle();
    // Scale-down emptied the full node; emptiness may not touch it, so the single-pod node moves onto it instead.
    expect(workshopNodes(sim).map((n) => n.metadata.name)).toEqual([full]);
    expect(workshopNodes(sim).map((n) => n.metadata.name)).not.toContain(single);
    sim.stop();
  });

  it('keeps a node annotated karpenter.sh/do-not-disrupt', async () => {
    const sim = await underutilizedPair();
    const small = workshopNodes(sim)[1]?.metadata.name as string;
    await sim.api.patch(Kinds.Node, small, {
      metadata: { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } },
    });
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.settle();
    expect(workshopNodes(sim).map((n) => n.metadata.name)).toContain(small);
    expect(explanation(sim, small)).toBe('node is annotated karpenter.sh/do-not-disrupt=true');
    sim.stop();
  });

  it('leaves underutilized nodes alone under WhenEmpty, and explains', async () => {
    const sim = await underutilizedPair((pool) => {
      pool.spec.disruption.consolidationPolicy = 'WhenEmpty';
    });
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.settle();
    const nodes = workshopNodes(sim);
    expect(nodes).toHaveLength(2);
    expect(explanation(sim, nodes[1]?.metadata.name as string)).toBe(
      'NodePool "developers-workshop-pool" only consolidates empty nodes (WhenEmpty)',
    );
    sim.stop();
  });

  it('never consolidates when consolidateAfter is Never', async () => {
    const sim = await underutilizedPair((pool) => {
      pool.spec.disruption.consolidateAfter = 'Never';
    });
    await sim.scale('Deployment', APP_NS, APP, 1);
    await sim.settle();
    expect(workshopNodes(sim)).toHaveLength(2);
    sim.stop();
  });

  it('waits consolidateAfter since the last pod change before removing an empty node', async () => {
    const sim = await underutilizedPair((pool) => {
      pool.spec.disruption.consolidateAfter = '10m';
    });
    await sim.scale('Deployment', APP_NS, APP, 1);
    await sim.clock.advance(5 * 60_000);
    expect(workshopNodes(sim)).toHaveLength(2);
    await sim.clock.advance(6 * 60_000);
    await sim.settle();
    expect(workshopNodes(sim)).toHaveLength(1);
    sim.stop();
  });

  it('respects a budget of zero nodes, and explains it per reason', async () => {
    const sim = await underutilizedPair((pool) => {
      pool.spec.disruption.budgets = [{ nodes: '0' }];
    });
    await sim.scale('Deployment', APP_NS, APP, 1);
    await sim.settle();
    const nodes = workshopNodes(sim);
    expect(nodes).toHaveLength(2);
    const empty = nodes.find((n) => podsOn(sim, nameOf(n)).length === 0);
    const busy = nodes.find((n) => n !== empty);
    expect(explanation(sim, empty?.metadata.name as string)).toMatch(
      /disruption budget .* allows no more \(Empty\)/,
    );
    expect(explanation(sim, busy?.metadata.name as string)).toMatch(
      /disruption budget .* allows no more \(Underutilized\)/,
    );
    sim.stop();
  });

  it('replaces a node with one cheaper instance when the pods no longer need the big one', async () => {
    // Only t3a.xlarge at first, so the six pods land on one big node.
    const sim = await labCluster({
      replicas: 6,
      appCpu: '500m',
      editPool: (pool) => {
        pool.spec.template.spec.requirements = [
          { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['t3a.xlarge'] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        ];
      },
    });
    expect(workshopNodes(sim).map((n) => n.metadata.labels?.['node.kubernetes.io/instance-type'])).toEqual([
      't3a.xlarge',
    ]);
    const pool = sim.api.peek(Kinds.NodePool, 'developers-workshop-pool') as NodePool;
    pool.spec.template.spec.requirements[0] = {
      key: 'node.kubernetes.io/instance-type',
      operator: 'In',
      values: ['t3a.medium', 't3a.xlarge'],
    };
    await sim.api.update(Kinds.NodePool, pool);
    await sim.scale('Deployment', APP_NS, APP, 2);
    await sim.settle();
    const nodes = workshopNodes(sim);
    expect(nodes.map((n) => n.metadata.labels?.['node.kubernetes.io/instance-type'])).toEqual(['t3a.medium']);
    expect(podsOn(sim, nodes[0]?.metadata.name as string)).toHaveLength(2);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    sim.stop();
  });
});

describe('nodes that never finish starting', () => {
  it('pause consolidation only until the registration timeout', async () => {
    const sim = await underutilizedPair();
    // A node whose startup taint no agent will ever lift: registered, never initialized.
    await sim.api.create(
      Kinds.NodeClaim,
      testNodeClaim('stuck', {
        metadata: { labels: { 'karpenter.sh/nodepool': 'developers-workshop-pool' } },
        spec: {
          requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['t3a.medium'] }],
          startupTaints: [{ key: 'example.com/agent-not-ready', effect: 'NoSchedule' }],
        },
      }),
    );
    await sim.clock.advance(60_000);
    const claim = sim.api.peek(Kinds.NodeClaim, 'stuck');
    expect(claim?.status?.conditions?.find((c) => c.type === 'Registered')?.status).toBe('True');
    const stuckNode = claim?.status?.nodeName as string;

    const [, small] = workshopNodes(sim).filter((n) => n.metadata.name !== stuckNode);
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.clock.advance(5 * 60_000);
    expect(workshopNodes(sim).map((n) => n.metadata.name)).toContain(small?.metadata.name);
    expect(explanation(sim, small?.metadata.name as string)).toBe(
      'disruption paused: 1 node(s) are still launching',
    );

    // Past the registration timeout the stuck node no longer holds the cluster: the small node goes, and its pod
    // lands on the big node, not on the one that is still starting.
    await sim.clock.advance(LAUNCHING_PAUSE_MAX_MS);
    await sim.settle();
    const names = workshopNodes(sim).map((n) => n.metadata.name);
    expect(names).not.toContain(small?.metadata.name);
    expect(names).toContain(stuckNode);
    expect(podsOn(sim, stuckNode)).toHaveLength(0);
    expect(sim.pods().filter((p) => p.status?.phase !== 'Running')).toHaveLength(0);
    sim.stop();
  });
});

describe('pods with zonal volumes', () => {
  it('are not consolidated onto a node in another zone than their volume', async () => {
    const sim = await labCluster({ replicas: 1 });
    const [first] = workshopNodes(sim);
    // Kept out of consolidation so the only question is where the database's pod may go.
    await protectFromDisruption(sim, first?.metadata.name as string);
    const zoneOfFirst = first?.metadata.labels?.['topology.kubernetes.io/zone'] as string;
    const otherZone = ['us-east-1a', 'us-east-1b', 'us-east-1c'].find((z) => z !== zoneOfFirst) as string;
    // An EBS-style volume that lives in another zone than the first node, and a small database that mounts it.
    await applyDatabase(sim, 'db', { zone: otherZone });
    const db = sim.pods().find((p) => p.metadata.labels?.app === 'db');
    const dbNode = sim.api.peek(Kinds.Node, db?.spec.nodeName as string);
    expect(dbNode?.metadata.labels?.['topology.kubernetes.io/zone']).toBe(otherZone);
    expect(podsOn(sim, first?.metadata.name as string)).toHaveLength(1);

    // The db node is nearly empty and the first node has room for its pod, but not the volume: it stays.
    await sim.clock.advance(10 * 60_000);
    await sim.settle();
    expect(
      sim.api.peek(Kinds.Node, dbNode?.metadata.name as string)?.metadata.deletionTimestamp,
    ).toBeUndefined();
    expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(2);
    expect(sim.pods().find((p) => p.metadata.labels?.app === 'db')?.metadata.name).toBe(db?.metadata.name);
    expect(explanation(sim, dbNode?.metadata.name as string)).toMatch(
      /not be cheaper|could not be rescheduled/,
    );
    sim.stop();
  });
});

describe('multi-node consolidation', () => {
  it('removes several underutilized nodes in one command when their pods fit on the rest', async () => {
    // Three big pods force three t3a.medium nodes; three small pods spread one per node beside them.
    const sim = await labCluster({
      replicas: 3,
      appCpu: '1200m',
      editPool: (pool) => {
        pool.spec.disruption.budgets = [{ nodes: '100%' }];
      },
    });
    await applySiblingDeployment(sim, 'small', 3, '100m');
    await sim.settle();
    const before = workshopNodes(sim).map((n) => nameOf(n));
    expect(before).toHaveLength(3);
    expect(before.map((n) => podsOn(sim, n).length)).toEqual([2, 2, 2]);
    await sim.scale('Deployment', APP_NS, APP, 0);
    await sim.settle();
    expect(workshopNodes(sim)).toHaveLength(1);
    const disrupted = sim.api
      .peekAll(Kinds.Event)
      .filter(
        (e) => e.reason === 'DisruptionTerminating' && e.message.startsWith('Disrupting Node: Underutilized'),
      );
    // Both nodes went in one command (single-node consolidation would take two passes, at least 25 s apart).
    expect(disrupted).toHaveLength(2);
    expect(new Set(disrupted.map((e) => e.firstTimestamp)).size).toBe(1);
    expect(
      sim.pods().filter((p) => p.metadata.labels?.app === 'small' && p.status?.phase === 'Running'),
    ).toHaveLength(3);
    sim.stop();
  });
});

describe('validation', () => {
  it('checks a command on its own candidates: another node emptying meanwhile does not abandon it', async () => {
    // Three 1200m pods, one per t3a.medium; scaling to 2 empties one node, and to 1 (during the 15 s validation
    // of the first node's removal) a second. Re-deciding from scratch would now remove both, differ, and start
    // over: the first node would wait at least one more poll and validation.
    const sim = await labCluster({
      replicas: 3,
      appCpu: '1200m',
      editPool: (pool) => {
        pool.spec.disruption.budgets = [{ nodes: '100%' }];
      },
    });
    expect(workshopNodes(sim)).toHaveLength(3);
    const terminating = () =>
      sim.api
        .peekAll(Kinds.Event)
        .filter(
          (e) => e.reason === 'DisruptionTerminating' && e.message.startsWith('Disrupting Node: Empty'),
        );
    await sim.scale('Deployment', APP_NS, APP, 2);
    let waited = 0;
    while (sim.operator.disruption.idle && waited < 60_000) {
      await sim.clock.advance(500);
      waited += 500;
    }
    expect(sim.operator.disruption.idle).toBe(false);
    const validating = sim.clock.now();
    await sim.scale('Deployment', APP_NS, APP, 1);
    while (terminating().length === 0 && sim.clock.now() - validating < 60_000) await sim.clock.advance(500);
    // The first command went ahead when its validation ended, for the node it was decided on.
    expect(terminating()).toHaveLength(1);
    expect(sim.clock.now() - validating).toBeLessThanOrEqual(16_000);
    await sim.settle();
    expect(workshopNodes(sim)).toHaveLength(1);
    sim.stop();
  });
});

describe('validation of an Empty command', () => {
  it('is not voided by the last terminating pod leaving the node during the validation delay', async () => {
    const sim = await labCluster({
      replicas: 3,
      appCpu: '1200m',
      editPool: (pool) => {
        pool.spec.disruption.budgets = [{ nodes: '100%' }];
        pool.spec.disruption.consolidateAfter = '30s';
      },
    });
    // A finalizer holds each pod in Terminating once deleted, as a slow shutdown would.
    for (const p of sim.pods().filter((x) => x.metadata.namespace === APP_NS))
      await sim.api.patch(Kinds.Pod, nameOf(p), { metadata: { finalizers: ['test/hold'] } }, APP_NS);
    await sim.scale('Deployment', APP_NS, APP, 2);
    const leaving = () => sim.pods().find((p) => p.metadata.deletionTimestamp);
    let waited = 0;
    while ((sim.operator.disruption.idle || !leaving()) && waited < 120_000) {
      await sim.clock.advance(500);
      waited += 500;
    }
    expect(sim.operator.disruption.idle).toBe(false);
    const pod = leaving();
    if (!pod) throw new Error('no pod is terminating');
    const validating = sim.clock.now();
    await sim.api.patch(Kinds.Pod, nameOf(pod), { metadata: { finalizers: [] } }, APP_NS);
    const terminating = () =>
      sim.api
        .peekAll(Kinds.Event)
        .filter((e) => e.reason === 'DisruptionTerminating' && e.involvedObject.kind === 'Node');
    while (terminating().length === 0 && sim.clock.now() - validating < 60_000) await sim.clock.advance(500);
    expect(terminating().map((e) => e.involvedObject.name)).toEqual([pod.spec.nodeName]);
    expect(sim.clock.now() - validating).toBeLessThanOrEqual(16_000);
    sim.stop();
  });
});
