import { Labels } from '../../../sdk/api/well-known';
import type { NodePool } from '../../kube/objects';
import type { InstanceType, Offering } from '../../scheduling/instance-types';
import { nodePool, pods, reservedInstanceType, schedulingPool } from '../../scheduling/testing';
import type { SchedulingNodePool } from '../../scheduling/scheduler';
import type { StateNode } from '../../state/cluster-state';
import type { Candidate } from './candidates';
import { drift } from './methods';
import { simulator } from './simulation';
import {
  creditedSimulator,
  creditReservations,
  heldReservation,
  NO_SLOT_FREED,
  reservedSlotsSuffice,
  terminateFirstDrift,
} from './terminate-first';

const CR = 'cr-0123456789abcdef0';
const ZONE = 'us-east-1a';

const reservedType = (capacity: number, extra: Partial<Offering> = {}): InstanceType =>
  reservedInstanceType(CR, capacity, extra);

function pool(capacityTypes: string[]): NodePool {
  return nodePool('reserved', {
    requirements: [{ key: Labels.capacityType, operator: 'In', values: capacityTypes }],
  });
}

/** A drifted node of `np` on `capacityType` (in CR when reserved) running `podCount` pods of `cpu`. */
function candidate(name: string, np: NodePool, capacityType: string, podCount = 2, cpu = '500m'): Candidate {
  const labels: Record<string, string> = { [Labels.capacityType]: capacityType, [Labels.zone]: ZONE };
  if (capacityType === 'reserved') labels[Labels.capacityReservationId] = CR;
  const stateNode = {
    name,
    labels,
    nodeClaim: { metadata: { creationTimestamp: '2026-01-01T00:00:00Z' } },
  } as unknown as StateNode;
  return {
    stateNode,
    nodePool: np,
    price: 0,
    reschedulablePods: pods(name, podCount, { cpu }),
    disruptionCost: 1,
  };
}

const budgets = (n: number) => new Map([['reserved', n]]);

describe('heldReservation', () => {
  it('is the reservation of a node on reserved capacity, none on on-demand', () => {
    const np = pool(['reserved']);
    expect(heldReservation(candidate('r', np, 'reserved'))).toBe(CR);
    expect(heldReservation(candidate('o', np, 'on-demand'))).toBeUndefined();
  });
});

describe('creditReservations', () => {
  const offering = (p: SchedulingNodePool[]) =>
    p[0]?.instanceTypes[0]?.offerings.find((o) => o.capacityType === 'reserved');

  it('gives the freed slots back to a full reservation and makes it available again', () => {
    const pools = [schedulingPool(pool(['reserved']), [reservedType(0)])];
    const credited = creditReservations(pools, new Map([[CR, 2]]));
    expect(offering(credited)).toMatchObject({ available: true, reservation: { capacity: 2 } });
    // The input is not changed, and another reservation's slots change nothing.
    expect(offering(pools)).toMatchObject({ available: false, reservation: { capacity: 0 } });
    expect(offering(creditReservations(pools, new Map([['cr-other', 1]])))?.available).toBe(false);
  });

  it('keeps unavailable a reservation with room, or in a zone under a zonal shift', () => {
    const expiring = [schedulingPool(pool(['reserved']), [reservedType(1, { available: false })])];
    expect(offering(creditReservations(expiring, new Map([[CR, 1]])))?.available).toBe(false);
    const shifted = [schedulingPool(pool(['reserved']), [reservedType(0, { zonalShift: true })])];
    expect(offering(creditReservations(shifted, new Map([[CR, 1]])))?.available).toBe(false);
  });
});

describe('terminateFirstDrift', () => {
  const np = pool(['reserved']);
  const full = [schedulingPool(np, [reservedType(0)])];
  const plain = simulator(full, [], {}, undefined);
  const credited = creditedSimulator(full, [], {}, undefined);

  it('deletes a drifted reserved node first when its full reservation is the only place for its pods', () => {
    const skipped = new Map<string, string>();
    const c = candidate('r1', np, 'reserved');
    // Replacing first cannot work: the reservation has no slot and the pool allows nothing else.
    expect(drift([c], budgets(1), plain, skipped)).toBeUndefined();
    expect(skipped.get('r1')).toMatch(/could not be rescheduled/);
    const command = terminateFirstDrift([c], budgets(1), credited, skipped);
    expect(command).toMatchObject({
      reason: 'Drifted',
      replacements: [],
      terminateFirst: 'no-reserved-capacity',
    });
    expect(command?.candidates.map((x) => x.stateNode.name)).toEqual(['r1']);
    expect(skipped.has('r1')).toBe(false);
  });

  it('takes as many as the Drifted budget allows, each freeing its own slot', () => {
    const cs = ['r1', 'r2', 'r3'].map((n) => candidate(n, np, 'reserved'));
    const skipped = new Map<string, string>();
    expect(terminateFirstDrift(cs, budgets(2), credited, skipped)?.candidates).toHaveLength(2);
    expect(skipped.get('r3')).toMatch(/disruption budget of NodePool "reserved" allows no more \(Drifted\)/);
    expect(terminateFirstDrift(cs, budgets(0), credited, new Map())).toBeUndefined();
  });

  it('never deletes a node on other capacity, or one whose pods need more than the slot it frees', () => {
    expect(
      terminateFirstDrift([candidate('o', np, 'on-demand')], budgets(1), credited, new Map()),
    ).toBeUndefined();
    // Six 500m pods need two m5.large: one freed slot is not enough, and strict mode does not fall back.
    const big = candidate('big', np, 'reserved', 6);
    const skipped = new Map<string, string>();
    expect(terminateFirstDrift([big], budgets(1), credited, skipped)).toBeUndefined();
    expect(skipped.get('big')).toBe(NO_SLOT_FREED);
  });

  it('leaves alone a node drift can replace first (on-demand fallback)', () => {
    const mixed = pool(['reserved', 'on-demand']);
    const pools = [schedulingPool(mixed, [reservedType(0)])];
    const c = candidate('r1', mixed, 'reserved');
    const command = drift([c], budgets(1), simulator(pools, [], {}, undefined), new Map());
    expect(command?.replacements).toHaveLength(1);
    expect(command?.terminateFirst).toBeUndefined();
  });
});

describe('reservedSlotsSuffice', () => {
  it('is false when more planned nodes want the reservation than it has slots', () => {
    const np = pool(['reserved']);
    const pools = [schedulingPool(np, [reservedType(1)])];
    const sim = simulator(pools, [], {}, undefined);
    const one = sim([candidate('a', np, 'reserved', 2)]);
    const two = sim([candidate('a', np, 'reserved', 6)]);
    expect(one.newNodeClaims).toHaveLength(1);
    expect(reservedSlotsSuffice(one.newNodeClaims)).toBe(true);
    expect(two.newNodeClaims).toHaveLength(2);
    expect(reservedSlotsSuffice(two.newNodeClaims)).toBe(false);
  });
});
