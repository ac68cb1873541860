/**
 * `npm run bench:scheduling`: times the scheduler on Karpenter's benchmark input at several sizes, checks the
 * plans, runs the realistic cost workload, writes bench/results/scheduling.json and regenerates the results
 * section of docs/BENCHMARKS.md.
 *
 * Every measurement runs in its own child process: a fresh heap makes peak-heap numbers comparable across
 * sizes, and a synchronous solve that runs past the time cap can only be stopped by killing its process.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';
import type { Pod } from '../../runtime/kube/objects';
import { schedule, type SchedulingInput, type SchedulingResult } from '../../runtime/scheduling/scheduler';
import {
  analysePlan,
  chosenInstanceTypes,
  costLowerBound,
  ratioAwareLowerBound,
  gpuClaimsWithoutGpuPods,
  oneSidedClaims,
  planCost,
  planUtilisation,
  type ClassSummary,
} from './analyse';
import {
  DEFAULT_SEED,
  POD_CLASSES,
  REALISTIC_CAPACITY_TYPES,
  benchmarkInput,
  realisticInput,
  type BenchmarkVariant,
} from './fixtures';
import { evaluateTargets, formatTable, writeBenchmarksDoc, writeFormatted } from './report';
import type {
  BenchmarkResults,
  DiverseOk,
  Failed,
  GenericOk,
  Measurement,
  RealisticOk,
  RealisticRun,
} from './results';

const ROOT = path.resolve(__dirname, '../..');
const DEFAULT_SIZES = [1000, 2000, 5000, 10000, 20000];
const WARMUP_PODS = 500;
const MiB = 2 ** 20;

// ---------------------------------------------------------------------------------------------------------------
// Child side: one job, one solve (or `repeat` solves), result sent back over IPC.

type Job =
  | { kind: 'diverse'; size: number; variant: BenchmarkVariant; seed: number; repeat: number }
  | { kind: 'generic'; size: number; seed: number; repeat: number }
  | { kind: 'realistic'; seed: number; repeat: number; capacityTypes: string[] };

type JobResult =
  | { kind: 'diverse'; run: DiverseOk }
  | { kind: 'generic'; run: GenericOk }
  | { kind: 'realistic'; run: RealisticOk };

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
}

interface TimedSolve {
  result: SchedulingResult;
  ms: number;
  peakBytes: number;
  gcMicros: number;
  gcCount: number;
}

/**
 * Time `schedule(input)` only. Peak heap is the largest heap the GC profiler saw right before a collection
 * during the solve, or the heap at its end: between collections the heap only grows, so those are its maxima.
 */
function timedSolve(input: SchedulingInput): TimedSolve {
  collectGarbage();
  const profiler = new GCProfiler();
  profiler.start();
  const start = performance.now();
  const result = schedule(input);
  const ms = performance.now() - start;
  const profile = profiler.stop();
  let peakBytes = process.memoryUsage().heapUsed;
  let gcMicros = 0;
  for (const s of profile.statistics) {
    peakBytes = Math.max(peakBytes, s.beforeGC.heapStatistics.usedHeapSize);
    gcMicros += s.cost;
  }
  return { result, ms, peakBytes, gcMicros, gcCount: profile.statistics.length };
}

function measure(input: SchedulingInput, repeat: number): { result: SchedulingResult; m: Measurement } {
  collectGarbage();
  const baseline = process.memoryUsage().heapUsed;
  const runs: Omit<TimedSolve, 'result'>[] = [];
  let result: SchedulingResult | undefined;
  for (let i = 0; i < repeat; i++) {
    // Keep only the last plan, so earlier ones do not inflate the next solve's heap.
    const { result: r, ...stats } = timedSolve(input);
    runs.push(stats);
    if (i === repeat - 1) result = r;
  }
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  const mean = (f: (r: Omit<TimedSolve, 'result'>) => number): number =>
    runs.reduce((a, r) => a + f(r), 0) / runs.length;
  return {
    result: result as SchedulingResult,
    m: {
      solveMs: round(median, 1),
      solveMsAll: runs.map((r) => round(r.ms, 1)),
      peakHeapMiB: round(Math.max(...runs.map((r) => r.peakBytes)) / MiB, 1),
      heapBeforeSolveMiB: round(baseline / MiB, 1),
      gcMs: round(mean((r) => r.gcMicros) / 1000, 1),
      gcCount: Math.round(mean((r) => r.gcCount)),
    },
  };
}

function warmUp(): void {
  schedule(benchmarkInput(WARMUP_PODS, { seed: DEFAULT_SEED + 1 }).input);
}

function runJob(job: Job): JobResult {
  warmUp();
  if (job.kind === 'realistic') {
    const { deployments, input } = realisticInput(job.seed, job.capacityTypes);
    const { result, m } = measure(input, job.repeat);
    const bound = costLowerBound(input.pods, input.nodePools[0]?.instanceTypes ?? [], job.capacityTypes);
    const tighter = ratioAwareLowerBound(
      input.pods,
      input.nodePools[0]?.instanceTypes ?? [],
      job.capacityTypes,
    );
    const cost = planCost(result.newNodeClaims);
    const util = planUtilisation(result.newNodeClaims);
    return {
      kind: 'realistic',
      run: {
        status: 'ok',
        capacityTypes: job.capacityTypes,
        deployments: deployments.length,
        pods: input.pods.length,
        instanceTypes: input.nodePools[0]?.instanceTypes.length ?? 0,
        ...m,
        nodeClaims: result.newNodeClaims.length,
        unschedulable: result.unschedulable.size,
        cpuUtilisation: round(util.cpu, 4),
        memoryUtilisation: round(util.memory, 4),
        dollarsPerHour: round(cost, 4),
        lowerBoundDollarsPerHour: round(bound.dollarsPerHour, 4),
        costOverLowerBound: round(cost / bound.dollarsPerHour, 4),
        ratioAwareBound: { dollarsPerHour: round(tighter.dollarsPerHour, 4), mix: tighter.mix },
        requestedVcpu: round(bound.vcpus, 2),
        requestedGiB: round(bound.gib, 2),
        cheapestPerVcpu: { ...bound.cheapestPerVcpu, dollars: round(bound.cheapestPerVcpu.dollars, 6) },
        cheapestPerGiB: { ...bound.cheapestPerGiB, dollars: round(bound.cheapestPerGiB.dollars, 6) },
        chosen: chosenInstanceTypes(result.newNodeClaims),
        oneSidedClaims: oneSidedClaims(result.newNodeClaims),
        gpuClaimsWithoutGpuPods: gpuClaimsWithoutGpuPods(result.newNodeClaims),
      },
    };
  }
  const built = benchmarkInput(job.size, {
    seed: job.seed,
    variant: job.kind === 'diverse' ? job.variant : 'default',
    genericOnly: job.kind === 'generic',
  });
  const { result, m } = measure(built.input, job.repeat);
  const classOf = (p: Pod): string => built.classOf.get(p) ?? 'unknown';
  const a = analysePlan(built.input, result, classOf, job.kind === 'generic' ? ['generic'] : POD_CLASSES);
  const common = {
    size: job.size,
    status: 'ok' as const,
    ...m,
    podsPerSecond: Math.round(job.size / (m.solveMs / 1000)),
    nodeClaims: a.nodeClaims,
    scheduled: a.scheduled,
    unschedulable: a.unschedulable,
    violated: a.violated,
    cpuUtilisation: round(a.utilisation.cpu, 4),
    memoryUtilisation: round(a.utilisation.memory, 4),
    podsPerClaim: { ...a.podsPerClaim, mean: round(a.podsPerClaim.mean, 1) },
    oneSidedClaims: a.oneSidedClaims,
  };
  if (job.kind === 'generic') return { kind: 'generic', run: common };
  return {
    kind: 'diverse',
    run: { variant: job.variant, ...common, minValuesShortfalls: a.minValuesShortfalls, classes: a.classes },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Parent side.

interface Options {
  sizes: number[];
  variants: BenchmarkVariant[];
  seed: number;
  repeat: number;
  timeoutSeconds: number;
  generic: boolean;
  realistic: boolean;
  report: boolean;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    sizes: DEFAULT_SIZES,
    variants: ['default'],
    seed: DEFAULT_SEED,
    repeat: 1,
    timeoutSeconds: 600,
    generic: true,
    realistic: true,
    report: true,
    out: path.join(ROOT, 'bench/results/scheduling.json'),
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  const positive = (v: string, flag: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    switch (flag) {
      case '--sizes':
        opts.sizes = value(i, flag)
          .split(',')
          .map((s) => positive(s.trim(), flag));
        i++;
        break;
      case '--variants':
        opts.variants = value(i, flag)
          .split(',')
          .map((s) => {
            if (s !== 'default' && s !== 'minValues')
              throw new Error(`--variants: expected default and/or minValues, got "${s}"`);
            return s;
          });
        i++;
        break;
      case '--seed':
        opts.seed = positive(value(i, flag), flag);
        i++;
        break;
      case '--repeat':
        opts.repeat = positive(value(i, flag), flag);
        i++;
        break;
      case '--timeout':
        opts.timeoutSeconds = positive(value(i, flag), flag);
        i++;
        break;
      case '--out':
        opts.out = path.resolve(value(i, flag));
        i++;
        break;
      case '--no-generic':
        opts.generic = false;
        break;
      case '--no-realistic':
        opts.realistic = false;
        break;
      case '--no-report':
        opts.report = false;
        break;
      case '--help':
        console.log(
          'usage: tsx bench/scheduling/run.ts [--sizes 1000,2000,5000,10000,20000] [--variants default,minValues]\n' +
            '  [--seed 42] [--repeat 1] [--timeout 600 (seconds per size)] [--out bench/results/scheduling.json]\n' +
            '  [--no-generic] [--no-realistic] [--no-report]',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument "${flag}" (try --help)`);
    }
  }
  return opts;
}

type ChildOutcome = { ok: true; result: JobResult } | ({ ok: false } & Failed);

function runInChild(job: Job, timeoutSeconds: number): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = fork(__filename, ['--child', JSON.stringify(job)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    let outcome: ChildOutcome | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      outcome = {
        ok: false,
        status: 'timeout',
        message: `stopped after ${timeoutSeconds} s (the cap per size); no result recorded`,
      };
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('message', (msg: JobResult) => {
      outcome = { ok: true, result: msg };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (outcome) return resolve(outcome);
      const oom = /heap out of memory/i.test(stderr);
      resolve({
        ok: false,
        status: oom ? 'out-of-memory' : 'crashed',
        message: `child exited (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
      });
    });
  });
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function commandLine(argv: string[]): string {
  const script = path.relative(ROOT, argv[1] ?? 'bench/scheduling/run.ts');
  const event = process.env.npm_lifecycle_event;
  const args = argv.slice(2).join(' ');
  if (event === 'bench' || event === 'bench:scheduling')
    return `npm run ${event}${args ? ` -- ${args}` : ''}`;
  return `tsx ${script}${args ? ` ${args}` : ''}`;
}

function describeClasses(classes: ClassSummary[]): string {
  return classes
    .filter((c) => c.unschedulable > 0 || c.violated > 0)
    .map((c) => `${c.class}: ${c.unschedulable} unschedulable, ${c.violated} violated`)
    .join('; ');
}

async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv.slice(2));
  const results: BenchmarkResults = {
    schema: 1,
    machine: {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      totalMemoryGiB: round(os.totalmem() / 2 ** 30, 1),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
    },
    date: new Date().toISOString(),
    command: commandLine(argv),
    gitCommit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    gitDirty: (git(['status', '--porcelain']) ?? '') !== '',
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
    seed: opts.seed,
    repeat: opts.repeat,
    timeoutSeconds: opts.timeoutSeconds,
    diverse: [],
    generic: [],
    realistic: undefined,
  };

  for (const variant of opts.variants) {
    for (const size of opts.sizes) {
      process.stdout.write(`diverse ${variant} ${size} pods … `);
      const outcome = await runInChild(
        { kind: 'diverse', size, variant, seed: opts.seed, repeat: opts.repeat },
        opts.timeoutSeconds,
      );
      if (outcome.ok && outcome.result.kind === 'diverse') {
        const r = outcome.result.run;
        results.diverse.push(r);
        console.log(
          `${r.solveMs} ms, ${r.nodeClaims} claims, peak heap ${r.peakHeapMiB} MiB` +
            (r.unschedulable || r.violated ? ` (${describeClasses(r.classes)})` : ''),
        );
      } else if (!outcome.ok) {
        results.diverse.push({ variant, size, status: outcome.status, message: outcome.message });
        console.log(outcome.message);
      }
    }
  }
  if (opts.generic) {
    for (const size of opts.sizes) {
      process.stdout.write(`generic ${size} pods … `);
      const outcome = await runInChild(
        { kind: 'generic', size, seed: opts.seed, repeat: opts.repeat },
        opts.timeoutSeconds,
      );
      if (outcome.ok && outcome.result.kind === 'generic') {
        const r = outcome.result.run;
        results.generic.push(r);
        console.log(`${r.solveMs} ms, ${r.nodeClaims} claims, cpu utilisation ${r.cpuUtilisation}`);
      } else if (!outcome.ok) {
        results.generic.push({ size, status: outcome.status, message: outcome.message });
        console.log(outcome.message);
      }
    }
  }
  if (opts.realistic) {
    results.realisticSingleCapacity = [];
    for (const capacityTypes of [[...REALISTIC_CAPACITY_TYPES], ['spot'], ['on-demand']]) {
      process.stdout.write(`realistic deployments (${capacityTypes.join(', ')}) … `);
      const outcome = await runInChild(
        { kind: 'realistic', seed: opts.seed, repeat: opts.repeat, capacityTypes },
        opts.timeoutSeconds,
      );
      let run: RealisticRun | undefined;
      if (outcome.ok && outcome.result.kind === 'realistic') {
        run = outcome.result.run;
        const indivisible = run.ratioAwareBound?.dollarsPerHour ?? NaN;
        console.log(
          `$${run.dollarsPerHour}/h vs indivisible bound $${indivisible}/h (×${round(run.dollarsPerHour / indivisible, 3)})`,
        );
      } else if (!outcome.ok) {
        run = { status: outcome.status, message: outcome.message };
        console.log(outcome.message);
      }
      if (capacityTypes.length === REALISTIC_CAPACITY_TYPES.length) results.realistic = run;
      else if (run) results.realisticSingleCapacity.push(run);
    }
  }

  mkdirSync(path.dirname(opts.out), { recursive: true });
  await writeFormatted(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatTable(results)}\n`);
  for (const t of evaluateTargets(results))
    console.log(`${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${t.actual}`);
  console.log(`\nwrote ${path.relative(ROOT, opts.out)}`);
  if (opts.report) {
    const doc = await writeBenchmarksDoc(results);
    console.log(`updated ${path.relative(ROOT, doc)}`);
  }
}

if (process.argv[2] === '--child') {
  const job = JSON.parse(process.argv[3] as string) as Job;
  const result = runJob(job);
  process.send?.(result, () => process.exit(0));
} else if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
