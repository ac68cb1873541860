/**
 * `karpenter-ts cost`: each NodePool's $/hour against the least its pods could cost (the scheduler's lower bound),
 * and the savings consolidation made: over each lab step with `--simulated`, or since the controller started
 * from its /metrics page with `--metrics-url`.
 */
import type { Command } from 'commander';
import { RealClock } from '../clock/clock';
import { KwokCloudProvider } from '../cloudprovider/kwok/kwok-cloud';
import { defaultCatalog, priceOf } from '../cloudprovider/simulated/catalog';
import { DEFAULT_LAB_DIR, loadLabManifests, runLab } from '../lab/seed-lab';
import { createLogger } from '../logging';
import { gatherCost } from './gather';
import { SAVINGS_PLANS_HELP, savingsPlansOption } from '../settings';
import { renderCostReport, type CostReport } from './report';
import {
  currentSavings,
  parseSavings,
  renderSavings,
  savingsBetween,
  savingsJson,
  type Savings,
} from './savings';

export interface CostCommandOptions {
  json?: boolean;
  simulated?: boolean;
  manifests: string;
  metricsUrl?: string;
  savingsPlans?: string;
}

export interface CostIo {
  write: (text: string) => void;
  /** Reads the controller's /metrics page. @default fetch */
  fetchText?: (url: string) => Promise<string>;
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`);
  return res.text();
}

export async function costCommand(opts: CostCommandOptions, io: CostIo): Promise<number> {
  const plans = savingsPlansOption(opts.savingsPlans);
  const withPlans = plans ? { savingsPlans: plans } : {};
  const print = (title: string, report: CostReport, savings?: Savings, window = '') =>
    io.write(
      opts.json
        ? JSON.stringify({ title, ...report, ...(savings ? { savingsPerHour: savingsJson(savings) } : {}) }) +
            '\n'
        : `${title}\n${renderCostReport(report)}\n${savings ? `${renderSavings(savings, window)}\n` : ''}\n`,
    );
  if (opts.simulated) {
    if (opts.metricsUrl)
      throw new Error('--metrics-url reads a running controller: leave it out with --simulated');
    let before = await currentSavings();
    // onFrame is synchronous: each frame's reading is chained after the last, so steps print in order.
    let printed = Promise.resolve();
    await runLab({
      manifests: loadLabManifests(opts.manifests),
      logger: createLogger('silent'),
      ...withPlans,
      onFrame: (frame) => {
        printed = printed.then(async () => {
          const after = await currentSavings();
          print(
            `── ${frame.step}: ${frame.command}`,
            frame.cost,
            savingsBetween(before, after),
            'in this step',
          );
          before = after;
        });
      },
    });
    await printed;
    return 0;
  }
  let savings: Savings | undefined;
  if (opts.metricsUrl) {
    const page = await (io.fetchText ?? fetchText)(opts.metricsUrl).catch((err: unknown) => {
      throw new Error(
        `--metrics-url ${opts.metricsUrl}: ${err instanceof Error ? err.message : String(err)} (the controller serves /metrics on METRICS_PORT, 8080 by default; e.g. kubectl port-forward -n kube-system deploy/karpenter 8080)`,
        { cause: err },
      );
    });
    if (!page.includes('karpenter_')) {
      throw new Error(`--metrics-url ${opts.metricsUrl} is not a karpenter-ts /metrics page`);
    }
    savings = parseSavings(page);
  }
  const { ClientNodeApi } = await import('../kube/client-node/client-node-api.js');
  const api = ClientNodeApi.fromDefault();
  // Prices and instance types from the bundled catalog, the viewer's.
  const cloud = new KwokCloudProvider({ api, clock: new RealClock(), logger: createLogger('silent') });
  const price = (t: string, c: string, z: string) => priceOf(defaultCatalog, t, c, z);
  const report = await gatherCost({ api, cloud, priceOf: price, ...withPlans });
  print('cluster (prices from the bundled catalog)', report, savings, 'since the controller started');
  return 0;
}

export function registerCost(program: Command): void {
  program
    .command('cost')
    .description(
      "what each NodePool costs per hour against the least its pods could cost (the scheduler's lower bound), and what consolidation saved",
    )
    .option('--json', 'print the report as JSON')
    .option('--simulated', 'replay the seed lab on the embedded simulator and report after each step')
    .option('--manifests <dir>', 'with --simulated: directory with the lab manifests', DEFAULT_LAB_DIR)
    .option(
      '--metrics-url <url>',
      "the controller's /metrics page: adds the savings consolidation made since it started",
    )
    .option('--savings-plans <json>', SAVINGS_PLANS_HELP)
    .action(async (opts: CostCommandOptions) => {
      process.exitCode = await costCommand(opts, { write: (t) => process.stdout.write(t) });
    });
}
