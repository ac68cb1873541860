import type { InstanceType } from '../../scheduling/instance-types';
import { Requirement, Requirements } from '../../scheduling/requirements';
import type { SchedulingResult } from '../../scheduling/scheduler';
import { nodePool, plannedClaim } from '../../scheduling/testing';
import type { StateNode } from '../../state/cluster-state';
import type { Candidate } from './candidates';
import {
  consolidationFor,
  singleNodeConsolidation,
  SPOT_TO_SPOT_DISABLED,
  SPOT_TO_SPOT_MIN_INSTANCE_TYPES,
  type Simulate,
} from './methods';

/** A synthetic instance type sold as spot and on-demand at `price` in one zone. */
function itype(name: string, price: number): InstanceType {
  return {
    name,
    requirements: new Requirements([Requirement.in('node.kubernetes.io/instance-type', [name])]),
    capacity: { cpu: 2000, memory: 4e9, pods: 29 },
    overhead: {},
    allocatable: { cpu: 1900, memory: 3.5e9, pods: 29 },
    offerings: ['spot', 'on-demand'].map((capacityType) => ({
      capacityType: capacityType as 'spot' | 'on-demand',
      zone: 'us-east-1a',
      price,
      available: true,
    })),
  };
}

function candidate(name: string, price: number, capacityType: 'spot' | 'on-demand'): Candidate {
  const stateNode = { name, labels: { 'karpenter.sh/capacity-type': capacityType } } as unknown as StateNode;
  return { stateNode, nodePool: nodePool('default'), price, reschedulablePods: [], disruptionCost: 1 };
}

/** A simulation that needs exactly one new node with these options (cheapest first). */
function oneReplacement(options: InstanceType[], capacityTypes = ['spot', 'on-demand']): Simulate {
  const plan = plannedClaim(options, { capacityTypes });
  return (): SchedulingResult => ({ existing: new Map(), newNodeClaims: [plan], unschedulable: new Map() });
}

const types = (n: number, from = 0.01) =>
  Array.from({ length: n }, (_, i) => itype(`t${i}`, from + i * 0.001));

describe('consolidationFor: replacements', () => {
  it('replaces an on-demand node with the cheaper options only', () => {
    const outcome = consolidationFor([candidate('a', 0.0125, 'on-demand')], oneReplacement(types(5)));
    expect(typeof outcome).toBe('object');
    if (typeof outcome === 'string') return;
    expect(outcome.replacements[0]?.instanceTypeOptions.map((t) => t.name)).toEqual(['t0', 't1', 't2']);
    expect(outcome.savings).toBeCloseTo(0.0025);
  });

  it('refuses a replacement that saves less than the configured share, naming it', () => {
    const simulate = oneReplacement([itype('m6i.large', 0.098)]);
    const outcome = consolidationFor([candidate('a', 0.1, 'on-demand')], simulate, {
      minSavingsFraction: 0.05,
    });
    expect(outcome).toBe('replacement m6i.large saves only 2%, less than the 5% required');
    expect(typeof consolidationFor([candidate('a', 0.1, 'on-demand')], simulate)).toBe('object');
  });

  const gateOn = { spotToSpot: true };

  it('never replaces spot with spot while the SpotToSpotConsolidation gate is off (the default)', () => {
    expect(consolidationFor([candidate('s', 1, 'spot')], oneReplacement(types(40)))).toBe(
      SPOT_TO_SPOT_DISABLED,
    );
    expect(
      consolidationFor([candidate('s', 1, 'spot')], oneReplacement(types(40)), { spotToSpot: false }),
    ).toBe("SpotToSpotConsolidation is disabled, can't replace a spot node with a spot node");
    // With the gate on the same node is replaced.
    expect(typeof consolidationFor([candidate('s', 1, 'spot')], oneReplacement(types(40)), gateOn)).toBe(
      'object',
    );
  });

  it('still deletes a spot node with the gate off when its pods fit elsewhere', () => {
    const fits: Simulate = () => ({ existing: new Map(), newNodeClaims: [], unschedulable: new Map() });
    const outcome = consolidationFor([candidate('s', 1, 'spot')], fits);
    expect(outcome).toMatchObject({ replacements: [], savings: 1 });
  });

  it(`replaces spot with spot only given ${SPOT_TO_SPOT_MIN_INSTANCE_TYPES} cheaper types, keeping the cheapest 15`, () => {
    const few = consolidationFor([candidate('s', 1, 'spot')], oneReplacement(types(14)), gateOn);
    expect(few).toBe('spot-to-spot replacement needs 15 cheaper instance types, only 14 found');
    const many = consolidationFor([candidate('s', 1, 'spot')], oneReplacement(types(40)), gateOn);
    if (typeof many === 'string') throw new Error(many);
    expect(many.replacements[0]?.instanceTypeOptions).toHaveLength(15);
    expect(many.replacements[0]?.instanceTypeOptions[14]?.name).toBe('t14');
  });

  it('lets spot go to on-demand-only replacements and on-demand go to spot without the rule', () => {
    expect(
      typeof consolidationFor([candidate('s', 1, 'spot')], oneReplacement(types(3), ['on-demand'])),
    ).toBe('object');
    expect(
      typeof consolidationFor([candidate('o', 1, 'on-demand')], oneReplacement(types(3), ['spot'])),
    ).toBe('object');
  });

  it('never replaces several spot nodes with one spot node', () => {
    const outcome = consolidationFor(
      [candidate('s1', 1, 'spot'), candidate('s2', 1, 'spot')],
      oneReplacement(types(40)),
      gateOn,
    );
    expect(outcome).toBe('spot nodes are replaced by spot one at a time');
  });
});

describe('time limits', () => {
  it('single-node consolidation stops at its limit and says so for the nodes it did not reach', () => {
    let t = 0;
    const skipped = new Map<string, string>();
    const candidates = [candidate('a', 1, 'on-demand'), candidate('b', 1, 'on-demand')];
    for (const c of candidates) c.reschedulablePods = [];
    // Every simulation takes 100 "ms" and finds no room, so only the first candidate fits in a 150 ms limit.
    const simulate: Simulate = () => {
      t += 100;
      return {
        existing: new Map(),
        newNodeClaims: [],
        unschedulable: new Map([['p', { pod: {} as never, reasons: ['no room'] }]]),
      };
    };
    const budgets = new Map([['default', 10]]);
    const outcome = singleNodeConsolidation(candidates, budgets, simulate, skipped, {
      singleNodeTimeLimitMs: 150,
      elapsedMs: () => t,
    });
    expect(outcome).toBeUndefined();
    expect(skipped.get('a')).toMatch(/could not be rescheduled/);
    expect(t).toBe(200);
    const late = [...skipped.entries()].filter(([, r]) => r.includes('ran out of time'));
    expect(late).toEqual([]);
    const slow = new Map<string, string>();
    t = 0;
    singleNodeConsolidation(candidates, budgets, simulate, slow, {
      singleNodeTimeLimitMs: 50,
      elapsedMs: () => t,
    });
    expect(slow.get('b')).toBe('the single-node pass ran out of time before reaching it');
  });
});

describe('consolidationFor: a plan of several new nodes', () => {
  const small = () =>
    plannedClaim([itype('t-small', 0.02), itype('t-big', 0.05)], { requests: { cpu: 500 } });

  it('with repack on, asks again for one new node holding them all, and replaces with it when that saves', () => {
    const asked: (boolean | undefined)[] = [];
    const simulate: Simulate = (_removed, opts) => {
      asked.push(opts?.oneNewClaim);
      const claims = opts?.oneNewClaim
        ? [plannedClaim([itype('t-big', 0.05)], { requests: { cpu: 1000 } })]
        : [small(), small()];
      return { existing: new Map(), newNodeClaims: claims, unschedulable: new Map() };
    };
    // Off (the default, as upstream) it does not ask again.
    expect(consolidationFor([candidate('a', 0.1, 'on-demand')], simulate)).toBe(
      "can't remove without creating 2 nodes",
    );
    expect(asked).toEqual([undefined]);
    asked.length = 0;
    const outcome = consolidationFor([candidate('a', 0.1, 'on-demand')], simulate, { repack: true });
    expect(asked).toEqual([undefined, true]);
    if (typeof outcome === 'string') throw new Error(outcome);
    expect(outcome.replacements.map((r) => r.instanceTypeOptions.map((it) => it.name))).toEqual([['t-big']]);
    expect(outcome.savings).toBeCloseTo(0.05);
  });

  it('says why when no one node can hold them', () => {
    const simulate: Simulate = () => ({
      existing: new Map(),
      newNodeClaims: [small(), small()],
      unschedulable: new Map(),
    });
    expect(consolidationFor([candidate('a', 0.1, 'on-demand')], simulate, { repack: true })).toBe(
      "can't remove without creating 2 nodes",
    );
  });
});
