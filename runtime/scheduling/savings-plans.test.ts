import { loadSettings, savingsPlansOption, SettingsError } from '../settings';
import { Requirements } from './requirements';
import type { InstanceType } from './instance-types';
import {
  computeCoverage,
  covers,
  savingsPlansSchema,
  withCoverage,
  type CoverageNode,
  type SavingsPlan,
} from './savings-plans';

const c6i: SavingsPlan = {
  name: 'c6i',
  commitmentPerHour: 1,
  discountPercent: 40,
  instanceFamilies: ['c6i'],
};
const compute: SavingsPlan = { name: 'compute', commitmentPerHour: 0.5, discountPercent: 20 };

const node = (name: string, instanceType: string, price: number, since: number, capacityType = 'on-demand') =>
  ({ name, instanceType, capacityType, price, since }) satisfies CoverageNode;

function type(name: string, price: number): InstanceType {
  return {
    name,
    requirements: new Requirements(),
    capacity: {},
    overhead: {},
    allocatable: {},
    offerings: [
      { capacityType: 'on-demand', zone: 'a', price, available: true },
      { capacityType: 'spot', zone: 'a', price: price / 3, available: true },
    ],
  };
}

describe('savingsPlansSchema', () => {
  it('takes a list of plans and refuses what a plan cannot be, naming the field', () => {
    expect(savingsPlansSchema.safeParse([c6i, compute]).success).toBe(true);
    const problems = (v: unknown) =>
      savingsPlansSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(problems([c6i, { ...compute, name: 'c6i' }])).toEqual([
      '1.name: "c6i" is listed twice: names must be unique',
    ]);
    expect(problems([{ ...c6i, discountPercent: 100 }])[0]).toMatch(/^0.discountPercent: .*less than 100/);
    expect(problems([{ ...c6i, instanceFamilies: [] }])[0]).toMatch(/^0.instanceFamilies: list at least one/);
    expect(problems([{ ...c6i, commitment: 3 }])[0]).toMatch(/commitment/);
    expect(problems([{ ...c6i, commitmentPerHour: 0 }])[0]).toMatch(/^0.commitmentPerHour: USD per hour/);
  });

  it('comes in as SAVINGS_PLANS, whose errors say where and what', () => {
    const settings = loadSettings({ CLOUD_PROVIDER: 'simulated', SAVINGS_PLANS: JSON.stringify([c6i]) });
    expect(settings.savingsPlans).toEqual([c6i]);
    expect(loadSettings({ CLOUD_PROVIDER: 'simulated' }).savingsPlans).toBeUndefined();
    const bad = (raw: string) => {
      try {
        loadSettings({ CLOUD_PROVIDER: 'simulated', SAVINGS_PLANS: raw });
      } catch (err) {
        return (err as SettingsError).problems.join('\n');
      }
      return 'accepted';
    };
    expect(bad('[{"name":"x","commitmentPerHour":-1,"discountPercent":10}]')).toMatch(
      /SAVINGS_PLANS=.* is invalid: 0\.commitmentPerHour: USD per hour, more than 0; expected a JSON list/,
    );
    expect(bad('{not json')).toMatch(/is invalid: not JSON/);
  });
});

describe('savingsPlansOption (viewer, cost)', () => {
  it('takes --savings-plans over SAVINGS_PLANS, and names whichever it refuses', () => {
    const env = { SAVINGS_PLANS: JSON.stringify([compute]) };
    expect(savingsPlansOption(undefined, env)).toEqual([compute]);
    expect(savingsPlansOption(JSON.stringify([c6i]), env)).toEqual([c6i]);
    expect(savingsPlansOption(undefined, {})).toBeUndefined();
    expect(() => savingsPlansOption('[{"name":"x"}]', env)).toThrow(
      /^--savings-plans="\[.*\]" is invalid: 0\.commitmentPerHour: .*expected a JSON list/,
    );
    expect(() => savingsPlansOption(undefined, { SAVINGS_PLANS: '[' })).toThrow(
      /^SAVINGS_PLANS="\[" is invalid: not JSON/,
    );
  });
});

describe('computeCoverage', () => {
  it('covers the oldest nodes first, bills the part past the commitment at the on-demand price', () => {
    // c6i.4xlarge at $0.68: $0.408 at the plan's rate; $1 covers two and 0.184 of the third's 0.408.
    const nodes = [
      node('n3', 'c6i.4xlarge', 0.68, 3),
      node('n1', 'c6i.4xlarge', 0.68, 1),
      node('n2', 'c6i.4xlarge', 0.68, 2),
    ];
    const coverage = computeCoverage([c6i], nodes);
    expect(coverage.usage.get('c6i')).toMatchObject({ used: 1, nodes: 3 });
    expect(coverage.billedPrice('n1', 0.68)).toBeCloseTo(0.408);
    expect(coverage.billedPrice('n2', 0.68)).toBeCloseTo(0.408);
    // 0.184 at the rate, the other (1 - 0.184 / 0.408) of the node at $0.68.
    expect(coverage.billedPrice('n3', 0.68)).toBeCloseTo(0.184 + (1 - 0.184 / 0.408) * 0.68);
    expect(coverage.room('c6i')).toBe(0);
    expect(coverage.planFor('c6i.large', 'on-demand')).toBeUndefined();
  });

  it('covers only on-demand usage of the families listed, each node by the first plan with room', () => {
    expect(covers(c6i, 'c6i.large', 'spot')).toBe(false);
    expect(covers(c6i, 'c6in.large', 'on-demand')).toBe(false);
    expect(covers(compute, 'r7g.large', 'on-demand')).toBe(true);
    const nodes = [
      node('spot', 'c6i.large', 0.03, 1, 'spot'),
      node('m5', 'm5.large', 0.096, 2),
      node('c6i', 'c6i.large', 0.085, 3),
    ];
    const coverage = computeCoverage([c6i, compute], nodes);
    expect(coverage.billedPrice('spot', 0.03)).toBe(0.03);
    expect(coverage.billedPrice('m5', 0.096)).toBeCloseTo(0.096 * 0.8);
    expect(coverage.billedPrice('c6i', 0.085)).toBeCloseTo(0.085 * 0.6);
    expect(coverage.usage.get('compute')).toMatchObject({ nodes: 1 });
    expect(coverage.room('compute')).toBeCloseTo(0.5 - 0.096 * 0.8);
  });
});

describe('prices under coverage', () => {
  it('shows new on-demand capacity at the rate while there is room, and running nodes at what they bill', () => {
    const types = [type('c6i.4xlarge', 0.68), type('m5.4xlarge', 0.768)];
    const empty = computeCoverage([c6i], []);
    const open = withCoverage(types, empty);
    expect(open[0]?.offerings.map((o) => o.price)).toEqual([0.68 * 0.6, 0.68 / 3]);
    expect(open[1]).toBe(types[1]);
    // Cached per input and set of plans with room: callers that cache by identity keep their entries.
    expect(withCoverage(types, computeCoverage([c6i], []))).toBe(open);
    expect(empty.adjustment('anything')).toBe(0);

    const full = computeCoverage(
      [c6i],
      [1, 2, 3].map((i) => node(`n${i}`, 'c6i.4xlarge', 0.68, i)),
    );
    // Used up: new capacity sees the on-demand price again...
    expect(withCoverage(types, full)).toBe(types);
    // ...but a covered node still bills at the rate: its price as the types show it, adjusted.
    expect(0.68 + full.adjustment('n1')).toBeCloseTo(0.408);
    expect(full.adjustment('not-covered')).toBe(0);
  });

  it('adds nothing to a covered node while its plan has room (the types already show the rate)', () => {
    const coverage = computeCoverage([c6i], [node('n1', 'c6i.4xlarge', 0.68, 1)]);
    expect(coverage.room('c6i')).toBeCloseTo(1 - 0.408);
    expect(coverage.adjustment('n1')).toBeCloseTo(0);
  });
});
