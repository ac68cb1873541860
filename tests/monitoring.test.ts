/**
 * The Grafana dashboard and the Prometheus alert rules in examples/monitoring/ cannot go stale: a short embedded
 * simulation (launches, consolidation, an interruption, a failing cloud call) drives the controllers, and every
 * metric name and label that a panel query or an alert expression uses must be in the scrape.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { loadLabManifests } from '../runtime/lab/seed-lab';
import { Kinds } from '../runtime/kube/kinds';
import type { DaemonSet, NodePool } from '../runtime/kube/objects';
import {
  bindClusterState,
  bindInterruptionStats,
  bindStatusConditions,
  instrumentCloudProvider,
  registry,
  scrape,
} from '../runtime/metrics';
import { Simulation } from '../runtime/simulator/simulation';

const DIR = join(__dirname, '..', 'examples', 'monitoring');

interface Dashboard {
  panels: { title: string; targets?: { expr: string }[]; panels?: Dashboard['panels'] }[];
  templating: { list: { definition?: string }[] };
}
interface Rules {
  spec: { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
}

/** Every PromQL expression of the dashboard (panel targets and variable queries) and of the rules, by where. */
function expressions(): [string, string][] {
  const dash = JSON.parse(readFileSync(join(DIR, 'karpenter-dashboard.json'), 'utf8')) as Dashboard;
  const out: [string, string][] = [];
  const walk = (panels: Dashboard['panels']) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push([`panel "${p.title}"`, t.expr]);
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating.list) if (v.definition) out.push(['variable', v.definition]);
  const rules = load(readFileSync(join(DIR, 'prometheus-rules.yaml'), 'utf8')) as Rules;
  for (const g of rules.spec.groups) for (const r of g.rules) out.push([`alert ${r.alert}`, r.expr]);
  return out;
}

/** Loosely parsed: karpenter_* names, {label op value} matchers, by/without/on/ignoring (...) labels. */
function references(expr: string): { metrics: string[]; labels: string[] } {
  const metrics = [...expr.matchAll(/\bkarpenter_[a-z_]+\b/g)].map((m) => m[0]);
  const labels: string[] = [];
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const l of (m[1] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
      labels.push(l[1] as string);
  }
  for (const m of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
    labels.push(
      ...(m[1] as string)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }
  // label_values(metric, label)
  for (const m of expr.matchAll(/label_values\(\s*[a-z_]+\s*,\s*([a-z_]+)\s*\)/g))
    labels.push(m[1] as string);
  return { metrics, labels };
}

/** name → the label names its samples carry, from the exposition text. */
function scraped(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!m) continue;
    const labels = out.get(m[1] as string) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(l[1] as string);
    out.set(m[1] as string, labels);
  }
  return out;
}

describe('the monitoring examples against a scrape of a simulated run', () => {
  let series: Map<string, Set<string>>;
  let text: string;

  beforeAll(async () => {
    registry.resetMetrics();
    const lab = loadLabManifests();
    const sim = new Simulation();
    const cloud = instrumentCloudProvider(sim.cloud, { controller: 'metrics' });
    const unbind = bindClusterState(sim.operator.state, { now: () => sim.clock.now(), cloud });
    const unbindStatus = bindStatusConditions(sim.operator.state, { now: () => sim.clock.now() });
    const unbindInterruption = bindInterruptionStats(
      sim.operator.interruption?.stats ?? { received: {}, deleted: 0 },
    );
    try {
      await sim.start();
      // A node agent on every node: the DaemonSet requests and overhead panels.
      const agent: DaemonSet = {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'node-agent', namespace: 'kube-system' },
        spec: {
          selector: { matchLabels: { app: 'node-agent' } },
          template: {
            metadata: { labels: { app: 'node-agent' } },
            spec: {
              tolerations: [{ operator: 'Exists' }],
              containers: [{ name: 'agent', resources: { requests: { cpu: '50m', memory: '64Mi' } } }],
            },
          },
        },
      };
      await sim.api.create(Kinds.DaemonSet, agent);
      await sim.apply([...lab.nodeClass, ...(lab.nodePool as NodePool[]), ...lab.db, ...lab.app]);
      await sim.scale('Deployment', 'my-cool-app', 'fastapi-deployment', 9);
      await sim.settle({ maxMs: 30 * 60_000 });
      await sim.scale('Deployment', 'my-cool-app', 'fastapi-deployment', 1);
      await sim.settle({ maxMs: 30 * 60_000 });
      // An interruption notice for one instance: received, acted on, deleted.
      const [node] = sim.nodes().filter((n) => n.metadata.labels?.['karpenter.sh/nodepool']);
      sim.cloud.interrupt(node?.spec?.providerID as string, 'scheduledChange');
      await sim.settle({ maxMs: 30 * 60_000 });
      // A cloud call that fails, as a throttled or broken API would.
      await cloud.get('aws:///us-east-1a/i-does-not-exist').catch(() => undefined);
      text = await scrape();
      series = scraped(text);
    } finally {
      unbindStatus();
      unbindInterruption();
      unbind();
      sim.stop();
    }
    expect((await sim.api.list(Kinds.NodeClaim)).items.length).toBeGreaterThan(0);
  }, 120_000);

  it('parses the expressions it checks (the parser would otherwise pass anything)', () => {
    expect(references('sum by (a, b) (karpenter_x_total{c="1",d=~"$v"}) / on (e) karpenter_y')).toEqual({
      metrics: ['karpenter_x_total', 'karpenter_y'],
      labels: ['c', 'd', 'a', 'b', 'e'],
    });
    expect(expressions().length).toBeGreaterThan(40);
  });

  it("has controller-runtime's and operatorpkg's families for the controller's queues and objects only", () => {
    // (The simulated cloud writes no EC2NodeClass conditions: the AWS provider does.)
    for (const name of [
      'workqueue_depth',
      'workqueue_adds_total',
      'controller_runtime_reconcile_total',
      'operator_nodeclaim_status_condition_count',
      'operator_nodepool_status_condition_count',
      'operator_node_status_condition_count',
      'operator_status_condition_transitions_total',
    ])
      expect([name, series.get(name)]).toEqual([name, expect.anything()]);
    expect(text).toMatch(
      /workqueue_adds_total\{name="nodeclaim.lifecycle",controller="nodeclaim.lifecycle"\} [1-9]/,
    );
    expect(text).toMatch(
      /operator_nodeclaim_status_condition_transitions_total\{type="Ready",status="True",[^}]*\} [1-9]/,
    );
    // The simulated cluster's own queues (kubelet, workload controllers) are not the controller's.
    expect(text).not.toMatch(/workqueue_[a-z_]+\{name="sim\./);
  });

  it.each(expressions())('%s: every metric and label is scraped (%s)', (_where, expr) => {
    const { metrics, labels } = references(expr);
    expect(metrics.length).toBeGreaterThan(0);
    const missing = metrics.filter((name) => !series.has(name));
    // Loosely: each label must be on some series of the expression's metrics (le on _bucket, quantile on summaries).
    const carried = new Set(metrics.flatMap((n) => [...(series.get(n) ?? [])]));
    missing.push(...labels.filter((l) => !carried.has(l)).map((l) => `label ${l}`));
    expect([...new Set(missing)]).toEqual([]);
  });
});
