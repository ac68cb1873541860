#!/usr/bin/env node
/**
 * The karpenter-ts command line. `lab` (the default) replays the seed lab on the embedded simulator; `viewer`
 * renders any cluster reachable through a kubeconfig (or the embedded simulator) the way eks-node-viewer does;
 * `controller` runs the controller process, as the container image does; `simulate` lives in ./simulate/.
 */
import { Command, Option } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';

import { defaultCatalog } from './cloudprovider/simulated/catalog';
import { clusterPrices } from './viewer/prices';
import type { KubeApi } from './kube/api';
import { Kinds } from './kube/kinds';
import type { KubeObject } from './kube/objects';
import { createLogger } from './logging';
import { explainNode } from './explain/explain-node';
import { DEFAULT_LAB_DIR, LAB_STEPS, loadLabManifests, runLab, type LabFrame } from './lab/seed-lab';
import { ControllerProcess } from './server/controller-process';
import { RealClock } from './clock/clock';
import {
  loadSettings,
  SAVINGS_PLANS_HELP,
  savingsPlansOption,
  SETTINGS,
  SettingsError,
  type RawSettings,
  type Settings,
} from './settings';
import { startupSettingNotices, UNAPPLIED_SETTINGS } from './settings-upstream';
import { LiveViewer } from './viewer/live';
import { buildViewerModel } from './viewer/model';
import { renderViewer } from './viewer/render';
import { packageVersion } from './version';
import { loadFaultProfile, type FaultProfile } from './simulator/faults';
import { registerSimulate } from './simulate/command';
import { registerCost } from './cost/command';

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
    convergence: frame.convergence,
    ...(frame.faultsInjected ? { faultsInjected: frame.faultsInjected } : {}),
  });
}

async function labCommand(opts: {
  json?: boolean;
  manifests: string;
  logLevel: string;
  memory?: boolean;
  faults?: string;
}): Promise<number> {
  const manifests = loadLabManifests(opts.manifests);
  const faults = opts.faults ? loadFaultProfile(opts.faults, readIfFile) : undefined;
  const logger = createLogger(opts.logLevel, opts.logLevel === 'silent' ? undefined : process.stderr);
  const resources: ('cpu' | 'memory')[] = opts.memory ? ['cpu', 'memory'] : ['cpu'];
  let index = 0;
  const frames = await runLab({
    manifests,
    logger,
    ...(faults ? { faults } : {}),
    onFrame: (frame) => {
      if (opts.json) process.stdout.write(frameJson(frame) + '\n');
      else printFrame(frame, index++, resources);
    },
  });
  const counts = frames.map((f) => f.nodes.length);
  const expected = frames.map((f) => f.expectedNodes);
  const pending = frames.reduce((s, f) => s + f.pendingPods, 0);
  const last = frames[frames.length - 1]?.convergence;
  const unclean = last
    ? last.leakedInstances.length + last.duplicateLaunches.length + last.orphanNodes.length
    : 0;
  const ok =
    counts.join() === expected.join() && pending === 0 && frames.every((f) => f.settled) && unclean === 0;
  if (!opts.json) {
    process.stdout.write(
      ok
        ? `Lab result: workshop pool nodes per step ${counts.join(', ')}, as in the seed lab; no pod left pending.\n`
        : `Lab result: MISMATCH: workshop pool nodes per step ${counts.join(', ')} (seed: ${expected.join(', ')}); ${pending} pending pod(s) across steps` +
            (last && unclean > 0 ? `; not clean: ${JSON.stringify(last)}` : '') +
            '.\n',
    );
  }
  return ok ? 0 : 1;
}

const FAULTS_HELP =
  "fail a share of the controller's API and cloud calls: a YAML/JSON profile file, or e.g. " +
  '"api.writes=0.1,cloud=0.1,watch.drop=0.01,seed=7" (see docs/TESTING.md)';

function readIfFile(path: string): string | undefined {
  return existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
}

/** The lab's NodePool, node class and workloads: what `--simulated` clusters start with, so there is a scale-up to see. */
function labObjects(dir: string): KubeObject[] {
  const m = loadLabManifests(dir);
  return [...m.nodeClass, ...m.nodePool, ...m.db, ...m.app];
}

/** How often the live viewer re-reads NodeOverlays and NodePools for its prices. */
const PRICE_REFRESH_MS = 30_000;

function parseResources(list: string): ('cpu' | 'memory')[] {
  const resources = list.split(',').map((r) => r.trim());
  for (const r of resources) {
    if (r !== 'cpu' && r !== 'memory')
      throw new Error(`--resources: unknown resource "${r}" (use cpu,memory)`);
  }
  return resources as ('cpu' | 'memory')[];
}

async function viewerCommand(opts: {
  nodeSelector?: string;
  resources: string;
  sort: string;
  watch?: boolean;
  simulated?: boolean;
  manifests: string;
  savingsPlans?: string;
}): Promise<number> {
  const resources = parseResources(opts.resources);
  const plans = savingsPlansOption(opts.savingsPlans);
  const viewOpts = {
    ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
    sort: opts.sort as 'creation',
    ...(plans ? { savingsPlans: plans } : {}),
  };
  let api: KubeApi;
  let sim: ControllerProcess | undefined;
  if (opts.simulated) {
    // The whole controller on the embedded cluster, quiet, on loopback ports the OS picks.
    sim = await ControllerProcess.start({
      settings: { ...simulatedSettings(), ...(plans ? { savingsPlans: plans } : {}) },
      logger: createLogger('silent'),
      simulatedCluster: { objects: labObjects(opts.manifests) },
      host: '127.0.0.1',
    });
    api = sim.api as KubeApi;
  } else {
    // Loaded lazily: client-node is only needed when talking to a real cluster.
    const { ClientNodeApi } = await import('./kube/client-node/client-node-api.js');
    api = ClientNodeApi.fromDefault();
  }
  // List prices through the cluster's NodeOverlays, as the controller counts them.
  let price = await clusterPrices(api, defaultCatalog);
  if (!opts.watch) {
    const [nodes, pods] = await Promise.all([api.list(Kinds.Node), api.list(Kinds.Pod)]);
    process.stdout.write(
      renderViewer(buildViewerModel(nodes.items, pods.items, price, viewOpts), { resources }) + '\n',
    );
    await sim?.shutdown();
    return 0;
  }
  const clock = new RealClock();
  const refreshPrices = (): void => {
    clusterPrices(api, defaultCatalog).then(
      (next) => (price = next),
      (err: unknown) =>
        process.stderr.write(`viewer: prices: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  };
  const prices = setInterval(refreshPrices, PRICE_REFRESH_MS);
  const viewer = new LiveViewer({
    api,
    clock,
    priceOf: (...args) => price(...args),
    resources,
    ...viewOpts,
    write: (frame) => process.stdout.write('\x1b[2J\x1b[H' + frame + '\n'),
    onError: (err) => process.stderr.write(`viewer: ${err instanceof Error ? err.message : String(err)}\n`),
  });
  await viewer.start();
  await new Promise<void>((resolve) => {
    const quit = () => resolve();
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
  });
  clearInterval(prices);
  viewer.stop();
  await sim?.shutdown();
  return 0;
}

function simulatedSettings(): Settings {
  return loadSettings({
    CLOUD_PROVIDER: 'simulated',
    DISABLE_LEADER_ELECTION: 'true',
    METRICS_PORT: '0',
    HEALTH_PROBE_PORT: '0',
    BATCH_IDLE_DURATION: '1s',
    BATCH_MAX_DURATION: '10s',
  });
}

/** commander's camelCase key for a flag: "cluster-ca-bundle" → "clusterCaBundle". */
function optionKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

async function controllerCommand(opts: Record<string, string | boolean | undefined>): Promise<number> {
  const flags: RawSettings = {};
  for (const spec of [...Object.values(SETTINGS), ...UNAPPLIED_SETTINGS]) {
    const v = opts[optionKey(spec.flag)];
    if (typeof v === 'string') flags[spec.env] = v;
  }
  const simulated = opts.simulatedCluster === true;
  if (typeof opts.faults === 'string' && !simulated) {
    process.stderr.write(
      'karpenter-ts controller: --faults needs --simulated-cluster (faults are injected into the embedded cluster only)\n',
    );
    return 2;
  }
  let faults: FaultProfile | undefined;
  try {
    faults = typeof opts.faults === 'string' ? loadFaultProfile(opts.faults, readIfFile) : undefined;
  } catch (err) {
    process.stderr.write(`karpenter-ts controller: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (simulated && !flags.CLOUD_PROVIDER && !process.env.CLOUD_PROVIDER) flags.CLOUD_PROVIDER = 'simulated';
  let settings: Settings;
  try {
    settings = loadSettings(process.env, flags);
  } catch (err) {
    if (err instanceof SettingsError) {
      process.stderr.write(`karpenter-ts controller: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(settings.logLevel);
  const running: { proc?: ControllerProcess; exiting?: boolean } = {};
  const exit = (code: number) => {
    if (running.exiting) return;
    running.exiting = true;
    void (running.proc?.shutdown() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.once('SIGTERM', () => exit(0));
  process.once('SIGINT', () => exit(0));
  const proc = await ControllerProcess.start({
    settings,
    logger,
    settingNotices: startupSettingNotices(process.env, flags),
    ...(simulated
      ? { simulatedCluster: { objects: labObjects(String(opts.manifests)), ...(faults ? { faults } : {}) } }
      : {}),
    onLeadershipLost: () => exit(1),
  });
  running.proc = proc;
  logger.info(
    { metricsPort: proc.metricsPort, healthProbePort: proc.healthProbePort, simulatedCluster: simulated },
    'serving /metrics, /healthz and /readyz',
  );
  // Runs until a signal arrives.
  await new Promise<never>(() => undefined);
  return 0;
}

export function buildProgram(): Command {
  const program = new Command()
    .name('karpenter-ts')
    .description(
      'A Karpenter-style node autoscaler in TypeScript, with an embedded simulated cluster and cloud.',
    )
    .version(packageVersion());
  program
    .command('lab', { isDefault: true })
    .description('replay the seed lab (scale 1 → 9 → 1 → 9 → 8) on the embedded simulator and show each step')
    .option('--json', 'print one JSON object per step instead of the node viewer')
    .option('--memory', 'show memory bars as well as CPU')
    .option('--manifests <dir>', 'directory with the lab manifests to use', DEFAULT_LAB_DIR)
    .option('--faults <file|spec>', FAULTS_HELP)
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
    .option('--watch', 'keep the view live, redrawn from watch events')
    .option(
      '--simulated',
      'watch the embedded simulator (lab NodePool and workloads) instead of a kubeconfig',
    )
    .option('--manifests <dir>', 'with --simulated: directory with the lab manifests', DEFAULT_LAB_DIR)
    .option('--savings-plans <json>', SAVINGS_PLANS_HELP)
    .action(async (opts) => {
      process.exitCode = await viewerCommand(opts);
    });
  const controller = program
    .command('controller')
    .description(
      'run the controller (as the container image does); settings come from environment variables, which these flags override',
    )
    .option(
      '--simulated-cluster',
      'run against an embedded in-memory cluster with the simulated cloud (demos, tests)',
    )
    .option(
      '--manifests <dir>',
      'with --simulated-cluster: directory with the lab manifests',
      DEFAULT_LAB_DIR,
    )
    .option('--faults <file|spec>', FAULTS_HELP);
  for (const spec of Object.values(SETTINGS)) {
    controller.option(`--${spec.flag} <value>`, `${spec.description} [env ${spec.env}]`);
  }
  // Upstream's flags that are accepted but not applied: start-up says so (settings-upstream.ts).
  for (const spec of UNAPPLIED_SETTINGS) {
    controller.option(
      `--${spec.flag} <value>`,
      `upstream setting, not applied: ${spec.reason} [env ${spec.env}]`,
    );
  }
  controller.action(async (opts: Record<string, string | boolean | undefined>) => {
    process.exitCode = await controllerCommand(opts);
  });
  registerCost(program);
  program
    .command('explain')
    .description(
      "say why a node was not disrupted: the controller's latest decision and what its objects say",
    )
    .argument('<kind>', 'what to explain: node')
    .argument('<name>', 'the node name')
    .action(async (kind: string, name: string) => {
      if (kind !== 'node')
        throw new Error(`cannot explain "${kind}": only "explain node <name>" is supported`);
      const { ClientNodeApi } = await import('./kube/client-node/client-node-api.js');
      const lines = await explainNode(ClientNodeApi.fromDefault(), name, Date.now());
      process.stdout.write(lines.join('\n') + '\n');
    });
  registerSimulate(program);
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
