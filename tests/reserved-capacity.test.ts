/** Capacity reservations on the embedded simulator: reserved first, on-demand once the reservation is full. */
import type { CapacityReservation } from '@aws-sdk/client-ec2';
import { Labels } from '../sdk/api/well-known';
import { defaultCatalog } from '../runtime/cloudprovider/simulated/catalog';
import { Kinds } from '../runtime/kube/kinds';
import type { NodePool } from '../runtime/kube/objects';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';

const reservation: CapacityReservation = {
  CapacityReservationId: 'cr-0123456789abcdef0',
  OwnerId: '123456789012',
  InstanceType: 't3a.medium',
  AvailabilityZone: 'us-east-1b',
  TotalInstanceCount: 2,
  State: 'active',
  InstanceMatchCriteria: 'targeted',
  ReservationType: 'default',
  Tags: [{ Key: 'team', Value: 'workshop' }],
};

const reservedOrOnDemand = (pool: NodePool) => {
  const ct = pool.spec.template.spec.requirements.find((r) => r.key === Labels.capacityType);
  if (ct) ct.values = ['reserved', 'on-demand'];
};

async function reservedLab(replicas: number) {
  return labCluster({
    replicas,
    catalog: { ...defaultCatalog, reservations: [reservation] },
    editPool: reservedOrOnDemand,
    editNodeClass: (nc) => {
      nc.spec.capacityReservationSelectorTerms = [{ tags: { team: 'workshop' } }];
    },
  });
}

const byCapacityType = (sim: Awaited<ReturnType<typeof reservedLab>>) => {
  const out: Record<string, number> = {};
  for (const n of workshopNodes(sim)) {
    const ct = n.metadata.labels?.[Labels.capacityType] ?? '';
    out[ct] = (out[ct] ?? 0) + 1;
  }
  return out;
};

describe('reserved capacity', () => {
  it('lands pods in the reservation first, then on-demand once it is full, and frees it on scale-down', async () => {
    const sim = await reservedLab(1);
    const [first] = workshopNodes(sim);
    expect(first?.metadata.labels).toMatchObject({
      [Labels.capacityType]: 'reserved',
      [Labels.capacityReservationId]: 'cr-0123456789abcdef0',
      [Labels.capacityReservationType]: 'default',
      [Labels.capacityReservationInterruptible]: 'false',
      [Labels.zone]: 'us-east-1b',
    });

    await sim.scale('Deployment', APP_NS, APP, 30);
    await sim.settle();
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    const counts = byCapacityType(sim);
    expect(counts.reserved).toBe(2);
    expect(counts['on-demand']).toBeGreaterThanOrEqual(1);
    expect(sim.cloud.reservations.available('cr-0123456789abcdef0')).toBe(0);
    // Never more instances in the reservation than it holds.
    const inReservation = sim.cloud
      .allInstances()
      .filter((i) => i.state !== 'terminated' && i.reservation?.id === 'cr-0123456789abcdef0');
    expect(inReservation).toHaveLength(2);
    // The round shared the reservation out: the claims that took it were pinned to it, none tried and failed.
    const pinned = sim.api
      .peekAll(Kinds.NodeClaim)
      .filter((c) => c.spec.requirements.some((r) => r.key === Labels.capacityReservationId));
    expect(pinned.map((c) => c.metadata.labels?.[Labels.capacityType])).toEqual(['reserved', 'reserved']);
    expect(sim.api.peekAll(Kinds.Event).filter((e) => e.reason === 'LaunchFailed')).toEqual([]);

    // Back to a few pods: consolidation keeps the reserved nodes (already paid for) and removes on-demand ones.
    await sim.scale('Deployment', APP_NS, APP, 4);
    await sim.settle();
    expect(byCapacityType(sim)['on-demand'] ?? 0).toBe(0);
    expect(byCapacityType(sim).reserved).toBeGreaterThanOrEqual(1);
    sim.stop();
  });

  it('drifts reserved nodes off a reservation the node class no longer selects', async () => {
    const sim = await reservedLab(1);
    const claim = sim.api.peekAll(Kinds.NodeClaim)[0];
    expect(claim?.metadata.labels?.[Labels.capacityType]).toBe('reserved');
    expect(await sim.cloud.isDrifted(claim!)).toBeUndefined();
    const nc = await sim.api.get(Kinds.EC2NodeClass, 'default');
    await sim.api.update(Kinds.EC2NodeClass, {
      ...nc!,
      spec: { ...nc!.spec, capacityReservationSelectorTerms: [{ id: 'cr-0ffffffffffffffff' }] },
    });
    expect(await sim.cloud.isDrifted(claim!)).toBe('CapacityReservationDrift');
    sim.stop();
  });
});

describe('capacity blocks', () => {
  it('deletes nodes in a capacity block 40 minutes before it ends, and their pods move to on-demand', async () => {
    const start = Date.UTC(2026, 0, 1);
    const block: CapacityReservation = {
      ...reservation,
      CapacityReservationId: 'cr-0b10c',
      ReservationType: 'capacity-block',
      TotalInstanceCount: 1,
      EndDate: new Date(start + 2 * 3_600_000),
    };
    const sim = await labCluster({
      replicas: 1,
      catalog: { ...defaultCatalog, reservations: [block] },
      editPool: reservedOrOnDemand,
      editNodeClass: (nc) => {
        nc.spec.capacityReservationSelectorTerms = [{ id: 'cr-0b10c' }];
      },
    });
    const [first] = workshopNodes(sim);
    expect(first?.metadata.labels).toMatchObject({
      [Labels.capacityType]: 'reserved',
      [Labels.capacityReservationType]: 'capacity-block',
    });
    // Not yet: an hour before the end is outside EC2's 40-minute reclaim window.
    await sim.clock.advance(3_600_000 - (sim.clock.now() - start));
    expect(workshopNodes(sim).map((n) => n.metadata.name)).toEqual([first?.metadata.name]);
    // Within it: the node goes, and its pod lands on an on-demand node (the block is no longer offered).
    await sim.clock.advance(25 * 60_000);
    await sim.settle();
    const nodes = workshopNodes(sim);
    expect(nodes.map((n) => n.metadata.name)).not.toContain(first?.metadata.name);
    expect(nodes.map((n) => n.metadata.labels?.[Labels.capacityType])).toEqual(['on-demand']);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    expect(sim.api.peekAll(Kinds.Event).some((e) => e.reason === 'CapacityBlockExpiring')).toBe(true);
    sim.stop();
  });
});
