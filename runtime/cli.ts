#!/usr/bin/env node
/**
 * The karpenter-ts command line. `lab` (the default) replays the seed lab on the embedded simulator; `viewer`
 * renders any cluster reachable through a kubeconfig the way eks-node-viewer does.
 */
import { Command, Option } from 'commander';
import { defaultCatalog, priceOf } from './cloudprovider/simulated/catalog';
import { Kinds } from './kube/kinds';
import { createLogger } from './logging';
import { DEFAULT_LAB_DIR, LAB_STEPS, loadLabManifests, runLab, type LabFrame } from './lab/seed-lab';
import { buildViewerModel } from './viewer/model';
import { renderViewer } from './viewer/render';

const NOTABLE = new Set([
  'Launched',
  'DisruptionTerminating',
  'DisruptionLaunching',
  'Terminated',
  'FailedDraining',
  'FailedScheduling',
]);

function printFrame(frame: LabFrame, index: number, resources: ('cpu' | 'memory')[]): void {
  const out: string[] = [];
  out.push(`── step ${index + 1}/${LAB_STEPS.length}: ${frame.step} ─ ${frame.command}`);
  out.push(
    frame.settled
      ? `   settled after ${frame.elapsedSeconds}s of cluster time`
      : `   NOT settled after ${frame.elapsedSeconds}s of cluster time`,
  );
  for (const e of frame.events.filter((x) => NOTABLE.has(x.reason))) {
    out.push(`   • ${e.kind.toLowerCase()}/${e.name}: ${e.reason}: ${e.message}`);
  }
  for (const reason of frame.unschedulable) out.push(`   ! pending ${reason}`);
  out.push('');
  out.push(renderViewer(frame.model, { resources }));
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
}

function frameJson(frame: LabFrame): string {
  return JSON.stringify({
    step: frame.step,
    nodes: frame.nodes,
    pendingPods: frame.pendingPods,
    pricePerHour: frame.pricePerHour,
    settled: frame.settled,
    expectedNodes: frame.expectedNodes,
  });
}

async function labCommand(opts: {
  json?: boolean;
  manifests: string;
  logLevel: string;
  memory?: boolean;
}): Promise<number> {
  const manifests = loadLabManifests(opts.manifests);
  const logger = createLogger(opts.logLevel, opts.logLevel === 'silent' ? undefined : process.stderr);
  const resources: ('cpu' | 'memory')[] = opts.memory ? ['cpu', 'memory'] : ['cpu'];
  let index = 0;
  const frames = await runLab({
    manifests,
    logger,
    onFrame: (frame) => {
      if (opts.json) process.stdout.write(frameJson(frame) + '\n');
      else printFrame(frame, index++, resources);
    },
  });
  const counts = frames.map((f) => f.nodes.length);
  const expected = frames.map((f) => f.expectedNodes);
  const pending = frames.reduce((s, f) => s + f.pendingPods, 0);
  const ok = counts.join() === expected.join() && pending === 0 && frames.every((f) => f.settled);
  if (!opts.json) {
    process.stdout.write(
      ok
        ? `Lab result: workshop pool nodes per step ${counts.join(', ')}, as in the seed lab; no pod left pending.\n`
        : `Lab result: MISMATCH: workshop pool nodes per step ${counts.join(', ')} (seed: ${expected.join(', ')}); ${pending} pending pod(s) across steps.\n`,
    );
  }
  return ok ? 0 : 1;
}

async function viewerCommand(opts: {
  nodeSelector?: string;
  resources: string;
  sort: string;
  watch?: boolean;
}): Promise<number> {
  // Loaded lazily: client-node is only needed when talking to a real cluster.
  const { ClientNodeApi } = await import('./kube/client-node/client-node-api.js');
  const api = ClientNodeApi.fromDefault();
  const resources = opts.resources.split(',').map((r) => r.trim()) as ('cpu' | 'memory')[];
  const price = (t: string, c: string, z: string) => priceOf(defaultCatalog, t, c, z);
  const draw = async () => {
    const [nodes, pods] = await Promise.all([api.list(Kinds.Node), api.list(Kinds.Pod)]);
    const model = buildViewerModel(nodes.items, pods.items, price, {
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      sort: opts.sort as 'creation',
    });
    const text = renderViewer(model, { resources });
    process.stdout.write((opts.watch ? '\x1b[2J\x1b[H' : '') + text + '\n');
  };
  await draw();
  if (!opts.watch) return 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    await draw();
  }
}

export function buildProgram(): Command {
  const program = new Command()
    .name('karpenter-ts')
    .description(
      'A Karpenter-style node autoscaler in TypeScript, with an embedded simulated cluster and cloud.',
    );
  program
    .command('lab', { isDefault: true })
    .description('replay the seed lab (scale 1 → 9 → 1 → 9 → 8) on the embedded simulator and show each step')
    .option('--json', 'print one JSON object per step instead of the node viewer')
    .option('--memory', 'show memory bars as well as CPU')
    .option('--manifests <dir>', 'directory with the lab manifests to use', DEFAULT_LAB_DIR)
    .addOption(
      new Option('--log-level <level>', 'controller log level (logs go to stderr)')
        .choices(['silent', 'error', 'warn', 'info', 'debug'])
        .default('silent'),
    )
    .action(async (opts) => {
      process.exitCode = await labCommand(opts);
    });
  program
    .command('viewer')
    .description('show the nodes of the cluster in your kubeconfig the way eks-node-viewer does')
    .option('--node-selector <selector>', 'only nodes matching this label selector')
    .option('--resources <list>', 'resources to show: cpu,memory', 'cpu')
    .addOption(
      new Option('--sort <order>', 'row order')
        .choices(['creation', 'name', 'price', 'cpu'])
        .default('creation'),
    )
    .option('--watch', 'refresh every 2 seconds')
    .action(async (opts) => {
      process.exitCode = await viewerCommand(opts);
    });
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`karpenter-ts: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    });
}
