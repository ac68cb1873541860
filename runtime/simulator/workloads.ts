/**
 * The simulator's stand-ins for kube-controller-manager's workload controllers: Deployments own ReplicaSets,
 * ReplicaSets, StatefulSets and DaemonSets own pods, and a garbage collector removes what a deleted owner leaves
 * behind. Each controller reads informer caches and writes through the KubeApi; every choice it makes (names,
 * which pod goes on scale-down) is deterministic so simulator runs replay exactly.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock/clock';
import { WorkQueue } from '../controllers/work-queue';
import { ApiError, isNotFound, type KubeApi, type WatchEventType } from '../kube/api';
import { hasCondition } from '../kube/conditions';
import { Informer, objectKey } from '../kube/informer';
import { Kinds, apiVersionOf, type ResourceKind } from '../kube/kinds';
import type {
  DaemonSet,
  Deployment,
  KubeObject,
  LabelSelector,
  Node,
  ObjectMeta,
  Pod,
  PodTemplate,
  ReplicaSet,
  StatefulSet,
  Taint,
  Toleration,
} from '../kube/objects';
import { podRequirementAlternatives } from '../scheduling/pod-requirements';
import { podFitsNode, type NodeView } from '../scheduling/predicates';
import { isTerminalPod } from '../state/cluster-state';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export interface SimWorkloadControllersOptions {
  api: KubeApi;
  clock: Clock;
  onError?: (err: unknown, where: string) => void;
}

/** Runs the Deployment, ReplicaSet, StatefulSet and DaemonSet controllers and the garbage collector together. */
export class SimWorkloadControllers {
  private readonly ctx: WorkloadContext;
  private readonly controllers: QueuedController[];

  constructor(opts: SimWorkloadControllersOptions) {
    const onError = opts.onError ?? (() => undefined);
    const informer = <T extends KubeObject>(kind: ResourceKind<T>): Informer<T> =>
      new Informer(opts.api, kind, opts.clock, (err) => onError(err, `${kind.kind} informer`));
    this.ctx = {
      api: opts.api,
      clock: opts.clock,
      onError,
      pods: informer(Kinds.Pod),
      nodes: informer(Kinds.Node),
      deployments: informer(Kinds.Deployment),
      replicaSets: informer(Kinds.ReplicaSet),
      statefulSets: informer(Kinds.StatefulSet),
      daemonSets: informer(Kinds.DaemonSet),
    };
    this.controllers = [
      new DeploymentController(this.ctx),
      new ReplicaSetController(this.ctx),
      new StatefulSetController(this.ctx),
      new DaemonSetController(this.ctx),
      new GarbageCollector(this.ctx),
    ];
  }

  async start(): Promise<void> {
    // Every cache is filled before any controller acts, so none mistakes an unlisted object for a missing one.
    const { deployments, replicaSets, statefulSets, daemonSets, nodes, pods } = this.ctx;
    for (const informer of [deployments, replicaSets, statefulSets, daemonSets, nodes, pods])
      await informer.start();
    for (const c of this.controllers) c.activate();
  }

  stop(): void {
    for (const c of this.controllers) c.stop();
    const { deployments, replicaSets, statefulSets, daemonSets, nodes, pods } = this.ctx;
    for (const informer of [deployments, replicaSets, statefulSets, daemonSets, nodes, pods]) informer.stop();
  }

  /** Keys waiting or being reconciled across all controllers: zero means the workloads have settled. */
  get depth(): number {
    return this.controllers.reduce((n, c) => n + c.depth, 0);
  }
}

interface WorkloadContext {
  api: KubeApi;
  clock: Clock;
  onError: (err: unknown, where: string) => void;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  deployments: Informer<Deployment>;
  replicaSets: Informer<ReplicaSet>;
  statefulSets: Informer<StatefulSet>;
  daemonSets: Informer<DaemonSet>;
}

/** A controller driven by a keyed work queue that stays idle until every informer has synced. */
abstract class QueuedController {
  private readonly queue: WorkQueue;
  private active = false;

  constructor(
    name: string,
    protected readonly ctx: WorkloadContext,
  ) {
    this.queue = new WorkQueue(
      name,
      ctx.clock,
      (key) => this.reconcile(key),
      (queue, key, err) => ctx.onError(err, `${queue} ${key}`),
    );
  }

  /** Start reconciling, beginning with a full resync of what the caches hold. */
  activate(): void {
    this.active = true;
    for (const key of this.resyncKeys()) this.queue.add(key);
  }

  stop(): void {
    this.active = false;
    this.queue.stop();
  }

  get depth(): number {
    return this.queue.depth;
  }

  protected enqueue(key: string): void {
    if (this.active) this.queue.add(key);
  }

  protected abstract resyncKeys(): string[];
  protected abstract reconcile(key: string): Promise<void>;
}

class DeploymentController extends QueuedController {
  constructor(ctx: WorkloadContext) {
    super('sim.deployment', ctx);
    ctx.deployments.onChange((_type, d) => this.enqueue(objectKey(d)));
    ctx.replicaSets.onChange((_type, rs) => {
      const owner = controllerRef(rs);
      if (owner?.kind === 'Deployment') this.enqueue(`${rs.metadata.namespace}/${owner.name}`);
    });
  }

  protected resyncKeys(): string[] {
    return this.ctx.deployments.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const d = this.ctx.deployments.get(...splitKey(key));
    if (!d || d.metadata.deletionTimestamp) return;
    const hash = templateHash(d.spec.template);
    const name = `${d.metadata.name}-${hash}`;
    const replicas = d.spec.replicas ?? 1;
    const owned = this.ctx.replicaSets.list((rs) => isControlledBy(rs, d));
    const current = owned.find((rs) => rs.metadata.name === name);
    if (!current) {
      await createToleratingExisting(this.ctx.api, Kinds.ReplicaSet, replicaSetFor(d, name, hash, replicas));
    } else if ((current.spec.replicas ?? 1) !== replicas) {
      await this.scale(current, replicas);
    }
    // A changed template gets a new ReplicaSet; the old ones are scaled away (a Recreate-style rollout).
    for (const old of owned) if (old !== current && (old.spec.replicas ?? 1) !== 0) await this.scale(old, 0);
  }

  private async scale(rs: ReplicaSet, replicas: number): Promise<void> {
    await this.ctx.api.patch(
      Kinds.ReplicaSet,
      rs.metadata.name as string,
      { spec: { replicas } },
      rs.metadata.namespace,
    );
  }
}

class ReplicaSetController extends QueuedController {
  private readonly expectations: Expectations;

  constructor(ctx: WorkloadContext) {
    super('sim.replicaset', ctx);
    this.expectations = new Expectations(ctx.clock);
    ctx.replicaSets.onChange((_type, rs) => this.enqueue(objectKey(rs)));
    ctx.pods.onChange((type, pod, old) => {
      const owner = controllerRef(pod);
      if (owner?.kind !== 'ReplicaSet') return;
      const key = `${pod.metadata.namespace}/${owner.name}`;
      this.expectations.observe(key, type, pod, old);
      // Every change counts: a deleted, evicted or failed pod must be replaced.
      this.enqueue(key);
    });
  }

  protected resyncKeys(): string[] {
    return this.ctx.replicaSets.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const rs = this.ctx.replicaSets.get(...splitKey(key));
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    // Until our last writes show up in the cache, counting pods would act on them twice.
    if (rs.metadata.deletionTimestamp || !this.expectations.satisfied(key)) return;
    const pods = this.ctx.pods.list((p) => isActivePod(p) && isControlledBy(p, rs));
    const want = rs.spec.replicas ?? 1;
    try {
      if (pods.length < want) await this.create(key, rs, want - pods.length);
      else if (pods.length > want) await this.remove(key, scaleDownOrder(pods).slice(0, pods.length - want));
    } catch (err) {
      // Retried after a backoff, by which time the cache holds whatever did succeed.
      this.expectations.forget(key);
      throw err;
    }
  }

  private async create(key: string, rs: ReplicaSet, count: number): Promise<void> {
    this.expectations.expect(key, count, []);
    const hash = rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
    for (let i = 0; i < count; i++) {
      const pod = podFromTemplate(rs.spec.template, {
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: hash ? { [POD_TEMPLATE_HASH_LABEL]: hash } : {},
        ownerReferences: [ownerReference(Kinds.ReplicaSet, rs)],
      });
      await this.ctx.api.create(Kinds.Pod, pod);
    }
  }

  private async remove(key: string, victims: Pod[]): Promise<void> {
    this.expectations.expect(key, 0, victims.map(objectKey));
    for (const pod of victims) {
      if (!(await deleteToleratingMissing(this.ctx.api, Kinds.Pod, pod)))
        this.expectations.deletionSeen(key, objectKey(pod));
    }
  }
}

class StatefulSetController extends QueuedController {
  constructor(ctx: WorkloadContext) {
    super('sim.statefulset', ctx);
    ctx.statefulSets.onChange((_type, ss) => this.enqueue(objectKey(ss)));
    ctx.pods.onChange((_type, pod) => {
      const owner = controllerRef(pod);
      if (owner?.kind === 'StatefulSet') this.enqueue(`${pod.metadata.namespace}/${owner.name}`);
    });
  }

  protected resyncKeys(): string[] {
    return this.ctx.statefulSets.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const ss = this.ctx.statefulSets.get(...splitKey(key));
    if (!ss || ss.metadata.deletionTimestamp) return;
    const want = ss.spec.replicas ?? 1;
    const byOrdinal = new Map<number, Pod>();
    for (const pod of this.ctx.pods.list((p) => isControlledBy(p, ss))) {
      const ordinal = ordinalOf(ss.metadata.name as string, pod.metadata.name as string);
      if (ordinal !== undefined) byOrdinal.set(ordinal, pod);
    }
    // Ordinals come up in order: ordinal n+1 is created only once ordinal n exists and is not terminating.
    for (let ordinal = 0; ordinal < want; ordinal++) {
      const pod = byOrdinal.get(ordinal);
      if (pod?.metadata.deletionTimestamp) return;
      if (pod && isTerminalPod(pod)) {
        // A finished pod is replaced under the same name once it is gone.
        await deleteToleratingMissing(this.ctx.api, Kinds.Pod, pod);
        return;
      }
      if (!pod && !(await createToleratingExisting(this.ctx.api, Kinds.Pod, statefulPod(ss, ordinal))))
        return;
    }
    // Scale down from the top, one pod at a time: the next goes only once the previous one is gone.
    const surplus = [...byOrdinal].filter(([ordinal]) => ordinal >= want).sort(([a], [b]) => b - a);
    if (surplus.some(([, pod]) => pod.metadata.deletionTimestamp)) return;
    const highest = surplus[0];
    if (highest) await deleteToleratingMissing(this.ctx.api, Kinds.Pod, highest[1]);
  }
}

class DaemonSetController extends QueuedController {
  private readonly expectations: Expectations;

  constructor(ctx: WorkloadContext) {
    super('sim.daemonset', ctx);
    this.expectations = new Expectations(ctx.clock);
    ctx.daemonSets.onChange((_type, ds) => this.enqueue(objectKey(ds)));
    // Any node change (new, gone, Ready, relabelled, tainted) can change where the daemons belong.
    ctx.nodes.onChange(() => {
      for (const ds of ctx.daemonSets.list()) this.enqueue(objectKey(ds));
    });
    ctx.pods.onChange((type, pod, old) => {
      const owner = controllerRef(pod);
      if (owner?.kind !== 'DaemonSet') return;
      const key = `${pod.metadata.namespace}/${owner.name}`;
      this.expectations.observe(key, type, pod, old);
      this.enqueue(key);
    });
  }

  protected resyncKeys(): string[] {
    return this.ctx.daemonSets.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const ds = this.ctx.daemonSets.get(...splitKey(key));
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    if (ds.metadata.deletionTimestamp || !this.expectations.satisfied(key)) return;
    const probe = daemonPod(ds, undefined);
    const alternatives = podRequirementAlternatives(probe);
    const byNode = new Map<string, Pod[]>();
    const pods = this.ctx.pods.list((p) => isActivePod(p) && isControlledBy(p, ds)).sort(olderFirst);
    for (const pod of pods) {
      const list = byNode.get(pod.spec.nodeName ?? '') ?? [];
      list.push(pod);
      byNode.set(pod.spec.nodeName ?? '', list);
    }
    const create: string[] = [];
    const remove: Pod[] = [];
    const nodes = this.ctx.nodes.list().sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
    for (const node of nodes) {
      const name = node.metadata.name as string;
      const here = byNode.get(name) ?? [];
      byNode.delete(name);
      if (here.length === 0) {
        if (daemonMayStart(probe, alternatives, node)) create.push(name);
      } else if (!daemonMayStay(probe, alternatives, node)) {
        remove.push(...here);
      } else {
        remove.push(...here.slice(1));
      }
    }
    // What is left sits on nodes that no longer exist.
    for (const orphans of byNode.values()) remove.push(...orphans);
    if (create.length === 0 && remove.length === 0) return;
    this.expectations.expect(key, create.length, remove.map(objectKey));
    try {
      for (const nodeName of create) await this.ctx.api.create(Kinds.Pod, daemonPod(ds, nodeName));
      for (const pod of remove) {
        if (!(await deleteToleratingMissing(this.ctx.api, Kinds.Pod, pod))) {
          this.expectations.deletionSeen(key, objectKey(pod));
        }
      }
    } catch (err) {
      this.expectations.forget(key);
      throw err;
    }
  }
}

/**
 * Deletes what a deleted owner leaves behind (ReplicaSets of a Deployment, pods of a ReplicaSet, StatefulSet or
 * DaemonSet), as the API server's garbage collector does for background cascading deletion. Keys are owner uids.
 */
class GarbageCollector extends QueuedController {
  constructor(ctx: WorkloadContext) {
    super('sim.garbage-collector', ctx);
    const onOwner = (type: WatchEventType, owner: KubeObject): void => {
      if (type === 'DELETED' && owner.metadata.uid) this.enqueue(owner.metadata.uid);
    };
    ctx.deployments.onChange(onOwner);
    ctx.replicaSets.onChange(onOwner);
    ctx.statefulSets.onChange(onOwner);
    ctx.daemonSets.onChange(onOwner);
  }

  protected resyncKeys(): string[] {
    // Owners deleted while nothing was watching.
    const live = this.liveOwners();
    const missing = new Set<string>();
    for (const obj of [...this.ctx.replicaSets.list(), ...this.ctx.pods.list()]) {
      const ref = controllerRef(obj);
      if (ref && OWNER_KINDS.has(ref.kind) && !live.has(ref.uid)) missing.add(ref.uid);
    }
    return [...missing].sort();
  }

  protected async reconcile(uid: string): Promise<void> {
    if (this.liveOwners().has(uid)) return;
    const ownedBy = (o: KubeObject): boolean => controllerRef(o)?.uid === uid;
    for (const rs of this.ctx.replicaSets.list(ownedBy))
      await deleteToleratingMissing(this.ctx.api, Kinds.ReplicaSet, rs);
    for (const pod of this.ctx.pods.list(ownedBy))
      await deleteToleratingMissing(this.ctx.api, Kinds.Pod, pod);
  }

  private liveOwners(): Set<string> {
    const { deployments, replicaSets, statefulSets, daemonSets } = this.ctx;
    const owners: KubeObject[] = [
      ...deployments.list(),
      ...replicaSets.list(),
      ...statefulSets.list(),
      ...daemonSets.list(),
    ];
    return new Set(owners.map((o) => o.metadata.uid ?? ''));
  }
}

const OWNER_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);

/**
 * Creations and deletions a controller has issued but not yet seen in its pod cache, as kube-controller-manager
 * tracks them: while any are outstanding, the cache undercounts or overcounts and the owner must not be acted on.
 * Outstanding expectations lapse after a TTL so a lost watch event cannot wedge an owner forever.
 */
class Expectations {
  private readonly byOwner = new Map<string, { adds: number; deletes: Set<string>; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  expect(owner: string, adds: number, deletes: string[]): void {
    this.byOwner.set(owner, { adds, deletes: new Set(deletes), expiresAt: this.clock.now() + this.ttlMs });
  }

  /** Feed a pod watch event of one of the owner's pods. */
  observe(owner: string, type: WatchEventType, pod: Pod, old: Pod | undefined): void {
    const e = this.byOwner.get(owner);
    if (!e) return;
    if (type === 'ADDED' && e.adds > 0) e.adds--;
    const terminating = pod.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp;
    if (type === 'DELETED' || terminating) e.deletes.delete(objectKey(pod));
  }

  /** A deletion that will never show up as an event (the pod was already gone). */
  deletionSeen(owner: string, podKey: string): void {
    this.byOwner.get(owner)?.deletes.delete(podKey);
  }

  forget(owner: string): void {
    this.byOwner.delete(owner);
  }

  satisfied(owner: string): boolean {
    const e = this.byOwner.get(owner);
    if (!e) return true;
    if ((e.adds > 0 || e.deletes.size > 0) && this.clock.now() < e.expiresAt) return false;
    this.byOwner.delete(owner);
    return true;
  }
}

// --- object construction ---

type OwnerRef = NonNullable<ObjectMeta['ownerReferences']>[number];

function ownerReference(kind: ResourceKind, owner: KubeObject): OwnerRef {
  return {
    apiVersion: apiVersionOf(kind),
    kind: kind.kind,
    name: owner.metadata.name as string,
    uid: owner.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A new pod from a template: the template's labels and annotations, a deep copy of its spec, Pending. */
function podFromTemplate(
  template: PodTemplate,
  meta: Pick<ObjectMeta, 'name' | 'generateName' | 'namespace' | 'labels' | 'ownerReferences'>,
): Pod {
  const metadata: ObjectMeta = {
    ...meta,
    labels: { ...template.metadata?.labels, ...meta.labels },
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: structuredClone(template.spec),
    status: { phase: 'Pending' },
  };
}

function replicaSetFor(d: Deployment, name: string, hash: string, replicas: number): ReplicaSet {
  const labels = { ...d.spec.template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
  const selector: LabelSelector = structuredClone(d.spec.selector);
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
  return {
    apiVersion: apiVersionOf(Kinds.ReplicaSet),
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: d.metadata.namespace,
      labels,
      ownerReferences: [ownerReference(Kinds.Deployment, d)],
    },
    spec: {
      replicas,
      selector,
      template: {
        metadata: { ...structuredClone(d.spec.template.metadata), labels },
        spec: structuredClone(d.spec.template.spec),
      },
    },
  };
}

function statefulPod(ss: StatefulSet, ordinal: number): Pod {
  const name = `${ss.metadata.name}-${ordinal}`;
  return podFromTemplate(ss.spec.template, {
    name,
    namespace: ss.metadata.namespace,
    labels: { [STATEFULSET_POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
    ownerReferences: [ownerReference(Kinds.StatefulSet, ss)],
  });
}

/**
 * The tolerations the DaemonSet controller adds to every daemon pod, so daemons keep running through node
 * conditions that would evict or repel ordinary pods.
 */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function daemonPod(ds: DaemonSet, nodeName: string | undefined): Pod {
  const pod = podFromTemplate(ds.spec.template, {
    generateName: `${ds.metadata.name}-`,
    namespace: ds.metadata.namespace,
    ownerReferences: [ownerReference(Kinds.DaemonSet, ds)],
  });
  const tolerations = pod.spec.tolerations ?? [];
  for (const t of DAEMON_TOLERATIONS) {
    if (!tolerations.some((have) => have.key === t.key && have.effect === t.effect))
      tolerations.push({ ...t });
  }
  pod.spec.tolerations = tolerations;
  if (nodeName) pod.spec.nodeName = nodeName;
  return pod;
}

type Alternatives = ReturnType<typeof podRequirementAlternatives>;

/** Whether a daemon pod should be placed on the node: Ready, not going away, labels and taints admit it. */
function daemonMayStart(pod: Pod, alternatives: Alternatives, node: Node): boolean {
  if (node.metadata.deletionTimestamp || !hasCondition(node, 'Ready')) return false;
  return admits(pod, alternatives, node, node.spec?.taints ?? []);
}

/** Whether a running daemon pod may stay: only NoExecute taints evict, as they do for any running pod. */
function daemonMayStay(pod: Pod, alternatives: Alternatives, node: Node): boolean {
  const evicting = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  return admits(pod, alternatives, node, evicting);
}

function admits(pod: Pod, alternatives: Alternatives, node: Node, taints: Taint[]): boolean {
  // Capacity does not hold daemons back: empty requests against an empty node always fit.
  const view: NodeView = {
    name: node.metadata.name as string,
    labels: node.metadata.labels ?? {},
    taints,
    allocatable: {},
    requested: {},
  };
  return podFitsNode(pod, {}, view, alternatives) === undefined;
}

// --- helpers ---

function controllerRef(obj: KubeObject): OwnerRef | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.controller);
}

function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return owner.metadata.uid !== undefined && controllerRef(obj)?.uid === owner.metadata.uid;
}

/** Pods that count toward replicas: not terminating and not finished. */
function isActivePod(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && !isTerminalPod(pod);
}

function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The order in which a ReplicaSet gives up pods on scale-down, Kubernetes' ranking (the first rule that differs
 * decides): unassigned before assigned; Pending before Unknown before Running; not Ready before Ready; pods on
 * nodes hosting more of this ReplicaSet's pods first, so scale-down evens out and empties the fuller node; newer
 * before older; then by name.
 */
export function scaleDownOrder(pods: Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods)
    if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const colocated = (p: Pod): number => (p.spec.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  const phase = (p: Pod): number => PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0;
  return [...pods].sort(
    (a, b) =>
      Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName)) ||
      phase(a) - phase(b) ||
      Number(hasCondition(a, 'Ready')) - Number(hasCondition(b, 'Ready')) ||
      colocated(b) - colocated(a) ||
      compareStrings(b.metadata.creationTimestamp, a.metadata.creationTimestamp) ||
      compareStrings(a.metadata.name, b.metadata.name),
  );
}

function olderFirst(a: Pod, b: Pod): number {
  return (
    compareStrings(a.metadata.creationTimestamp, b.metadata.creationTimestamp) ||
    compareStrings(a.metadata.name, b.metadata.name)
  );
}

/** Code-unit order, not localeCompare: the order must not depend on the host's locale. */
function compareStrings(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A 10-character, deterministic hash of a pod template, spelled like Kubernetes' pod-template-hash. */
export function templateHash(template: PodTemplate): string {
  const digest = createHash('sha256').update(canonicalJson(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += HASH_ALPHABET[(digest[i] as number) % HASH_ALPHABET.length];
  return out;
}

/** JSON with object keys sorted, so equal templates hash equally whatever order their fields were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareStrings(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function splitKey(key: string): [string, string | undefined] {
  const slash = key.indexOf('/');
  return slash < 0 ? [key, undefined] : [key.slice(slash + 1), key.slice(0, slash)];
}

/** Create, treating "already exists" as done (a lagging cache asked for it twice). False when it already existed. */
async function createToleratingExisting<T extends KubeObject>(
  api: KubeApi,
  kind: ResourceKind<T>,
  obj: T,
): Promise<boolean> {
  try {
    await api.create(kind, obj);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'AlreadyExists') return false;
    throw err;
  }
}

/** Delete, treating "not found" as done. False when it was already gone. */
async function deleteToleratingMissing<T extends KubeObject>(
  api: KubeApi,
  kind: ResourceKind<T>,
  obj: T,
): Promise<boolean> {
  try {
    await api.delete(kind, obj.metadata.name as string, obj.metadata.namespace);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
