/** The generated e2e section of docs/BENCHMARKS.md: per size, both controllers side by side with ratios. */
import type { Results } from './run';
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
  ['pods evicted', (r) => r.evictions],
  ['evictions refused (429, PDB)', (r) => r.evictionsRefused],
  ['PDB below desired healthy (1 s samples)', (r) => r.pdbViolationSamples],
  ['disruption decisions', (r) => r.disruptionDecisions],
  ['NodeClaims created', (r) => r.nodeClaimsCreated],
  ['controller CPU s, scale-up', (r) => r.controllerCpuScaleUpS],
  ['controller CPU s, whole run', (r) => r.controllerCpuS],
  ['controller peak RSS, MiB', (r) => r.controllerPeakRssMiB],
  ['controller API requests', (r) => sum(r.controllerRequests)],
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

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return '';
  return `${(a / b).toFixed(2)}×`;
}

function verbs(r: RunResult): string {
  return Object.entries(r.controllerRequests)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function table(ours: RunResult | undefined, theirs: RunResult | undefined): string {
  const lines = [
    '| | karpenter-ts | upstream v1.15.0 | karpenter-ts ÷ upstream |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [label, value] of ROWS) {
    const a = ours ? value(ours) : undefined;
    const b = theirs ? value(theirs) : undefined;
    lines.push(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${ratio(a, b)} |`);
  }
  const types = (r?: RunResult) =>
    r
      ? Object.entries(r.scaleUp.types)
          .sort((x, y) => y[1] - x[1])
          .slice(0, 4)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')
      : '—';
  lines.push(`| built from | ${ours?.build ?? '—'} | ${theirs?.build ?? '—'} | |`);
  lines.push(`| instance types after scale-up | ${types(ours)} | ${types(theirs)} | |`);
  lines.push(
    `| controller requests by method | ${ours ? verbs(ours) : '—'} | ${theirs ? verbs(theirs) : '—'} | |`,
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
  ];
  for (const pods of sizes) {
    const ours = results.runs.find((r) => r.pods === pods && r.controller === 'karpenter-ts');
    const theirs = results.runs.find((r) => r.pods === pods && r.controller === 'upstream');
    const load = (ours ?? theirs)?.loadAverage.join(' ') ?? '';
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
