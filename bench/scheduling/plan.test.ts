/**
 * Invariants of plans on the benchmark inputs that the scheduler's shortcuts (lazily pruned options, closed
 * claims, cached prices and topology) must not break: every claim lists exactly the instance types that can host
 * it, cheapest first, and every constraint the benchmark's classes carry holds.
 */
import { cheapestOffering, instanceTypeCompatible } from '../../runtime/scheduling/instance-types';
import { fits } from '../../runtime/scheduling/resources';
import { schedule, type SchedulingInput, type SchedulingResult } from '../../runtime/scheduling/scheduler';
import { constraintViolations, minValuesShortfalls } from './analyse';
import { benchmarkInput, realisticInput } from './fixtures';

function expectExactOptions(input: SchedulingInput, result: SchedulingResult): void {
  for (const claim of result.newNodeClaims) {
    const pool = input.nodePools.find((p) => p.nodePool.metadata.name === claim.nodePoolName);
    const expected = (pool?.instanceTypes ?? [])
      .filter((it) => fits(claim.requests, it.allocatable) && instanceTypeCompatible(it, claim.requirements))
      .map((it) => ({ it, price: cheapestOffering(it, claim.requirements)?.price ?? Infinity }))
      .sort((a, b) => a.price - b.price || a.it.name.localeCompare(b.it.name))
      .map((p) => p.it.name);
    expect(claim.instanceTypeOptions.map((it) => it.name)).toEqual(expected);
  }
}

describe('benchmark plans', () => {
  it.each([
    { name: 'diverse, 1,200 pods', input: () => benchmarkInput(1200).input },
    {
      name: 'diverse with minValues, 600 pods',
      input: () => benchmarkInput(600, { variant: 'minValues' }).input,
    },
    { name: 'generic only, 1,500 pods', input: () => benchmarkInput(1500, { genericOnly: true }).input },
    { name: 'realistic deployments', input: () => realisticInput().input },
  ])('$name: exact options, every pod placed, every constraint held', ({ input }) => {
    const scheduling = input();
    const result = schedule(scheduling);
    expect(result.unschedulable.size).toBe(0);
    expect(result.newNodeClaims.reduce((n, c) => n + c.pods.length, 0)).toBe(scheduling.pods.length);
    expectExactOptions(scheduling, result);
    expect(constraintViolations(scheduling, result)).toEqual([]);
    expect(minValuesShortfalls(scheduling, result)).toBe(0);
  });
});
