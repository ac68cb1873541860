/**
 * Zonal shift (ENABLE_ZONAL_SHIFT) on the embedded simulator: a zone under a shift gets no launches, its nodes are
 * replaced in the other zones within the Drifted budget, zone-spread pods stay schedulable, and the zone is used
 * again once the shift expires. With the setting off, a shift changes nothing.
 */
import { Labels } from '../sdk/api/well-known';
import { Kinds } from '../runtime/kube/kinds';
import type { Deployment, NodeClaim } from '../runtime/kube/objects';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP_NS, labCluster, workshopNodes } from './support/cluster';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const POOL = 'developers-workshop-pool';

/**
 * One 1.5-CPU pod per t3a.medium, spread over zones (DoNotSchedule, maxSkew 2). With maxSkew 1 and two nodes per
 * zone, moving one pod out of the shifted zone at a time would break the spread (the zone's other node still counts
 * for the kube-scheduler), so a budget of one node would hold them: the node's explanation says so.
 */
function spreadApp(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: APP_NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          nodeSelector: { 'workload-type': 'developers-workshop' },
          topologySpreadConstraints: [
            {
              maxSkew: 2,
              topologyKey: Labels.zone,
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: 'web' } },
            },
          ],
          containers: [
            { name: 'web', image: 'web', resources: { requests: { cpu: '1500m', memory: '256Mi' } } },
          ],
        },
      },
    },
  } as Deployment;
}

async function spreadCluster(enableZonalShift: boolean): Promise<Simulation> {
  const sim = await labCluster({
    replicas: 0,
    settings: { enableZonalShift },
    editPool: (pool) => {
      pool.spec.template.spec.requirements.push({ key: Labels.zone, operator: 'In', values: ZONES });
      pool.spec.disruption.budgets = [{ nodes: '1' }];
    },
  });
  await sim.apply([spreadApp(6)]);
  await sim.settle();
  expect(zoneCounts(sim)).toEqual({ 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });
  return sim;
}

function zoneCounts(sim: Simulation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of workshopNodes(sim)) {
    const zone = n.metadata.labels?.[Labels.zone] ?? '?';
    out[zone] = (out[zone] ?? 0) + 1;
  }
  return out;
}

const claims = (sim: Simulation): NodeClaim[] =>
  sim.api.peekAll(Kinds.NodeClaim).filter((c) => c.metadata.labels?.[Labels.nodePool] === POOL);
const webPods = (sim: Simulation) => sim.pods().filter((p) => p.metadata.labels?.app === 'web');
const poolEvents = (sim: Simulation, reason: string) =>
  sim.api.peekAll(Kinds.Event).filter((e) => e.reason === reason && e.involvedObject.name === POOL);

describe('zonal shift', () => {
  it('replaces the shifted zone’s nodes elsewhere one at a time, launches nothing there, and uses it again after', async () => {
    const sim = await spreadCluster(true);
    const shiftEnds = sim.clock.now() + 2 * 60 * 60_000;
    sim.cloud.arc.shiftZone('us-east-1a', shiftEnds);
    const launchedBefore = new Set(sim.cloud.allInstances().map((i) => i.id));

    // Step through the replacement: never more than the budget's one node disrupted at a time.
    let mostDisrupting = 0;
    const start = sim.clock.now();
    while (sim.clock.now() - start < 30 * 60_000 && (zoneCounts(sim)['us-east-1a'] ?? 0) > 0) {
      await sim.clock.advance(1000);
      const disrupting = claims(sim).filter(
        (c) =>
          c.metadata.deletionTimestamp ||
          sim
            .nodes()
            .some(
              (n) =>
                n.spec?.providerID === c.status?.providerID &&
                n.spec?.taints?.some((t) => t.key === 'karpenter.sh/disrupted'),
            ),
      ).length;
      mostDisrupting = Math.max(mostDisrupting, disrupting);
    }
    await sim.settle();
    expect(mostDisrupting).toBe(1);
    expect(zoneCounts(sim)).toEqual({ 'us-east-1b': 3, 'us-east-1c': 3 });
    // Nothing new launched in the shifted zone.
    const launched = sim.cloud.allInstances().filter((i) => !launchedBefore.has(i.id));
    expect(launched.length).toBeGreaterThanOrEqual(2);
    expect(launched.filter((i) => i.zone === 'us-east-1a')).toEqual([]);
    // Every spread pod runs: the shifted zone is no domain that would hold them back.
    expect(webPods(sim).filter((p) => !p.spec.nodeName)).toEqual([]);
    const drifted = sim.api.peekAll(Kinds.Event).filter((e) => e.reason === 'Drifted');
    expect(drifted.map((e) => e.message)).toEqual([
      'NodeClaim drifted: ZonalShift',
      'NodeClaim drifted: ZonalShift',
    ]);
    expect(poolEvents(sim, 'ZonalShiftActive').map((e) => [e.type, e.message])).toEqual([
      [
        'Warning',
        'Zonal shift detected: offerings in zone us-east-1a (use1-az1) are unavailable for this NodePool',
      ],
    ]);

    // Growing during the shift: the new pods go to b and c only.
    await sim.scale('Deployment', APP_NS, 'web', 8);
    await sim.settle();
    expect(zoneCounts(sim)).toEqual({ 'us-east-1b': 4, 'us-east-1c': 4 });

    // The shift expires: the zone is restored, and the spread sends the next pods there.
    await sim.clock.advance(shiftEnds - sim.clock.now() + 1000);
    await sim.settle();
    expect(poolEvents(sim, 'ZonalShiftCleared')).toHaveLength(1);
    await sim.scale('Deployment', APP_NS, 'web', 10);
    await sim.settle();
    expect(zoneCounts(sim)['us-east-1a']).toBe(2);
    expect(webPods(sim).filter((p) => !p.spec.nodeName)).toEqual([]);
    sim.stop();
  }, 30_000);

  it('clears the drift of nodes not yet replaced when the shift is cancelled', async () => {
    const sim = await spreadCluster(true);
    // A Drifted budget of zero holds the nodes in place while the shift lasts.
    const pool = sim.api.peek(Kinds.NodePool, POOL);
    if (!pool) throw new Error('no pool');
    pool.spec.disruption.budgets = [{ nodes: '0', reasons: ['Drifted'] }];
    await sim.api.update(Kinds.NodePool, pool);
    sim.cloud.arc.shiftZone('us-east-1a', sim.clock.now() + 60 * 60_000);
    await sim.settle();
    const inA = () => claims(sim).filter((c) => c.metadata.labels?.[Labels.zone] === 'us-east-1a');
    const isDrifted = (c: NodeClaim) =>
      c.status?.conditions?.some((x) => x.type === 'Drifted' && x.status === 'True');
    expect(inA()).toHaveLength(2);
    expect(inA().every(isDrifted)).toBe(true);
    sim.cloud.arc.cancelZonalShift('us-east-1a');
    await sim.settle();
    expect(inA()).toHaveLength(2);
    expect(inA().some(isDrifted)).toBe(false);
    sim.stop();
  });

  it('changes nothing with ENABLE_ZONAL_SHIFT off', async () => {
    const sim = await spreadCluster(false);
    sim.cloud.arc.shiftZone('us-east-1a', sim.clock.now() + 2 * 60 * 60_000);
    await sim.settle();
    expect(zoneCounts(sim)).toEqual({ 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });
    await sim.scale('Deployment', APP_NS, 'web', 9);
    await sim.settle();
    expect(zoneCounts(sim)).toEqual({ 'us-east-1a': 3, 'us-east-1b': 3, 'us-east-1c': 3 });
    expect(poolEvents(sim, 'ZonalShiftActive')).toEqual([]);
    expect(sim.operator.zonalShift).toBeUndefined();
    sim.stop();
  });
});
