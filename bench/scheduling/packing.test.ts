/**
 * Packing quality on the benchmark inputs (issue 4): the repacking pass must fill the generic class's nodes, cut
 * the realistic workload's cost, and never plan more nodes or spend more than the first pass for the same pods.
 */
import { schedule, type SchedulingInput } from '../../runtime/scheduling/scheduler';
import {
  constraintViolations,
  costLowerBound,
  planCost,
  planUtilisation,
  ratioAwareLowerBound,
} from './analyse';
import { REALISTIC_CAPACITY_TYPES, benchmarkInput, realisticInput } from './fixtures';

function bothPasses(input: SchedulingInput) {
  const first = schedule({ ...input, repack: false });
  const repacked = schedule(input);
  return { first, repacked };
}

describe('packing quality', () => {
  it.each([1000, 2000, 5000])(
    'generic pods (%i): CPU utilisation of planned nodes is at least 0.85',
    (size) => {
      const { input } = benchmarkInput(size, { genericOnly: true });
      const { first, repacked } = bothPasses(input);
      expect(planUtilisation(repacked.newNodeClaims).cpu).toBeGreaterThanOrEqual(0.85);
      expect(repacked.newNodeClaims.length).toBeLessThanOrEqual(first.newNodeClaims.length);
      expect(planCost(repacked.newNodeClaims)).toBeLessThan(planCost(first.newNodeClaims));
      expect(constraintViolations(input, repacked)).toEqual([]);
    },
  );

  // 9%, not 10%, since instance types offer memory less the 7.5% VM overhead: fewer of these pods fit the small
  // types the repacked plan buys (161 nodes, 9.6% cheaper than the first pass's 175).
  it('realistic deployments: fewer nodes and at least 9% cheaper than the first pass', () => {
    const { input } = realisticInput();
    const { first, repacked } = bothPasses(input);
    expect(repacked.unschedulable.size).toBe(0);
    expect(repacked.newNodeClaims.length).toBeLessThan(first.newNodeClaims.length);
    const cost = planCost(repacked.newNodeClaims);
    expect(cost).toBeLessThan(0.91 * planCost(first.newNodeClaims));
    const bound = costLowerBound(
      input.pods,
      input.nodePools[0]?.instanceTypes ?? [],
      REALISTIC_CAPACITY_TYPES,
    );
    expect(cost).toBeGreaterThanOrEqual(bound.dollarsPerHour);
    // The bound buys cpu and memory from different types; pods cannot be split that way, so the
    // ratio-aware bound sits between it and any real plan, and the repacked plan is within 5% of it (issue 22;
    // 1.056 before packing traded pods of one shape for others, see pack-by-price.ts).
    const tighter = ratioAwareLowerBound(
      input.pods,
      input.nodePools[0]?.instanceTypes ?? [],
      REALISTIC_CAPACITY_TYPES,
    );
    expect(tighter.dollarsPerHour).toBeGreaterThan(bound.dollarsPerHour);
    expect(cost).toBeGreaterThanOrEqual(tighter.dollarsPerHour);
    expect(cost).toBeLessThan(1.05 * tighter.dollarsPerHour);
  });

  it.each([['spot'], ['on-demand']])(
    'realistic deployments on a %s-only pool: within 5%% of the bound',
    (type) => {
      const { input } = realisticInput(undefined, [type]);
      const { repacked } = bothPasses(input);
      expect(repacked.unschedulable.size).toBe(0);
      const tighter = ratioAwareLowerBound(input.pods, input.nodePools[0]?.instanceTypes ?? [], [type]);
      const cost = planCost(repacked.newNodeClaims);
      expect(cost).toBeGreaterThanOrEqual(tighter.dollarsPerHour);
      expect(cost).toBeLessThan(1.05 * tighter.dollarsPerHour);
    },
  );

  it('diverse pods: pods counted by topology terms stay where the first pass put them', () => {
    const { input } = benchmarkInput(1200);
    const { first, repacked } = bothPasses(input);
    expect(repacked.newNodeClaims.length).toBeLessThanOrEqual(first.newNodeClaims.length);
    expect(planCost(repacked.newNodeClaims)).toBeLessThanOrEqual(planCost(first.newNodeClaims) + 1e-9);
    expect(constraintViolations(input, repacked)).toEqual([]);
  });
});
