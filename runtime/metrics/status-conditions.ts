/**
 * operatorpkg's status condition and termination metrics for the objects Karpenter registers them for: per kind
 * (`operator_nodeclaim_status_condition_count`...) and, for NodeClaim, NodePool and EC2NodeClass, the older
 * kind-less family (`operator_status_condition_count{group,kind}`...) that Karpenter still emits.
 *
 * Transitions are observed from the controller's informers (every version of an object, whoever wrote it),
 * so they count what was persisted, not what a controller meant to write; the gauges are read from the caches at
 * scrape time. As upstream, the gauges carry each object's name (one series per object and condition).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { Labels } from '../../sdk/api/well-known';
import type { WatchEventType } from '../kube/api';
import type { EC2NodeClass, KubeObject, Node, NodeClaim, NodePool } from '../kube/objects';
import { registers } from './metrics';
import { onScrape } from './registry';

/** Prometheus' default buckets: operatorpkg's when none are given. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Karpenter's buckets for its own kinds: 0.5s doubling to 8192s. */
const LONG_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.5 * 2 ** i);

const NODE_CLASS_LABEL = 'karpenter_k8s_aws_ec2nodeclass';
const NODEPOOL_LABEL = 'karpenter_sh_nodepool';
const INITIALIZED_LABEL = 'karpenter_sh_initialized';

type Values = Record<string, string>;

interface StatusCondition {
  type: string;
  status: string;
  reason?: string;
  lastTransitionTime?: string;
}

type WithConditions = KubeObject & { status?: { conditions?: StatusCondition[] } };

/** One family of the six metrics: `operator_<prefix>status_condition_*` and `operator_<prefix>termination_*`. */
function family(prefix: string, buckets: number[], extra: readonly string[]) {
  const objectLabels = ['namespace', 'name'];
  const conditionLabels = ['type', 'status', 'reason'];
  return {
    count: new Gauge({
      name: `operator_${prefix}status_condition_count`,
      help: 'The number of a condition for a given object, type and status. e.g. Alarm := Available=False > 0',
      labelNames: [...objectLabels, ...conditionLabels, ...extra],
      registers,
    }),
    currentStatusSeconds: new Gauge({
      name: `operator_${prefix}status_condition_current_status_seconds`,
      help: 'The current amount of time in seconds that a status condition has been in a specific state. Alarm := P99(Updated=Unknown) > 5 minutes',
      labelNames: [...objectLabels, ...conditionLabels, ...extra],
      registers,
    }),
    transitionsTotal: new Counter({
      name: `operator_${prefix}status_condition_transitions_total`,
      help: 'The count of transitions of a given object, type and status.',
      labelNames: [...conditionLabels, ...extra],
      registers,
    }),
    transitionSeconds: new Histogram({
      name: `operator_${prefix}status_condition_transition_seconds`,
      help: 'The amount of time a condition was in a given state (status) before transitioning to another state (to_status). e.g. Alarm := P99(Updated=False) > 5 minutes',
      labelNames: ['type', 'status', 'to_status', ...extra],
      buckets,
      registers,
    }),
    terminationCurrentTimeSeconds: new Gauge({
      name: `operator_${prefix}termination_current_time_seconds`,
      help: 'The current amount of time in seconds that an object has been in terminating state.',
      labelNames: [...objectLabels, ...extra],
      registers,
    }),
    terminationDurationSeconds: new Histogram({
      name: `operator_${prefix}termination_duration_seconds`,
      help: 'The amount of time taken by an object to terminate completely.',
      labelNames: [...extra],
      buckets,
      registers,
    }),
  };
}

type Family = ReturnType<typeof family>;

/** How one kind is reported: its family, its extra labels' values, and whether the kind-less family has it too. */
interface KindMetrics<T extends WithConditions> {
  group: string;
  kind: string;
  metrics: Family;
  extra: (obj: T) => Values;
  legacy: boolean;
}

const legacy = family('', DEFAULT_BUCKETS, ['group', 'kind']);

const label = (obj: KubeObject, key: string): string => obj.metadata.labels?.[key] ?? '';

const nodeClaimStatusMetrics: KindMetrics<NodeClaim> = {
  group: 'karpenter.sh',
  kind: 'NodeClaim',
  metrics: family('nodeclaim_', LONG_BUCKETS, [NODE_CLASS_LABEL, NODEPOOL_LABEL]),
  // Upstream NodeClaims carry their node class as a label; here it is only in the spec.
  extra: (c) => ({
    [NODE_CLASS_LABEL]: c.metadata.labels?.[Labels.ec2NodeClass] ?? c.spec.nodeClassRef.name,
    [NODEPOOL_LABEL]: label(c, Labels.nodePool),
  }),
  legacy: true,
};

const nodePoolStatusMetrics: KindMetrics<NodePool> = {
  group: 'karpenter.sh',
  kind: 'NodePool',
  metrics: family('nodepool_', LONG_BUCKETS, []),
  extra: () => ({}),
  legacy: true,
};

const nodeClassStatusMetrics: KindMetrics<EC2NodeClass> = {
  group: 'karpenter.k8s.aws',
  kind: 'EC2NodeClass',
  metrics: family('ec2nodeclass_', DEFAULT_BUCKETS, []),
  extra: () => ({}),
  legacy: true,
};

const nodeStatusMetrics: KindMetrics<Node> = {
  group: '',
  kind: 'Node',
  metrics: family('node_', LONG_BUCKETS, [NODE_CLASS_LABEL, NODEPOOL_LABEL, INITIALIZED_LABEL]),
  extra: (n) => ({
    [NODE_CLASS_LABEL]: label(n, Labels.ec2NodeClass),
    [NODEPOOL_LABEL]: label(n, Labels.nodePool),
    [INITIALIZED_LABEL]: label(n, Labels.initialized),
  }),
  legacy: false,
};

const seconds = (from: string | undefined, to: number): number | undefined => {
  const t = from === undefined ? NaN : Date.parse(from);
  return Number.isNaN(t) ? undefined : Math.max(0, to - t) / 1000;
};

/** Metrics of one kind and, if it has them, the kind-less ones: `add` gets the extra labels of each. */
function each<T extends WithConditions>(
  k: KindMetrics<T>,
  obj: T,
  add: (metrics: Family, extra: Values) => void,
): void {
  add(k.metrics, k.extra(obj));
  if (k.legacy) add(legacy, { group: k.group, kind: k.kind });
}

/**
 * Count and time the condition changes between two versions of an object, as operatorpkg does: a condition
 * that appears counts as a transition unless it is Unknown; a change of reason alone does not.
 */
function recordTransitions<T extends WithConditions>(
  k: KindMetrics<T>,
  obj: T,
  before: StatusCondition[],
): void {
  for (const c of obj.status?.conditions ?? []) {
    const prior = before.find((p) => p.type === c.type);
    if ((prior?.status ?? 'Unknown') === c.status) continue;
    const to = c.lastTransitionTime === undefined ? NaN : Date.parse(c.lastTransitionTime);
    const dwelt = prior && !Number.isNaN(to) ? seconds(prior.lastTransitionTime, to) : undefined;
    each(k, obj, (m, extra) => {
      m.transitionsTotal.inc({ type: c.type, status: c.status, reason: c.reason ?? '', ...extra });
      if (prior && dwelt !== undefined)
        m.transitionSeconds.observe(
          { type: c.type, status: prior.status, to_status: c.status, ...extra },
          dwelt,
        );
    });
  }
}

/** Set one kind's gauges from the objects in its cache now. */
function setGauges<T extends WithConditions>(k: KindMetrics<T>, objects: T[], now: number): void {
  for (const obj of objects) {
    const object = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
    each(k, obj, (m, extra) => {
      for (const c of obj.status?.conditions ?? []) {
        const labels = { ...object, type: c.type, status: c.status, reason: c.reason ?? '', ...extra };
        m.count.set(labels, 1);
        const age = seconds(c.lastTransitionTime, now);
        if (age !== undefined) m.currentStatusSeconds.set(labels, age);
      }
      const terminating = seconds(obj.metadata.deletionTimestamp, now);
      if (terminating !== undefined)
        m.terminationCurrentTimeSeconds.set({ ...object, ...extra }, terminating);
    });
  }
}

/** An informer as far as these metrics need one: the ClusterState's satisfy it. */
export interface ObjectSource<T> {
  list(): T[];
  onChange(handler: (type: WatchEventType, obj: T, old: T | undefined) => void): void;
}

export interface StatusSources {
  nodeClaims: ObjectSource<NodeClaim>;
  nodePools: ObjectSource<NodePool>;
  nodeClasses: ObjectSource<EC2NodeClass>;
  nodes: ObjectSource<Node>;
}

/** A resourceVersion older than one already seen: a lagging watch event after our own write was cached. */
const older = (a: string | undefined, b: string | undefined): boolean => Number(a) < Number(b);

/** What the scrape and the unbind do with one kind being tracked. */
interface Tracked {
  refresh(now: number): void;
  clear(): void;
}

function track<T extends WithConditions>(
  k: KindMetrics<T>,
  source: ObjectSource<T>,
  now: () => number,
  active: () => boolean,
): Tracked {
  // The newest version seen of each object: transitions are counted against it, once per change.
  const seen = new Map<string, { resourceVersion: string | undefined; conditions: StatusCondition[] }>();
  const key = (obj: T) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  const observe = (obj: T) => {
    const last = seen.get(key(obj));
    if (last && older(obj.metadata.resourceVersion, last.resourceVersion)) return;
    recordTransitions(k, obj, last?.conditions ?? []);
    seen.set(key(obj), {
      resourceVersion: obj.metadata.resourceVersion,
      conditions: obj.status?.conditions ?? [],
    });
  };
  source.onChange((type, obj, old) => {
    if (!active()) return;
    if (type !== 'DELETED') return observe(obj);
    seen.delete(key(obj));
    const terminating = seconds(obj.metadata.deletionTimestamp ?? old?.metadata.deletionTimestamp, now());
    if (terminating !== undefined)
      each(k, obj, (m, extra) => m.terminationDurationSeconds.observe(extra, terminating));
  });
  // Objects already cached are first seen now, as operatorpkg's first reconcile of each after a restart.
  for (const obj of source.list()) observe(obj);
  return {
    refresh: (t) => setGauges(k, source.list(), t),
    clear: () => seen.clear(),
  };
}

const families = [
  legacy,
  nodeClaimStatusMetrics.metrics,
  nodePoolStatusMetrics.metrics,
  nodeClassStatusMetrics.metrics,
  nodeStatusMetrics.metrics,
];

function resetGauges(): void {
  for (const f of families) {
    f.count.reset();
    f.currentStatusSeconds.reset();
    f.terminationCurrentTimeSeconds.reset();
  }
}

/**
 * Report the status conditions and terminations of these caches' NodeClaims, NodePools, EC2NodeClasses and Nodes;
 * returns a function that stops reporting them and clears their gauges. `now` (ms) is the controller's clock,
 * which wrote the lastTransitionTimes.
 */
export function bindStatusConditions(sources: StatusSources, opts: { now?: () => number } = {}): () => void {
  const now = opts.now ?? Date.now;
  let bound = true;
  const active = () => bound;
  const tracked = [
    track(nodeClaimStatusMetrics, sources.nodeClaims, now, active),
    track(nodePoolStatusMetrics, sources.nodePools, now, active),
    track(nodeClassStatusMetrics, sources.nodeClasses, now, active),
    track(nodeStatusMetrics, sources.nodes, now, active),
  ];
  const off = onScrape(() => {
    resetGauges();
    const t = now();
    for (const k of tracked) k.refresh(t);
  });
  return () => {
    bound = false;
    off();
    for (const k of tracked) k.clear();
    resetGauges();
  };
}
