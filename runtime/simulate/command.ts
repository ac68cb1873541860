/**
 * `karpenter-ts simulate`: what the controller would do to a cluster over the next hours, without acting. The
 * snapshot comes from a file or directory (`--snapshot`) or from the cluster in the kubeconfig (list calls only),
 * and runs on the embedded simulator; the report is text, JSON or a self-contained HTML page with plots.
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { parseDuration } from '../../sdk/api/common';
import type { KubeApi } from '../kube/api';
import type { KubeObject } from '../kube/objects';
import { createLogger } from '../logging';
import { loadManifestFile } from '../manifests';
import { renderHtml } from './html';
import { renderText } from './report';
import { DEFAULT_DURATION_MINUTES, parseScale, simulate } from './simulate';
import { collectSnapshot, loadSnapshot, serializeSnapshot, type ClusterSnapshot } from './snapshot';

export interface SimulateCommandOptions {
  snapshot?: string;
  save?: string;
  duration: string;
  set: string[];
  scale: string[];
  output: 'text' | 'json' | 'html';
  out?: string;
  at?: string;
  logLevel: string;
}

export interface SimulateIo {
  write: (text: string) => void;
  /** The API a kubeconfig snapshot is read from. @default the kubeconfig's cluster, through client-node */
  api?: () => Promise<KubeApi>;
  now?: () => number;
}

async function kubeconfigApi(): Promise<KubeApi> {
  // Loaded lazily: client-node is only needed when talking to a real cluster.
  const { ClientNodeApi } = await import('../kube/client-node/client-node-api.js');
  return ClientNodeApi.fromDefault();
}

export async function simulateCommand(opts: SimulateCommandOptions, io: SimulateIo): Promise<number> {
  const now = io.now ?? Date.now;
  const durationMs = parseDuration(opts.duration);
  if (durationMs < 60_000)
    throw new Error(`--duration ${opts.duration}: simulate at least one minute, e.g. --duration 6h`);
  if (opts.at !== undefined && Number.isNaN(Date.parse(opts.at)))
    throw new Error(`--at ${opts.at}: give the snapshot's time as ISO 8601, e.g. 2026-01-05T10:00:00Z`);
  if (opts.at !== undefined && !opts.snapshot) throw new Error('--at applies to --snapshot only');
  if (opts.save && opts.snapshot)
    throw new Error('--save writes a snapshot taken from the kubeconfig: drop --snapshot');
  const set: KubeObject[] = opts.set.flatMap((file) => loadManifestFile(file));
  const scale = opts.scale.map(parseScale);
  let snapshot: ClusterSnapshot;
  if (opts.snapshot) {
    snapshot = loadSnapshot(opts.snapshot, opts.at ? Date.parse(opts.at) : now());
  } else {
    const api = await (io.api ?? kubeconfigApi)();
    snapshot = await collectSnapshot(api, 'the cluster in the kubeconfig', now());
    if (opts.save) writeFileSync(opts.save, serializeSnapshot(snapshot));
  }
  const report = await simulate(snapshot, {
    set,
    scale,
    durationMinutes: Math.round(durationMs / 60_000),
    logger: createLogger(opts.logLevel, opts.logLevel === 'silent' ? undefined : process.stderr),
  });
  const text =
    opts.output === 'json'
      ? JSON.stringify(report, null, 2)
      : opts.output === 'html'
        ? renderHtml(report)
        : renderText(report);
  if (opts.out) writeFileSync(opts.out, text + '\n');
  else io.write(text + '\n');
  return 0;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'what the controller would do over the next hours (launches, consolidation, drift, expiry, cost), without acting: on a snapshot run in the embedded simulator',
    )
    .option(
      '--snapshot <path>',
      'a snapshot file (from --save) or a directory of manifests (kubectl get -o yaml); without it the kubeconfig cluster is read, list calls only',
    )
    .option('--save <file>', 'write the snapshot taken from the kubeconfig to this file')
    .option(
      '--at <time>',
      'when a --snapshot without a ClusterSnapshot header was taken (ISO 8601) [default: now]',
    )
    .option(
      '--duration <duration>',
      'cluster time to simulate, e.g. 90m or 48h',
      `${DEFAULT_DURATION_MINUTES / 60}h`,
    )
    .option(
      '--set <file>',
      'what-if: NodePool / EC2NodeClass / NodeOverlay manifests replacing the snapshot’s (repeatable)',
      collect,
      [],
    )
    .option(
      '--scale <[ns/]name=N>',
      'what-if: scale a Deployment or StatefulSet at the start (repeatable)',
      collect,
      [],
    )
    .addOption(
      new Option('--output <format>', 'report format').choices(['text', 'json', 'html']).default('text'),
    )
    .option('--out <file>', 'write the report to this file instead of stdout')
    .addOption(
      new Option('--log-level <level>', 'controller log level (logs go to stderr)')
        .choices(['silent', 'error', 'warn', 'info', 'debug'])
        .default('silent'),
    )
    .action(async (opts: SimulateCommandOptions) => {
      process.exitCode = await simulateCommand(opts, { write: (t) => process.stdout.write(t) });
    });
}
