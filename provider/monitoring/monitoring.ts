/**
 * What a Prometheus / Grafana stack needs to watch the controller, created only when asked: a ServiceMonitor and a
 * PrometheusRule for the Prometheus operator (their CRDs must exist, which `pulumi up` checks against the API
 * server), and the Grafana dashboard as a ConfigMap the Grafana sidecar loads. The rules and the dashboard are the
 * files in examples/monitoring, read from the package, so the install ships what tests/monitoring.test.ts checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { load } from 'js-yaml';
import { packageRoot } from '../../runtime/package-root';

export interface MonitoringArgs {
  /**
   * A `monitoring.coreos.com/v1` ServiceMonitor scraping the controller's metrics Service. Needs the Prometheus
   * operator's CRDs in the cluster.
   * @default false
   */
  serviceMonitor?: boolean;
  /**
   * The alert rules (examples/monitoring/prometheus-rules.yaml) as a PrometheusRule in the controller's namespace.
   * Needs the Prometheus operator's CRDs.
   * @default false
   */
  alertRules?: boolean;
  /**
   * The Grafana dashboard (examples/monitoring/karpenter-dashboard.json) as a ConfigMap labelled for the Grafana
   * sidecar (`grafana_dashboard: "1"`), in `namespace` (default: the controller's).
   * @default false
   */
  dashboard?: boolean | { namespace?: string; labels?: Record<string, string> };
  /**
   * Labels the Prometheus operator selects ServiceMonitors and PrometheusRules by (its `serviceMonitorSelector` /
   * `ruleSelector`), e.g. `{ release: 'kube-prometheus-stack' }`.
   * @default {}
   */
  selectorLabels?: Record<string, string>;
}

export interface MonitoringSpec {
  name: string;
  namespace: string;
  /** The labels of the controller's metrics Service, which the ServiceMonitor selects. */
  serviceLabels: Record<string, string>;
  /** The metrics Service's port name. */
  portName: string;
}

export interface Monitoring {
  serviceMonitor?: k8s.apiextensions.CustomResource;
  alertRules?: k8s.apiextensions.CustomResource;
  dashboard?: k8s.core.v1.ConfigMap;
}

export function monitoringDirectory(): string {
  return join(packageRoot(__dirname), 'examples', 'monitoring');
}

interface PrometheusRuleDocument {
  kind?: string;
  spec?: { groups?: unknown[] };
}

/** The alert rule groups shipped in examples/monitoring; an unexpected file is an error, not an empty rule set. */
export function alertRuleGroups(dir: string = monitoringDirectory()): unknown[] {
  const file = join(dir, 'prometheus-rules.yaml');
  const doc = load(readFileSync(file, 'utf8')) as PrometheusRuleDocument;
  if (doc?.kind !== 'PrometheusRule' || !Array.isArray(doc.spec?.groups) || doc.spec.groups.length === 0) {
    throw new Error(`${file}: expected a PrometheusRule with spec.groups`);
  }
  return doc.spec.groups;
}

export function dashboardJson(dir: string = monitoringDirectory()): string {
  const file = join(dir, 'karpenter-dashboard.json');
  const text = readFileSync(file, 'utf8');
  JSON.parse(text); // a broken file fails the preview, not Grafana later
  return text;
}

export function createMonitoring(
  spec: MonitoringSpec,
  args: MonitoringArgs,
  opts: pulumi.CustomResourceOptions,
): Monitoring {
  const labels = { ...spec.serviceLabels, ...args.selectorLabels };
  const out: Monitoring = {};
  if (args.serviceMonitor) {
    out.serviceMonitor = new k8s.apiextensions.CustomResource(
      `${spec.name}-service-monitor`,
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: spec.name, namespace: spec.namespace, labels },
        spec: {
          selector: { matchLabels: spec.serviceLabels },
          namespaceSelector: { matchNames: [spec.namespace] },
          endpoints: [{ port: spec.portName, path: '/metrics', interval: '30s' }],
        },
      },
      opts,
    );
  }
  if (args.alertRules) {
    out.alertRules = new k8s.apiextensions.CustomResource(
      `${spec.name}-alert-rules`,
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: spec.name, namespace: spec.namespace, labels },
        spec: { groups: alertRuleGroups() },
      },
      opts,
    );
  }
  if (args.dashboard) {
    const dashboard = typeof args.dashboard === 'object' ? args.dashboard : {};
    out.dashboard = new k8s.core.v1.ConfigMap(
      `${spec.name}-dashboard`,
      {
        metadata: {
          name: `${spec.name}-dashboard`,
          namespace: dashboard.namespace ?? spec.namespace,
          labels: { grafana_dashboard: '1', ...spec.serviceLabels, ...dashboard.labels },
        },
        data: { 'karpenter-ts.json': dashboardJson() },
      },
      opts,
    );
  }
  return out;
}
