/** The generated e2e section of docs/BENCHMARKS.md: per size, both controllers side by side with ratios. */
import { DEFAULT_PER_NODE_COST } from '../../runtime/settings';
import type { Results } from './run';
import { PHASES } from './phases';
import type { RunResult } from './scenario';

type Row = [label: string, value: (r: RunResult) => number | undefined, unit?: string];

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

const ROWS: Row[] = [
  ['pods created by the controller-manager (floor), s', (r) => r.podsCreatedS],
  ['all pods Running, s', (r) => r.allRunningS],
  ['pod startup p50, s', (r) => r.startupP50S],
  ['pod startup p99, s', (r) => r.startupP99S],
  ['nodes after scale-up', (r) => r.scaleUp.nodes],
  ['$/hour after scale-up (instances + root volumes)', (r) => r.scaleUp.costPerHour],
  ['CPU requested of allocatable', (r) => r.scaleUp.cpuUtilisation],
  ['memory requested of allocatable', (r) => r.scaleUp.memoryUtilisation],
  ['scale-down to 30 %: settled after, s', (r) => r.scaleDownSettledS],
  ['nodes left', (r) => r.scaleDown.nodes],
  ['$/hour left', (r) => r.scaleDown.costPerHour],
  [
    `$/hour left, priced as the scheduler prices a node (+ ${DEFAULT_PER_NODE_COST} each)`,
    (r) => r.scaleDown.costPerHour + r.scaleDown.nodes * DEFAULT_PER_NODE_COST,
  ],
  ['pods evicted', (r) => r.evictions],
  ['evictions refused (429, PDB)', (r) => r.evictionsRefused],
  ['PDB below desired healthy (1 s samples)', (r) => r.pdbViolationSamples],
  ['disruption decisions', (r) => r.disruptionDecisions],
  ['NodeClaims created', (r) => r.nodeClaimsCreated],
  ['controller CPU s, scale-up', (r) => r.controllerCpuScaleUpS],
  ['controller CPU s, whole run', (r) => r.controllerCpuS],
  ['controller peak RSS, MiB', (r) => r.controllerPeakRssMiB],
  ['controller API requests', (r) => sum(r.controllerRequests)],
  ['of which pod-deletion-cost writes', (r) => r.podDeletionCostWrites],
  ['apiserver requests, all clients', (r) => sum(r.apiserverRequests)],
  ['kube-apiserver CPU s', (r) => r.controlPlaneCpuS['kube-apiserver']],
  ['kube-scheduler CPU s', (r) => r.controlPlaneCpuS['kube-scheduler']],
  ['etcd CPU s', (r) => r.controlPlaneCpuS.etcd],
];

function fmt(v: number | undefined): string {
  if (v === undefined) return '—';
  if (Number.isInteger(v)) return String(v);
  return v < 10 ? v.toFixed(2) : v.toFixed(1);
}

/** The median of what was measured (runs that timed out have no value for some rows). */
export function median(values: (number | undefined)[]): number | undefined {
  const xs = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

/** One controller's runs of one size as a cell: the median, and the range when there were several runs. */
function cell(runs: RunResult[], value: Row[1]): { text: string; median: number | undefined } {
  const values = runs.map(value);
  const m = median(values);
  const xs = values.filter((v): v is number => v !== undefined);
  const missing = values.length - xs.length;
  let text = fmt(m);
  if (xs.length > 1) text += ` (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
  if (missing > 0) text += ` [${missing} of ${values.length} timed out]`;
  return { text, median: m };
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return '';
  return `${(a / b).toFixed(2)}×`;
}

function verbs(runs: RunResult[]): string {
  if (runs.length === 0) return '—';
  const methods = [...new Set(runs.flatMap((r) => Object.keys(r.controllerRequests)))];
  return methods
    .map((k) => [k, median(runs.map((r) => r.controllerRequests[k] ?? 0)) ?? 0] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
}

function phases(runs: RunResult[]): string {
  const measured = runs.filter((r) => r.startupPhases);
  if (measured.length === 0) return '—';
  return PHASES.map((p) => fmt(median(measured.map((r) => r.startupPhases?.[p] ?? 0)) ?? 0)).join(' / ');
}

/** The run whose node count is the median one: its instance types stand for the set. */
function typical(runs: RunResult[]): RunResult | undefined {
  const sorted = [...runs].sort((a, b) => a.scaleUp.nodes - b.scaleUp.nodes);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function table(ours: RunResult[], theirs: RunResult[]): string {
  const lines = [
    '| | karpenter-ts | upstream v1.15.0 | karpenter-ts ÷ upstream |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [label, value] of ROWS) {
    const a = cell(ours, value);
    const b = cell(theirs, value);
    lines.push(`| ${label} | ${a.text} | ${b.text} | ${ratio(a.median, b.median)} |`);
  }
  const types = (r?: RunResult) =>
    r
      ? Object.entries(r.scaleUp.types)
          .sort((x, y) => y[1] - x[1])
          .slice(0, 4)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')
      : '—';
  const builds = (runs: RunResult[]) => [...new Set(runs.map((r) => r.build))].join(', ') || '—';
  lines.push(`| runs | ${ours.length || '—'} | ${theirs.length || '—'} | |`);
  lines.push(`| built from | ${builds(ours)} | ${builds(theirs)} | |`);
  lines.push(
    `| instance types after scale-up (median run) | ${types(typical(ours))} | ${types(typical(theirs))} | |`,
  );
  lines.push(`| controller requests by method | ${verbs(ours)} | ${verbs(theirs)} | |`);
  lines.push(
    `| startup of pods that waited for a node, median s: ${PHASES.join(' / ')} | ${phases(ours)} | ${phases(theirs)} | |`,
  );
  return lines.join('\n');
}

export function renderSection(results: Results): string {
  const sizes = [...new Set(results.runs.map((r) => r.pods))].sort((a, b) => a - b);
  const out = [
    '## The whole controller against upstream (e2e)',
    '',
    `Machine: ${results.machine}. Command: \`${results.command}\` (last run ${results.date.slice(0, 10)}). Each`,
    'controller on a fresh local control plane (kube-apiserver, etcd, kube-scheduler, kube-controller-manager,',
    'kwok), outside the cluster as users run it: karpenter-ts as the built bundle with `CLOUD_PROVIDER=kwok`,',
    'upstream as its kwok binary with the same catalog (allocatable and max pods included) through',
    '`INSTANCE_TYPES_FILE_PATH`. Load: three DaemonSets on every node (25m/40Mi, 100m/64Mi, 100m/200Mi), 60 % of',
    'the pods 250m/256Mi, 30 % 500m/1Gi spread over zones behind a PDB (maxUnavailable 10 %), 10 % 1 CPU/2Gi;',
    'one on-demand amd64 NodePool, WhenEmptyOrUnderutilized after 30 s; a 20 GiB gp3 root volume per node. Then',
    'every Deployment scaled to 30 %; settled = the last node change, after which nodes stayed unchanged 120 s. CPU from /proc, peak RSS = VmHWM,',
    'requests from `client_go_request_total` (controller) and `apiserver_request_total` (all clients, the',
    "bench's own polling taken out). The upstream side runs when the bench is given a build of",
    "`sigs.k8s.io/karpenter/kwok` v1.15.0 (`--upstream <binary>`) and that module's source for its CRDs",
    "(`--upstream-module <dir>`, by default the Go module cache's copy); neither is part of this repository.",
    'With `--repeat N` each controller runs N times, interleaved (ours, upstream, ours, …): a cell is the median',
    'with the range in brackets, and the ratio is of the medians.',
  ];
  for (const pods of sizes) {
    const ours = results.runs.filter((r) => r.pods === pods && r.controller === 'karpenter-ts');
    const theirs = results.runs.filter((r) => r.pods === pods && r.controller === 'upstream');
    const load = (ours.at(-1) ?? theirs.at(-1))?.loadAverage.join(' ') ?? '';
    out.push(
      '',
      `### ${pods.toLocaleString('en-US')} pods`,
      '',
      table(ours, theirs),
      '',
      `Load average at the end: ${load}.`,
    );
  }
  return out.join('\n');
}
