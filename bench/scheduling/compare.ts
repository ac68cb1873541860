/**
 * Before/after timing of the scheduler for a refactor: `npx tsx bench/scheduling/compare.ts <before> <after>
 * [rounds]`, each a checkout of this repository (a git worktree with node_modules linked in). Rounds alternate
 * between the two, each in its own process on the same inputs (Karpenter's benchmark pods at 5,000 and 20,000,
 * the realistic workload), best of three solves per input; the medians over rounds are printed as a Markdown
 * table. Interleaving keeps a busy moment of the machine from landing on one side only.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

const INPUTS = ['diverse-5000', 'diverse-20000', 'realistic'] as const;
type Timing = Record<(typeof INPUTS)[number], number>;

/** Child side: time one checkout's scheduler and print the timings as JSON. */
async function child(root: string): Promise<void> {
  const { performance } = await import('node:perf_hooks');
  const { schedule } = (await import(
    path.join(root, 'runtime/scheduling/scheduler')
  )) as typeof import('../../runtime/scheduling/scheduler');
  const fixtures = (await import(
    path.join(root, 'bench/scheduling/fixtures')
  )) as typeof import('./fixtures');
  const make = {
    'diverse-5000': () => fixtures.benchmarkInput(5000).input,
    'diverse-20000': () => fixtures.benchmarkInput(20000).input,
    realistic: () => fixtures.realisticInput(fixtures.DEFAULT_SEED).input,
  };
  const out = {} as Timing;
  for (const name of INPUTS) {
    schedule(make[name]());
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const input = make[name]();
      const t = performance.now();
      schedule(input);
      best = Math.min(best, performance.now() - t);
    }
    out[name] = Math.round(best);
  }
  process.stdout.write(JSON.stringify(out));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : Math.round(((s[mid - 1] as number) + (s[mid] as number)) / 2);
}

function main(): void {
  const [before, after, roundsArg] = process.argv.slice(2);
  if (!before || !after) throw new Error('usage: compare.ts <before checkout> <after checkout> [rounds]');
  const rounds = Number(roundsArg ?? 5);
  const runs: Record<string, Timing[]> = { before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [side, root] of [
      ['before', before],
      ['after', after],
    ] as const) {
      const json = execFileSync(
        process.execPath,
        [...process.execArgv, __filename, '--child', path.resolve(root)],
        {
          encoding: 'utf8',
        },
      );
      runs[side]?.push(JSON.parse(json) as Timing);
    }
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${rounds} rounds, load ${load}`,
  );
  console.log('| input | before (ms, median) | after (ms, median) | after / before |');
  console.log('|---|---|---|---|');
  for (const name of INPUTS) {
    const b = median((runs.before ?? []).map((t) => t[name]));
    const a = median((runs.after ?? []).map((t) => t[name]));
    console.log(`| ${name} | ${b} | ${a} | ${(a / b).toFixed(2)} |`);
  }
}

if (process.argv[2] === '--child') void child(process.argv[3] as string);
else main();
