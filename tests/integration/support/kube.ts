/** Helpers the integration tests share: the production KubeApi on the test cluster, CRDs, waiting, restarts. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { AlreadyExistsError, type KubeApi } from '../../../runtime/kube/api';
import { ClientNodeApi } from '../../../runtime/kube/client-node';
import { Kinds, type ResourceKind } from '../../../runtime/kube/kinds';
import { nameOf, type KubeObject } from '../../../runtime/kube/objects';
import { KUBECONFIG_ENV, REPO_ROOT, controlPlane } from './control-plane';

/** The running test cluster's kubeconfig, or undefined when the global setup skipped the integration tests. */
export const kubeconfigPath: string | undefined = process.env[KUBECONFIG_ENV];

/** `describe` when the test cluster runs, `describe.skip` (the global setup printed why) otherwise. */
export const describeWithCluster: jest.Describe = kubeconfigPath ? describe : describe.skip;

export function clusterApi(): ClientNodeApi {
  if (!kubeconfigPath) throw new Error(`${KUBECONFIG_ENV} is not set: the test cluster is not running`);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return new ClientNodeApi(kc);
}

interface Crd extends KubeObject {
  spec: {
    group: string;
    names: { plural: string; kind: string };
    scope: 'Namespaced' | 'Cluster';
    versions: { name: string; served: boolean }[];
  };
  status?: { conditions?: { type: string; status: string }[] };
}

export const CrdKind: ResourceKind<Crd> = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
};

export const CRD_DIR = path.join(REPO_ROOT, 'sdk', 'crds');

/** The generated CRDs (sdk/crds/*.yaml), as the API server receives them. */
export function generatedCrds(): Crd[] {
  return readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => yaml.load(readFileSync(path.join(CRD_DIR, f), 'utf8')) as Crd);
}

/** The ResourceKind of each served version of a CRD. */
function servedKinds(crd: Crd): ResourceKind[] {
  return crd.spec.versions
    .filter((v) => v.served)
    .map((v) => ({
      group: crd.spec.group,
      version: v.name,
      kind: crd.spec.names.kind,
      plural: crd.spec.names.plural,
      namespaced: crd.spec.scope === 'Namespaced',
    }));
}

/**
 * Create each generated CRD (keeping one that exists) and wait until the API server serves it: Established, and
 * its storage listable (right after Established a list can still answer 429 "storage is (re)initializing").
 */
export async function installCrds(api: KubeApi): Promise<Crd[]> {
  const crds = generatedCrds();
  for (const crd of crds) {
    try {
      await api.create(CrdKind, crd);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
  const names = crds.map((c) => nameOf(c));
  await waitFor(
    `CRDs ${names.join(', ')} established`,
    async () => {
      for (const name of names) {
        const crd = await api.get(CrdKind, name);
        if (!crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
          return false;
      }
      return true;
    },
    60_000,
  );
  await waitFor(
    'the CRDs storage to be listable',
    async () => {
      for (const kind of crds.flatMap(servedKinds)) await api.list(kind);
      return true;
    },
    60_000,
  );
  return crds;
}

/**
 * What a failed wait needs to be understood from a CI log alone: every pod, node and NodeClaim in one line each,
 * and the last lines of the control plane's own logs (a stalled controller-manager or kwok shows there).
 */
export async function clusterDiagnostics(api: KubeApi, logLines = 12): Promise<string> {
  const out: string[] = [];
  const line = (o: KubeObject, extra: string): string =>
    `  ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${nameOf(o)}${o.metadata.deletionTimestamp ? ' (deleting)' : ''} ${extra}`;
  try {
    const [pods, nodes, claims] = await Promise.all([
      api.list(Kinds.Pod),
      api.list(Kinds.Node),
      api.list(Kinds.NodeClaim),
    ]);
    out.push(
      'pods:',
      ...pods.items.map((p) => line(p, `${p.status?.phase ?? '?'} on ${p.spec.nodeName ?? '-'}`)),
    );
    out.push(
      'nodes:',
      ...nodes.items.map((n) =>
        line(n, `taints=${(n.spec?.taints ?? []).map((t) => t.key).join(',') || '-'}`),
      ),
    );
    out.push(
      'nodeclaims:',
      ...claims.items.map((c) =>
        line(
          c,
          `conditions=${(c.status?.conditions ?? []).map((k) => `${k.type}=${k.status}`).join(',')} finalizers=${(c.metadata.finalizers ?? []).join(',')}`,
        ),
      ),
    );
  } catch (err) {
    out.push(`listing failed: ${String(err)}`);
  }
  const logs = path.join(controlPlane().clusterWorkdir, 'logs');
  for (const file of ['kube-controller-manager.log', 'kube-scheduler.log', 'kwok-controller.log']) {
    try {
      const lines = readFileSync(path.join(logs, file), 'utf8').trimEnd().split('\n');
      out.push(
        `${file} (last ${logLines} of ${lines.length} lines):`,
        ...lines.slice(-logLines).map((l) => `  ${l.slice(0, 300)}`),
      );
    } catch (err) {
      out.push(`${file}: ${String(err)}`);
    }
  }
  return out.join('\n');
}

/** `waitFor`, and on a timeout the cluster's state appended to the error (see clusterDiagnostics). */
export async function waitForOrExplain<T>(
  api: KubeApi,
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  try {
    return await waitFor(what, check, timeoutMs, intervalMs);
  } catch (err) {
    throw new Error(`${String(err instanceof Error ? err.message : err)}\n${await clusterDiagnostics(api)}`, {
      cause: err,
    });
  }
}

/** Poll until `check` returns a truthy value; fail with `what` and the last error after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? ` (last error: ${String(lastError)})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Kill the test cluster's kube-apiserver (SIGKILL: no graceful shutdown) and, after `downMs`, start it again
 * with the command line kwokctl recorded (`kwokctl start cluster` starts the components that are not running).
 */
export async function killAndRestartApiserver(downMs: number): Promise<void> {
  const cp = controlPlane();
  const pidFile = path.join(cp.clusterWorkdir, 'pids', 'kube-apiserver.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  process.kill(pid, 'SIGKILL');
  await waitFor('kube-apiserver to exit', () => !isRunning(pid), 10_000, 100);
  await new Promise((r) => setTimeout(r, downMs));
  execFileSync(path.join(cp.binDir, 'kwokctl'), ['start', 'cluster', '--name', cp.clusterName], {
    env: { ...process.env, KWOK_WORKDIR: path.join(cp.cacheDir, 'kwok') },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
