/**
 * Terminate-first drift on the embedded simulator (TerminateFirstDrift): a drifted node in a full capacity
 * reservation, in a NodePool that only launches into the reservation, can only be replaced once it frees its slot.
 */
import type { CapacityReservation } from '@aws-sdk/client-ec2';
import { Labels } from '../sdk/api/well-known';
import { defaultCatalog } from '../runtime/cloudprovider/simulated/catalog';
import { Kinds } from '../runtime/kube/kinds';
import { nameOf, type NodePool } from '../runtime/kube/objects';
import { registry } from '../runtime/metrics/registry';
import type { OperatorSettings } from '../runtime/operator';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';

const CR = 'cr-0123456789abcdef0';

/** A cluster whose pool launches only into a reservation of `slots` t3a.medium, with the app filling every slot. */
async function fullReservation(slots: number, settings: OperatorSettings): Promise<Simulation> {
  const reservation: CapacityReservation = {
    CapacityReservationId: CR,
    OwnerId: '123456789012',
    InstanceType: 't3a.medium',
    AvailabilityZone: 'us-east-1b',
    TotalInstanceCount: slots,
    State: 'active',
    InstanceMatchCriteria: 'targeted',
    ReservationType: 'default',
    Tags: [{ Key: 'team', Value: 'workshop' }],
  };
  const sim = await labCluster({
    replicas: 1,
    settings,
    catalog: { ...defaultCatalog, reservations: [reservation] },
    editPool: (pool) => {
      const ct = pool.spec.template.spec.requirements.find((r) => r.key === Labels.capacityType);
      if (ct) ct.values = ['reserved'];
      pool.spec.disruption.budgets = [{ nodes: '1' }];
    },
    editNodeClass: (nc) => {
      nc.spec.capacityReservationSelectorTerms = [{ tags: { team: 'workshop' } }];
    },
  });
  // Scale until every slot holds a node (pods past the reservation stay pending), then back to what fits.
  for (let replicas = 2; workshopNodes(sim).length < slots; replicas += 2) {
    await sim.scale('Deployment', APP_NS, APP, replicas);
    await sim.settle();
  }
  expect(sim.cloud.reservations.available(CR)).toBe(0);
  const running = sim.pods().filter((p) => p.spec.nodeName).length;
  await sim.scale('Deployment', APP_NS, APP, running);
  await sim.settle();
  expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
  return sim;
}

async function drift(sim: Simulation): Promise<void> {
  const pool = sim.api.peek(Kinds.NodePool, 'developers-workshop-pool') as NodePool;
  pool.spec.template.metadata = { labels: { ...pool.spec.template.metadata?.labels, team: 'web' } };
  await sim.api.update(Kinds.NodePool, pool);
  await sim.settle();
}

const names = (sim: Simulation) => workshopNodes(sim).map((n) => nameOf(n));

const MIN = 60_000;

/** Make the node's kubelet report NotReady past the AWS repair policy's 30 min toleration. */
async function sicken(sim: Simulation, node: string): Promise<void> {
  await sim.cloud.setNodeCondition(node, 'Ready', 'False', 'KubeletNotReady');
  await sim.clock.advance(31 * MIN);
  await sim.settle();
}

const terminateFirstCount = async (reason: string) =>
  (
    await registry.getSingleMetric('karpenter_voluntary_disruption_terminate_first_decisions_total')?.get()
  )?.values.find(
    (v) =>
      v.labels.nodepool === 'developers-workshop-pool' &&
      v.labels.reason === reason &&
      v.labels.terminate_first_reason === 'no-reserved-capacity',
  )?.value ?? 0;

describe('terminate-first drift (reserved capacity)', () => {
  it('gate off: the drifted node in the full reservation stays, and says its pods have nowhere to go', async () => {
    const sim = await fullReservation(1, {});
    const before = names(sim);
    await drift(sim);
    expect(names(sim)).toEqual(before);
    expect(sim.operator.disruption.explanations.get(before[0] as string)).toMatch(
      /drifted, but its pods could not be rescheduled/,
    );
    expect(sim.api.peekAll(Kinds.Event).filter((e) => e.reason === 'DisruptionTerminating')).toEqual([]);
    sim.stop();
  });

  it('gate on: each drifted node is deleted first, within the Drifted budget, and its replacement takes the freed slot', async () => {
    const sim = await fullReservation(2, { terminateFirstDrift: true });
    const before = names(sim);
    const pods = sim.pods().length;
    expect(before).toHaveLength(2);
    await drift(sim);
    const after = workshopNodes(sim);
    expect(after.map((n) => nameOf(n)).filter((n) => before.includes(n))).toEqual([]);
    expect(after).toHaveLength(2);
    for (const n of after) {
      expect(n.metadata.labels).toMatchObject({
        team: 'web',
        [Labels.capacityType]: 'reserved',
        [Labels.capacityReservationId]: CR,
      });
    }
    expect(sim.pods()).toHaveLength(pods);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    // Never more instances in the reservation than it holds: nothing was launched beside the old nodes.
    expect(
      sim.cloud.allInstances().filter((i) => i.state !== 'terminated' && i.reservation?.id === CR),
    ).toHaveLength(2);
    expect(sim.api.peekAll(Kinds.Event).filter((e) => e.reason === 'LaunchFailed')).toEqual([]);
    const disrupted = sim.api
      .peekAll(Kinds.Event)
      .filter(
        (e) => e.reason === 'DisruptionTerminating' && e.message.startsWith('Disrupting Node: Drifted'),
      );
    expect(disrupted.map((e) => e.involvedObject.name).sort()).toEqual([...before].sort());
    // The budget of one node: two decisions, one at a time.
    expect(new Set(disrupted.map((e) => e.firstTimestamp)).size).toBe(2);
    const metric = await registry
      .getSingleMetric('karpenter_voluntary_disruption_terminate_first_decisions_total')
      ?.get();
    expect(
      metric?.values.find(
        (v) =>
          v.labels.nodepool === 'developers-workshop-pool' &&
          v.labels.reason === 'drifted' &&
          v.labels.terminate_first_reason === 'no-reserved-capacity',
      )?.value,
    ).toBeGreaterThanOrEqual(2);
    sim.stop();
  });
});

describe('terminate-first repair (reserved capacity)', () => {
  it('gate off: an unhealthy node in the full reservation is not deleted, since no replacement can launch first', async () => {
    const sim = await fullReservation(2, { nodeRepair: true });
    const before = names(sim);
    await sicken(sim, before[0] as string);
    expect(names(sim)).toEqual(before);
    const blocked = sim.api
      .peekAll(Kinds.Event)
      .filter((e) => e.involvedObject.name === before[0] && e.reason === 'DisruptionBlocked')
      .filter((e) => e.message.startsWith('repair'));
    // Said once, not every poll.
    expect(blocked.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^repair cannot launch a replacement first: \d+ pod\(s\) could not be rescheduled/,
      ),
    ]);
    sim.stop();
  });

  it('gate on: the unhealthy node is deleted first and its replacement takes the freed slot', async () => {
    const sim = await fullReservation(2, { nodeRepair: true, terminateFirstRepair: true });
    const before = names(sim);
    const pods = sim.pods().length;
    const counted = await terminateFirstCount('unhealthy');
    await sicken(sim, before[0] as string);
    const after = workshopNodes(sim);
    expect(after.map((n) => nameOf(n))).not.toContain(before[0]);
    expect(after.map((n) => nameOf(n))).toContain(before[1]);
    expect(after).toHaveLength(2);
    for (const n of after) expect(n.metadata.labels?.[Labels.capacityReservationId]).toBe(CR);
    expect(sim.pods()).toHaveLength(pods);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    expect(await terminateFirstCount('unhealthy')).toBe(counted + 1);
    sim.stop();
  });
});

describe('terminate-first drift (static NodePool at its node limit)', () => {
  async function atLimit(terminateFirstDrift: boolean) {
    const sim = await labCluster({ replicas: 0, settings: { staticCapacity: true, terminateFirstDrift } });
    const lab = sim.api.peek(Kinds.NodePool, 'developers-workshop-pool') as NodePool;
    const pool: NodePool = {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: 'static-pool' },
      spec: {
        ...structuredClone(lab.spec),
        template: { metadata: { labels: { tier: 'static' } }, spec: structuredClone(lab.spec.template.spec) },
        replicas: 2,
        limits: { nodes: '2' },
      },
    };
    pool.spec.disruption.budgets = [{ nodes: '1' }];
    await sim.apply([pool]);
    await sim.settle();
    let most = 0;
    sim.api.onWrite(() => {
      const live = sim.api
        .peekAll(Kinds.NodeClaim)
        .filter(
          (c) => c.metadata.labels?.[Labels.nodePool] === 'static-pool' && !c.metadata.deletionTimestamp,
        );
      most = Math.max(most, live.length);
    });
    const before = staticNames(sim);
    expect(before).toHaveLength(2);
    const current = sim.api.peek(Kinds.NodePool, 'static-pool') as NodePool;
    current.spec.template.metadata = { labels: { tier: 'static', team: 'web' } };
    await sim.api.update(Kinds.NodePool, current);
    await sim.settle();
    return { sim, before, most: () => most };
  }
  const staticNames = (sim: Simulation) =>
    sim
      .nodes()
      .filter((n) => n.metadata.labels?.[Labels.nodePool] === 'static-pool')
      .map((n) => nameOf(n));

  it('gate off: the drifted static nodes wait at the limit', async () => {
    const { sim, before } = await atLimit(false);
    expect(staticNames(sim)).toEqual(before);
    expect(sim.operator.disruption.explanations.get(before[0] as string)).toMatch(/at its node limit/);
    sim.stop();
  });

  it('gate on: they are deleted first within the budget, and the pool refills without passing its limit', async () => {
    const { sim, before, most } = await atLimit(true);
    const after = staticNames(sim);
    expect(after).toHaveLength(2);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
    expect(most()).toBe(2);
    sim.stop();
  });
});
