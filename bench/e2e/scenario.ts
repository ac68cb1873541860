/**
 * One e2e run: a fresh local control plane, one controller, `pods` pods scaled up from nothing and then down to
 * 30 %, measured from outside (the cluster's objects, /proc, the apiserver's and the controller's metrics).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { AlreadyExistsError, type KubeApi } from '../../runtime/kube/api';
import { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds, type ResourceKind } from '../../runtime/kube/kinds';
import { nameOf, type KubeObject, type Node, type Pod } from '../../runtime/kube/objects';
import { fromResourceList } from '../../runtime/scheduling/resources';
import { kindOf as knownKindOf } from '../../runtime/simulator/simulation';
import { nodeHourlyCost } from './catalog';
import type { ControllerSpec, RunningController } from './controllers';
import {
  apiserverMetrics,
  controlPlanePids,
  cpuOf,
  cpuSeconds,
  diff,
  httpMetrics,
  peakRssMiB,
  sumBy,
  type Sample,
} from './probe';
import {
  APPS,
  DAEMONSETS,
  NAMESPACE,
  PDB_APP,
  ROOT_VOLUME_GIB,
  SCALE_DOWN_TO,
  daemonSet,
  deployment,
  pdb,
  replicasFor,
} from './workload';
import { startupPhases, type StartupPhases } from './phases';
import { ROOT } from './controllers';

/** Its own cluster name, so a developer's cluster and the integration tests' are left alone. */
const DEFAULT_CLUSTER = 'bench-e2e';
/** Nodes unchanged this long after the scale-down means settled. */
const DEFAULT_QUIET_S = 120;

export interface Snapshot {
  nodes: number;
  types: Record<string, number>;
  costPerHour: number;
  cpuUtilisation: number;
  memoryUtilisation: number;
}

export interface RunResult {
  controller: string;
  /** The commit of this repository the run was made from (`+dirty` with uncommitted changes). */
  build: string;
  pods: number;
  /** Seconds from creating the Deployments until the controller-manager had created every pod: the floor. */
  podsCreatedS: number;
  /** Until every pod was Running and Ready, or undefined when the timeout came first. */
  allRunningS?: number;
  startupP50S: number;
  startupP99S: number;
  /** Median seconds per startup phase of the pods that waited for a new node (absent in older results). */
  startupPhases?: StartupPhases;
  scaleUp: Snapshot;
  /** Seconds after the scale-down until the last node change, when nodes then stayed unchanged 60 s. */
  scaleDownSettledS?: number;
  scaleDownTimeoutS: number;
  scaleDown: Snapshot;
  evictions: number;
  evictionsRefused: number;
  pdbViolationSamples: number;
  disruptionDecisions: number;
  nodeClaimsCreated: number;
  controllerCpuScaleUpS: number;
  controllerCpuS: number;
  controllerPeakRssMiB: number;
  /** Of those, pod-deletion-cost annotation writes (absent in older results). */
  podDeletionCostWrites?: number;
  /** The controller's own API requests by method (its client_go_request_total). */
  controllerRequests: Record<string, number>;
  /** Every client's requests to the apiserver by verb, the bench's own polling taken out. */
  apiserverRequests: Record<string, number>;
  controlPlaneCpuS: Record<string, number>;
  loadAverage: number[];
}

const CrdKind: ResourceKind = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
};

/** The API kinds the simulator knows, plus the two only the bench creates: CRDs and upstream's KWOKNodeClass. */
function kindOf(obj: KubeObject): ResourceKind {
  if (obj.kind === CrdKind.kind) return CrdKind;
  if (obj.kind === 'KWOKNodeClass') {
    const [group = '', version = ''] = obj.apiVersion.split('/');
    return { group, version, kind: obj.kind, plural: 'kwoknodeclasses', namespaced: false };
  }
  return knownKindOf(obj);
}

async function createAll(api: KubeApi, objs: KubeObject[]): Promise<void> {
  for (const obj of objs) {
    try {
      await api.create(kindOf(obj), obj);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** The control plane's binaries and cache, as scripts/control-plane/versions.sh (their one definition) sets them. */
function controlPlaneDirs(): { binDir: string; cacheDir: string } {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source "$1"; printf "%s\\n" "$CONTROL_PLANE_BIN" "$KARPENTER_TS_CACHE"',
      '_',
      `${ROOT}/scripts/control-plane/versions.sh`,
    ],
    { encoding: 'utf8' },
  ).split('\n');
  return { binDir: out[0] ?? '', cacheDir: out[1] ?? '' };
}

function clusterScript(name: string, cluster: string): string {
  return execFileSync('bash', [path.join(ROOT, 'scripts', name)], {
    env: { ...process.env, KARPENTER_TS_CLUSTER: cluster },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

function isReady(pod: Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function readyAt(pod: Pod): number | undefined {
  const c = (pod.status?.conditions ?? []).find((x) => x.type === 'Ready' && x.status === 'True');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Nodes, their cost (instance plus root volume) and how much of their allocatable the pods on them request. */
function snapshot(nodes: Node[], pods: Pod[]): Snapshot {
  const types: Record<string, number> = {};
  let cost = 0;
  const alloc = { cpu: 0, memory: 0 };
  const used = { cpu: 0, memory: 0 };
  const names = new Set<string>();
  for (const n of nodes) {
    names.add(nameOf(n));
    const t = n.metadata.labels?.['node.kubernetes.io/instance-type'] ?? '?';
    types[t] = (types[t] ?? 0) + 1;
    cost += nodeHourlyCost(n, ROOT_VOLUME_GIB);
    const a = fromResourceList(n.status?.allocatable);
    alloc.cpu += a.cpu ?? 0;
    alloc.memory += a.memory ?? 0;
  }
  for (const p of pods) {
    if (!p.spec.nodeName || !names.has(p.spec.nodeName) || p.status?.phase !== 'Running') continue;
    for (const c of p.spec.containers) {
      const r = fromResourceList(c.resources?.requests);
      used.cpu += r.cpu ?? 0;
      used.memory += r.memory ?? 0;
    }
  }
  return {
    nodes: nodes.length,
    types,
    costPerHour: Math.round(cost * 1000) / 1000,
    cpuUtilisation: alloc.cpu ? Math.round((used.cpu / alloc.cpu) * 1000) / 1000 : 0,
    memoryUtilisation: alloc.memory ? Math.round((used.memory / alloc.memory) * 1000) / 1000 : 0,
  };
}

interface Observer {
  api: KubeApi;
  /** LISTs the bench itself sent, subtracted from the apiserver's counts. */
  lists: number;
  gets: number;
}

/**
 * Each node's events at the end, oldest first: both controllers say there why a node was not disrupted, the answer
 * to "why did the scale-down stop here?" once the cluster is gone.
 */
async function saveNodeEvents(api: KubeApi, file: string): Promise<void> {
  const events = (await api.list(Kinds.Event)).items.filter((e) => e.involvedObject?.kind === 'Node');
  const lines = events
    .sort((a, b) => String(a.lastTimestamp ?? '').localeCompare(String(b.lastTimestamp ?? '')))
    .map(
      (e) => `${e.lastTimestamp ?? ''} ${e.involvedObject?.name ?? ''} ${e.reason ?? ''}: ${e.message ?? ''}`,
    );
  writeFileSync(file, lines.join('\n') + '\n');
}

async function listAll(o: Observer): Promise<{ pods: Pod[]; nodes: Node[]; appPods: Pod[] }> {
  o.lists += 2;
  const [pods, nodes] = await Promise.all([o.api.list(Kinds.Pod), o.api.list(Kinds.Node)]);
  const appPods = pods.items.filter((p) => p.metadata.namespace === NAMESPACE);
  return { pods: pods.items, nodes: nodes.items, appPods };
}

export interface RunOptions {
  pods: number;
  scaleUpTimeoutS: number;
  scaleDownTimeoutS: number;
  log: (msg: string) => void;
  /** @default "bench-e2e" */
  cluster?: string;
  /** How long nodes must stay unchanged after the scale-down to count as settled. @default 120 */
  quietS?: number;
}

export async function runScenario(spec: ControllerSpec, opts: RunOptions): Promise<RunResult> {
  const { log } = opts;
  const cluster = opts.cluster ?? DEFAULT_CLUSTER;
  const quietS = opts.quietS ?? DEFAULT_QUIET_S;
  clusterScript('cluster-down.sh', cluster);
  const kubeconfig = clusterScript('cluster-up.sh', cluster);
  const workdir = mkdtempSync(path.join(tmpdir(), `bench-e2e-${spec.name}-`));
  const { binDir, cacheDir } = controlPlaneDirs();
  const kubectl = path.join(binDir, 'kubectl');
  const cpPids = controlPlanePids(path.join(cacheDir, 'kwok', 'clusters', cluster));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = new ClientNodeApi(kc);
  const o: Observer = { api, lists: 0, gets: 0 };
  let controller: RunningController | undefined;
  try {
    await createAll(api, spec.crds);
    await until(
      'CRDs established',
      async () => {
        for (const crd of spec.crds) {
          const got = (await api.get(CrdKind, nameOf(crd))) as
            (KubeObject & { status?: { conditions?: { type: string; status: string }[] } }) | undefined;
          if (!got?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
            return false;
        }
        return true;
      },
      60_000,
    );
    await createAll(api, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }]);
    await createAll(
      api,
      DAEMONSETS.map((d) => daemonSet(d.name, d.cpu, d.memory)),
    );
    await until(
      'the node class and NodePool to be accepted',
      async () => {
        await createAll(api, spec.objects);
        return true;
      },
      60_000,
    );

    // Ports the OS has just handed out, so a second bench or test run beside this one cannot collide.
    controller = spec.start(kubeconfig, workdir, { metrics: await freePort(), health: await freePort() });
    const ctl = controller;
    await until(
      'the controller to be ready',
      async () => {
        if (ctl.child.exitCode !== null) throw new Error(`the controller exited (${ctl.child.exitCode})`);
        const res = await fetch(`http://127.0.0.1:${ctl.healthPort}/readyz`);
        return res.ok;
      },
      120_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; its log is ${ctl.logFile}`);
    });
    log(`${spec.name}: controller ready (pid ${ctl.pid}), log ${ctl.logFile}`);

    const apiBefore = apiserverMetrics(kubectl, kubeconfig);
    const cpBefore = cpuOf(cpPids);
    const t0 = Date.now();
    await createAll(api, [pdb()]);
    const up = replicasFor(opts.pods);
    await createAll(
      api,
      APPS.map((a) => deployment(a, up[a.name] as number)),
    );

    // Scale-up: every pod created (the floor), then every pod Running and Ready.
    let podsCreatedS = 0;
    let allRunningS: number | undefined;
    let last = await listAll(o);
    const deadline = t0 + opts.scaleUpTimeoutS * 1000;
    while (Date.now() < deadline) {
      last = await listAll(o);
      const elapsed = (Date.now() - t0) / 1000;
      if (!podsCreatedS && last.appPods.length >= opts.pods) podsCreatedS = elapsed;
      if (last.appPods.length >= opts.pods && last.appPods.filter(isReady).length >= opts.pods) {
        allRunningS = elapsed;
        break;
      }
      await sleep(1000);
    }
    const startups = last.appPods
      .map((p) => (readyAt(p) ?? Date.now()) - Date.parse(p.metadata.creationTimestamp as string))
      .map((ms) => ms / 1000)
      .sort((a, b) => a - b);
    const scaleUp = snapshot(last.nodes, last.pods);
    const controllerCpuScaleUpS = cpuSeconds(ctl.pid) ?? 0;
    o.lists += 1;
    const phases = startupPhases(last.appPods, last.nodes, (await api.list(Kinds.NodeClaim)).items);
    log(`${spec.name}: ${opts.pods} pods running in ${allRunningS ?? 'timeout'} s on ${scaleUp.nodes} nodes`);

    // Scale-down to 30 %: wait until the nodes stay unchanged for a minute.
    const t1 = Date.now();
    const down = replicasFor(opts.pods, SCALE_DOWN_TO);
    for (const a of APPS) {
      await api.patch(Kinds.Deployment, a.name, { spec: { replicas: down[a.name] } }, NAMESPACE);
    }
    // Settled: the Deployments are at their new size and the nodes then stay unchanged for quietS, longer than
    // consolidateAfter (30 s) plus a disruption poll and its validation, so a pass still to come is waited for.
    let nodeSet = '';
    let lastChange = t1;
    let podsAtTarget: number | undefined;
    let pdbViolationSamples = 0;
    let scaleDownSettledS: number | undefined;
    const target = Math.round(opts.pods * SCALE_DOWN_TO);
    const downDeadline = t1 + opts.scaleDownTimeoutS * 1000;
    while (Date.now() < downDeadline) {
      last = await listAll(o);
      const now = Date.now();
      const names = last.nodes
        .map((n) => nameOf(n))
        .sort()
        .join(',');
      // A node being disrupted or deleted is a change still under way, however long its drain takes.
      const busy = last.nodes.some(
        (n) =>
          n.metadata.deletionTimestamp || n.spec?.taints?.some((t) => t.key === 'karpenter.sh/disrupted'),
      );
      if (busy) lastChange = now;
      if (names !== nodeSet) {
        nodeSet = names;
        lastChange = now;
      }
      o.gets += 1;
      const budget = await api.get(Kinds.PodDisruptionBudget, PDB_APP, NAMESPACE);
      const st = budget?.status;
      if (podsAtTarget && st && (st.currentHealthy ?? 0) < (st.desiredHealthy ?? 0)) pdbViolationSamples++;
      if (last.appPods.length === target && last.appPods.filter(isReady).length === target)
        podsAtTarget ??= now;
      const quietSince = Math.max(lastChange, podsAtTarget ?? Infinity);
      if (now - quietSince >= quietS * 1000) {
        scaleDownSettledS = (lastChange - t1) / 1000;
        break;
      }
      await sleep(2000);
    }
    const scaleDown = snapshot(last.nodes, last.pods);
    o.lists += 1;
    await saveNodeEvents(o.api, path.join(workdir, 'node-events.txt'));
    log(
      `${spec.name}: scale-down ${scaleDownSettledS === undefined ? 'not settled' : `settled after ${scaleDownSettledS} s`}, ${scaleDown.nodes} nodes left`,
    );

    const apiAfter = apiserverMetrics(kubectl, kubeconfig);
    const ctlMetrics: Sample[] = await httpMetrics(ctl.metricsPort, path.join(workdir, 'metrics.txt')).catch(
      () => [],
    );
    const requestsBy = (s: Sample[]) =>
      sumBy(s, 'apiserver_request_total', 'verb', (l) => l.resource !== undefined);
    const apiserverRequests = diff(requestsBy(apiAfter), requestsBy(apiBefore));
    apiserverRequests.LIST = (apiserverRequests.LIST ?? 0) - o.lists;
    apiserverRequests.GET = (apiserverRequests.GET ?? 0) - o.gets;
    const evictionsBy = (s: Sample[]) =>
      sumBy(s, 'apiserver_request_total', 'code', (l) => l.subresource === 'eviction');
    const evictions = diff(evictionsBy(apiAfter), evictionsBy(apiBefore));
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    return {
      controller: spec.name,
      build: spec.build,
      pods: opts.pods,
      podsCreatedS,
      allRunningS,
      startupP50S: percentile(startups, 50),
      startupP99S: percentile(startups, 99),
      ...(phases ? { startupPhases: phases } : {}),
      scaleUp,
      scaleDownSettledS,
      scaleDownTimeoutS: opts.scaleDownTimeoutS,
      scaleDown,
      evictions: evictions['201'] ?? 0,
      evictionsRefused: sum(evictions) - (evictions['201'] ?? 0),
      pdbViolationSamples,
      disruptionDecisions: sum(
        sumBy(ctlMetrics, 'karpenter_voluntary_disruption_decisions_total', 'decision'),
      ),
      nodeClaimsCreated: sum(sumBy(ctlMetrics, 'karpenter_nodeclaims_created_total', 'reason')),
      controllerCpuScaleUpS,
      controllerCpuS: cpuSeconds(ctl.pid) ?? 0,
      controllerPeakRssMiB: Math.round(peakRssMiB(ctl.pid) ?? 0),
      controllerRequests: sumBy(ctlMetrics, 'client_go_request_total', 'method'),
      podDeletionCostWrites: sum(
        sumBy(ctlMetrics, 'karpenter_pod_deletion_cost_pod_annotation_writes_total', 'result'),
      ),
      apiserverRequests,
      controlPlaneCpuS: diff(cpuOf(cpPids), cpBefore),
      loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    };
  } finally {
    await controller?.stop();
    clusterScript('cluster-down.sh', cluster);
    // kwokctl's binary runtime can leave a component running after delete; the next run must not share the CPU.
    for (const pid of Object.values(cpPids)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
