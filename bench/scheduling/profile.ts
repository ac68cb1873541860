/**
 * `tsx bench/scheduling/profile.ts [pods] [--generic | --realistic] [--variant minValues] [--no-repack]`: one warm-up and one timed solve of the
 * benchmark input, with a fingerprint of the plan (claims, cost, utilisation, constraint violations and a hash of
 * every placement) so two versions of the scheduler can be compared decision for decision; `--no-repack` gives the
 * scheduler's first pass alone, and the realistic input also reports plan cost over the lower bound. Run it under
 * `node --cpu-prof --import tsx` to profile.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { podKey } from '../../runtime/scheduling/pod-requirements';
import { schedule } from '../../runtime/scheduling/scheduler';
import {
  constraintViolations,
  costLowerBound,
  planCost,
  planUtilisation,
  ratioAwareLowerBound,
} from './analyse';
import { REALISTIC_CAPACITY_TYPES, benchmarkInput, realisticInput, type BenchmarkVariant } from './fixtures';

const args = process.argv.slice(2);
const size = Number(args.find((a) => /^\d+$/.test(a)) ?? 10000);
const genericOnly = args.includes('--generic');
const realistic = args.includes('--realistic');
const variantAt = args.indexOf('--variant');
const variant = (variantAt >= 0 ? args[variantAt + 1] : 'default') as BenchmarkVariant;
const repack = !args.includes('--no-repack');

schedule(benchmarkInput(500, { genericOnly, variant }).input);
const { input: built } = realistic ? realisticInput() : benchmarkInput(size, { genericOnly, variant });
const input = { ...built, repack };
const start = performance.now();
const cpuStart = process.cpuUsage();
const result = schedule(input);
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);

const hash = createHash('sha256');
for (const claim of result.newNodeClaims) {
  hash.update(
    `${claim.requirements.toString()}|${claim.instanceTypeOptions.map((it) => it.name).join(',')}|`,
  );
  hash.update(claim.pods.map(podKey).join(',') + '\n');
}
const util = planUtilisation(result.newNodeClaims);
console.log(
  JSON.stringify({
    size: input.pods.length,
    genericOnly,
    realistic,
    variant,
    repack,
    seconds: Number(seconds.toFixed(3)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
    claims: result.newNodeClaims.length,
    unschedulable: result.unschedulable.size,
    cost: Number(planCost(result.newNodeClaims).toFixed(4)),
    ...(realistic
      ? {
          costOverRatioAwareBound: Number(
            (
              planCost(result.newNodeClaims) /
              ratioAwareLowerBound(
                input.pods,
                input.nodePools[0]?.instanceTypes ?? [],
                REALISTIC_CAPACITY_TYPES,
              ).dollarsPerHour
            ).toFixed(3),
          ),
          costOverBound: Number(
            (
              planCost(result.newNodeClaims) /
              costLowerBound(input.pods, input.nodePools[0]?.instanceTypes ?? [], REALISTIC_CAPACITY_TYPES)
                .dollarsPerHour
            ).toFixed(3),
          ),
        }
      : {}),
    utilisation: util,
    violations: constraintViolations(input, result).length,
    placements: hash.digest('hex').slice(0, 16),
  }),
);
