import { Labels } from '../../../sdk/api/well-known';
import type { InstanceType, Offering } from '../../scheduling/instance-types';
import type { PlannedNodeClaim } from '../../scheduling/scheduler';
import { nodePool, plannedClaim, reservedInstanceType, schedulingPool } from '../../scheduling/testing';
import type { NodePool } from '../../kube/objects';
import type { StateNode } from '../../state/cluster-state';
import type { Candidate } from './candidates';
import {
  STATIC_AT_LIMIT,
  STATIC_RESERVATIONS_FULL,
  staticCounts,
  staticDrift,
  staticReservations,
} from './static-drift';

function candidate(
  name: string,
  pool: NodePool,
  opts: { pods?: number; created?: string; reservation?: string } = {},
): Candidate {
  const labels: Record<string, string> = opts.reservation
    ? { [Labels.capacityType]: 'reserved', [Labels.capacityReservationId]: opts.reservation }
    : { [Labels.capacityType]: 'on-demand' };
  const stateNode = {
    name,
    labels,
    nodeClaim: { metadata: { name, creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z' } },
  } as unknown as StateNode;
  const pods = Array.from({ length: opts.pods ?? 0 }, () => ({}) as never);
  return { stateNode, nodePool: pool, price: 0.1, reschedulablePods: pods, disruptionCost: 1 };
}

const plan = plannedClaim([]);
const planFor = (): PlannedNodeClaim => plan;
const at =
  (active: number, pendingDisruption = 0, deleting = 0) =>
  () => ({ active, pendingDisruption, deleting });

describe('staticDrift', () => {
  const pool = nodePool('s', { replicas: 3 });

  it('replaces each drifted node with one claim of the pool, within the Drifted budget, empty then oldest first', () => {
    const skipped = new Map<string, string>();
    const cs = [
      candidate('busy-old', pool, { pods: 2, created: '2024-01-01T00:00:00Z' }),
      candidate('empty', pool, { created: '2024-03-01T00:00:00Z' }),
      candidate('busy-new', pool, { pods: 1, created: '2024-02-01T00:00:00Z' }),
    ];
    const command = staticDrift(cs, new Map([['s', 2]]), at(3), planFor, skipped);
    expect(command?.reason).toBe('Drifted');
    expect(command?.candidates.map((c) => c.stateNode.name)).toEqual(['empty', 'busy-old']);
    expect(command?.replacements).toHaveLength(2);
    expect(skipped.get('busy-new')).toMatch(/disruption budget of NodePool "s" allows no more/);
  });

  it('waits while the pool is scaling down', () => {
    const skipped = new Map<string, string>();
    expect(staticDrift([candidate('a', pool)], new Map([['s', 5]]), at(4), planFor, skipped)).toBeUndefined();
    expect(skipped.get('a')).toMatch(/scaling down to 3 replicas/);
  });

  it('stages no more replacements than limits.nodes leaves room for, and says so', () => {
    const limited = nodePool('s', { replicas: 3, limits: { nodes: '4' } });
    const skipped = new Map<string, string>();
    const cs = [candidate('a', limited), candidate('b', limited)];
    const command = staticDrift(cs, new Map([['s', 5]]), at(3), planFor, skipped);
    expect(command?.candidates).toHaveLength(1);
    expect([...skipped.values()]).toEqual([`drifted, but ${STATIC_AT_LIMIT}`]);
    // At the limit (a deleting claim holds the last slot): nothing.
    const none = new Map<string, string>();
    expect(staticDrift(cs, new Map([['s', 5]]), at(3, 0, 1), planFor, none)).toBeUndefined();
    expect(none.size).toBe(2);
  });

  it('at its node limit, deletes first with TerminateFirstDrift on a Ready pool, within the budget', () => {
    const limited = nodePool('s', { replicas: 3, limits: { nodes: '3' } });
    const cs = [candidate('a', limited), candidate('b', limited), candidate('c', limited)];
    const budgets = new Map([['s', 2]]);
    // Not Ready yet: the static controller would not refill, so the nodes wait even with the gate.
    expect(staticDrift(cs, budgets, at(3), planFor, new Map(), true)).toBeUndefined();
    limited.status = { conditions: [{ type: 'Ready', status: 'True' }] } as NodePool['status'];
    const off = new Map<string, string>();
    expect(staticDrift(cs, budgets, at(3), planFor, off, false)).toBeUndefined();
    expect(off.get('a')).toBe(`drifted, but ${STATIC_AT_LIMIT}`);
    const skipped = new Map<string, string>();
    const command = staticDrift(cs, budgets, at(3), planFor, skipped, true);
    expect(command).toMatchObject({ reason: 'Drifted', replacements: [], terminateFirst: 'static-at-limit' });
    expect(command?.candidates.map((c) => c.stateNode.name)).toEqual(['a', 'b']);
    expect(skipped.get('c')).toMatch(/allows no more \(Drifted\)/);
    // With room under the limit it replaces first, gate or not.
    expect(staticDrift(cs, budgets, at(2), planFor, new Map(), true)?.replacements).toHaveLength(1);
  });

  it('does nothing with a budget of zero, or without a plan', () => {
    const skipped = new Map<string, string>();
    expect(staticDrift([candidate('a', pool)], new Map([['s', 0]]), at(3), planFor, skipped)).toBeUndefined();
    expect(
      staticDrift([candidate('a', pool)], new Map([['s', 1]]), at(3), () => 'no types', skipped),
    ).toBeUndefined();
    expect(skipped.get('a')).toMatch(/no types/);
  });
});

describe('staticCounts', () => {
  it('splits a pool’s claims into active, pending disruption and deleting', () => {
    const n = (pool: string, o: Partial<StateNode>) =>
      ({ nodePoolName: pool, nodeClaim: {}, deleting: false, markedForDisruption: false, ...o }) as StateNode;
    const nodes = [
      n('s', {}),
      n('s', { markedForDisruption: true }),
      n('s', { deleting: true, markedForDisruption: true }),
      n('other', {}),
    ];
    expect(staticCounts(nodes, 's')).toEqual({ active: 1, pendingDisruption: 1, deleting: 1 });
  });
});

describe('static pools on full capacity reservations (TerminateFirstDrift)', () => {
  const CR = 'cr-0123456789abcdef0';
  const reservedType = (capacity: number, extra: Partial<Offering> = {}): InstanceType =>
    reservedInstanceType(CR, capacity, extra);
  const reservedPool = (capacityTypes: string[]) => {
    const np = nodePool('s', {
      replicas: 2,
      requirements: [{ key: Labels.capacityType, operator: 'In', values: capacityTypes }],
    });
    np.status = { conditions: [{ type: 'Ready', status: 'True' }] } as NodePool['status'];
    return np;
  };

  it('is full when every offering the template allows is a reserved one without room', () => {
    const only = reservedPool(['reserved']);
    expect(staticReservations(schedulingPool(only, [reservedType(0)]))).toEqual({
      full: true,
      offered: new Set([CR]),
    });
    // Room left, or on-demand allowed too: not full.
    expect(staticReservations(schedulingPool(only, [reservedType(1)])).full).toBe(false);
    expect(
      staticReservations(schedulingPool(reservedPool(['reserved', 'on-demand']), [reservedType(0)])).full,
    ).toBe(false);
    // A reservation in a zone under a shift is no longer offered: no node of it frees a usable slot.
    expect(staticReservations(schedulingPool(only, [reservedType(0, { zonalShift: true })]))).toEqual({
      full: true,
      offered: new Set(),
    });
  });

  it('deletes first the nodes holding a slot of an offered reservation, within the budget; the rest wait', () => {
    const np = reservedPool(['reserved']);
    const cs = [
      candidate('on-demand-node', np),
      candidate('in-cr-a', np, { reservation: CR }),
      candidate('in-cr-b', np, { reservation: CR }),
    ];
    const full = () => ({ full: true, offered: new Set([CR]) });
    const skipped = new Map<string, string>();
    // Room under the node limit (no limit at all): still no replacement can launch, so it is terminate-first.
    const command = staticDrift(cs, new Map([['s', 2]]), at(2), planFor, skipped, true, full);
    expect(command).toMatchObject({
      reason: 'Drifted',
      replacements: [],
      terminateFirst: 'no-reserved-capacity',
    });
    expect(command?.candidates.map((c) => c.stateNode.name)).toEqual(['in-cr-a', 'in-cr-b']);
    expect(skipped.get('on-demand-node')).toBe(`drifted, but ${STATIC_RESERVATIONS_FULL}`);
    // A budget of one: the first holder goes, the others wait.
    const one = new Map<string, string>();
    expect(
      staticDrift(cs, new Map([['s', 1]]), at(2), planFor, one, true, full)?.candidates.map(
        (c) => c.stateNode.name,
      ),
    ).toEqual(['in-cr-a']);
    expect(one.get('in-cr-b')).toBe(`drifted, but ${STATIC_RESERVATIONS_FULL}`);
    // Without the gate the reservations are not looked at: the normal replace-first path.
    expect(
      staticDrift(cs, new Map([['s', 2]]), at(2), planFor, new Map(), false, full)?.replacements,
    ).toHaveLength(2);
    // A pool not Ready would not be refilled: everything waits.
    np.status = {} as NodePool['status'];
    const notReady = new Map<string, string>();
    expect(staticDrift(cs, new Map([['s', 2]]), at(2), planFor, notReady, true, full)).toBeUndefined();
    expect(notReady.size).toBe(3);
  });
});
