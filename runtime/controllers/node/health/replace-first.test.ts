import { Labels } from '../../../../sdk/api/well-known';
import type { NodePool } from '../../../kube/objects';
import type { SchedulingResult } from '../../../scheduling/scheduler';
import { instanceType, nodePool, plannedClaim, pod } from '../../../scheduling/testing';
import type { StateNode } from '../../../state/cluster-state';
import type { Candidate } from '../../disruption/candidates';
import type { Simulate } from '../../disruption/methods';
import { STATIC_AT_LIMIT, STATIC_RESERVATIONS_FULL } from '../../disruption/static-drift';
import { refillable } from '../../disruption/terminate-first';
import { repairPlan } from './replace-first';

const CR = 'cr-0123456789abcdef0';
const plan = plannedClaim([instanceType('m5.large')], { capacityTypes: ['reserved'] });

function candidate(capacityType: string, np: NodePool = nodePool('default')): Candidate {
  const labels: Record<string, string> = { [Labels.capacityType]: capacityType };
  if (capacityType === 'reserved') labels[Labels.capacityReservationId] = CR;
  const stateNode = { name: 'sick', labels } as unknown as StateNode;
  return { stateNode, nodePool: np, price: 0, reschedulablePods: [pod('p')], disruptionCost: 0 };
}

const result = (opts: { claims?: number; unschedulable?: boolean; existing?: string }): SchedulingResult => ({
  existing: new Map(opts.existing ? [[opts.existing, [pod('p')]]] : []),
  newNodeClaims: Array.from({ length: opts.claims ?? 0 }, () => plan),
  unschedulable: new Map(opts.unschedulable ? [['default/p', { pod: pod('p'), reasons: ['no room'] }]] : []),
});
const sim =
  (r: SchedulingResult): Simulate =>
  () =>
    r;
const nowhere = sim(result({ unschedulable: true }));

function readyPool(ready: boolean, deleting = false): NodePool {
  const np = nodePool('static', { replicas: 2 });
  np.status = { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } as NodePool['status'];
  if (deleting) np.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  return np;
}

describe('repairPlan', () => {
  it('replaces first with what the simulation asks for, or deletes when the pods fit elsewhere', () => {
    const c = candidate('on-demand');
    expect(
      repairPlan({
        candidate: c,
        simulate: sim(result({ claims: 1 })),
        terminateFirst: false,
        credited: nowhere,
      }),
    ).toMatchObject({ kind: 'replace', replacements: [plan] });
    expect(
      repairPlan({
        candidate: c,
        simulate: sim(result({ existing: 'other' })),
        terminateFirst: false,
        credited: nowhere,
      }),
    ).toEqual({ kind: 'replace', replacements: [], destinations: ['other'] });
  });

  it('deletes a reserved node first only with the gate, when its freed slot takes the pods', () => {
    const freed = sim(result({ claims: 1 }));
    const input = { candidate: candidate('reserved'), simulate: nowhere, credited: freed };
    expect(repairPlan({ ...input, terminateFirst: false })).toMatchObject({ kind: 'blocked' });
    expect(repairPlan({ ...input, terminateFirst: true })).toMatchObject({
      kind: 'terminate-first',
      reason: 'no-reserved-capacity',
    });
    // Not for a node on other capacity, nor when even the freed slot is not enough.
    expect(repairPlan({ ...input, candidate: candidate('on-demand'), terminateFirst: true }).kind).toBe(
      'blocked',
    );
    expect(repairPlan({ ...input, credited: nowhere, terminateFirst: true })).toEqual({
      kind: 'blocked',
      message: 'repair cannot launch a replacement first: 1 pod(s) could not be rescheduled (no room)',
    });
  });

  it('replaces a static node from the template while under its limit; at the limit, deletes first only with the gate on a Ready pool', () => {
    const base = { simulate: nowhere, credited: nowhere };
    const ready = candidate('on-demand', readyPool(true));
    expect(
      repairPlan({
        ...base,
        candidate: ready,
        terminateFirst: false,
        static: { scalingDown: false, room: 1, plan },
      }),
    ).toEqual({
      kind: 'replace',
      replacements: [plan],
      destinations: [],
    });
    const atLimit = { scalingDown: false, room: 0, plan };
    expect(repairPlan({ ...base, candidate: ready, terminateFirst: false, static: atLimit })).toEqual({
      kind: 'blocked',
      message: STATIC_AT_LIMIT,
    });
    expect(repairPlan({ ...base, candidate: ready, terminateFirst: true, static: atLimit })).toMatchObject({
      kind: 'terminate-first',
      reason: 'static-at-limit',
    });
    expect(
      repairPlan({
        ...base,
        candidate: ready,
        terminateFirst: true,
        static: { ...atLimit, scalingDown: true },
      }),
    ).toEqual({ kind: 'blocked', message: 'its static NodePool is scaling down first' });
    const notReady = candidate('on-demand', readyPool(false));
    expect(repairPlan({ ...base, candidate: notReady, terminateFirst: true, static: atLimit }).kind).toBe(
      'blocked',
    );
  });

  it('a static node on full reservations: deleted first with the gate when it holds an offered slot, else waits', () => {
    const base = { simulate: nowhere, credited: nowhere };
    const full = { scalingDown: false, room: 1, plan, reservations: { full: true, offered: new Set([CR]) } };
    const holder = candidate('reserved', readyPool(true));
    // Room under the node limit does not help: the replacement has no slot to launch into.
    expect(repairPlan({ ...base, candidate: holder, terminateFirst: true, static: full })).toEqual({
      kind: 'terminate-first',
      reason: 'no-reserved-capacity',
      destinations: [],
    });
    // A node outside the offered reservations frees no slot the refill can use.
    expect(
      repairPlan({
        ...base,
        candidate: candidate('on-demand', readyPool(true)),
        terminateFirst: true,
        static: full,
      }),
    ).toEqual({ kind: 'blocked', message: STATIC_RESERVATIONS_FULL });
    // Not refillable, or the gate off (the reservations are not looked at: replace first as usual).
    expect(
      repairPlan({
        ...base,
        candidate: candidate('reserved', readyPool(false)),
        terminateFirst: true,
        static: full,
      }),
    ).toEqual({ kind: 'blocked', message: STATIC_RESERVATIONS_FULL });
    expect(repairPlan({ ...base, candidate: holder, terminateFirst: false, static: full }).kind).toBe(
      'replace',
    );
  });

  it('refillable: Ready and not being deleted', () => {
    expect(refillable(readyPool(true))).toBe(true);
    expect(refillable(readyPool(false))).toBe(false);
    expect(refillable(readyPool(true, true))).toBe(false);
  });
});
