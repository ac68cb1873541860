/**
 * The controller's view of the cluster: informer caches for every kind it reads, joined into StateNodes (a
 * NodeClaim and the Node it became, matched by providerID) with the pods bound to each. Nominations (pods the
 * provisioner expects to land on a node) live here too, so disruption never removes a node that is about to be
 * used.
 */
import { Annotations, Labels, Taints } from '../../sdk/api/well-known';
import type { Clock } from '../clock/clock';
import type { KubeApi } from '../kube/api';
import { hasCondition } from '../kube/conditions';
import { Informer } from '../kube/informer';
import { Kinds } from '../kube/kinds';
import {
  controllerRef,
  nameOf,
  type CapacityBuffer,
  type DaemonSet,
  type Deployment,
  type EC2NodeClass,
  type Node,
  type NodeClaim,
  type NodeOverlay,
  type NodePool,
  type Pod,
  type PodDisruptionBudget,
  type PodTemplateObject,
  type ReplicaSet,
  type StatefulSet,
  type Taint,
  type VolumeAttachment,
} from '../kube/objects';
import { isDaemonSetPod } from '../scheduling/pod-requirements';
import { addInto, fromResourceList, podRequests, type Resources } from '../scheduling/resources';
import type { SchedulableNode } from '../scheduling/scheduler';
import { sameTaint, taintsAfterInitialization } from '../scheduling/taints';
import { PodSchedulingTimes } from './pod-scheduling';

/** localeCompare's order without its per-call cost (thousands of nodes are sorted on every call). */
const compareText = new Intl.Collator().compare;

export interface StateNode {
  /** Node name once registered, else the NodeClaim name. */
  name: string;
  node?: Node;
  nodeClaim?: NodeClaim;
  /** Launched by us (has a NodeClaim and a NodePool). */
  managed: boolean;
  nodePoolName?: string;
  pods: Pod[];
  labels: Record<string, string>;
  taints: Taint[];
  allocatable: Resources;
  /** Requests of every pod bound to the node. */
  requested: Resources;
  registered: boolean;
  initialized: boolean;
  deleting: boolean;
  /** Tainted karpenter.sh/disrupted: on its way out. */
  markedForDisruption: boolean;
}

export function isTerminalPod(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** A pod that counts toward its ReplicaSet's replicas, as that controller counts: not terminating, not finished. */
export function isActivePod(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && !isTerminalPod(pod);
}

/** A pod the kube-scheduler has given up on: the provisioner's input. */
export function isProvisionable(pod: Pod): boolean {
  if (pod.spec.nodeName || pod.metadata.deletionTimestamp || isTerminalPod(pod)) return false;
  if (pod.status?.nominatedNodeName) return false;
  if (isDaemonSetPod(pod)) return false;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable';
}

/** The pods informer's index of pods by their controller's UID. */
const CONTROLLER_INDEX = 'controller-uid';

export interface ClusterStateOptions {
  /** Watch ReplicaSets, for the pods they are still to create (Settings.planDeclaredReplicas). @default false */
  replicaSets?: boolean;
  /** Watch NodeOverlays (the NodeOverlay feature gate). @default false */
  nodeOverlays?: boolean;
  /**
   * Watch CapacityBuffers and what they refer to: PodTemplates, Deployments, StatefulSets and ReplicaSets (the
   * CapacityBuffer feature gate). @default false
   */
  capacityBuffers?: boolean;
}

/** The caches a CapacityBuffer is resolved from. */
export interface BufferInformers {
  buffers: Informer<CapacityBuffer>;
  podTemplates: Informer<PodTemplateObject>;
  deployments: Informer<Deployment>;
  statefulSets: Informer<StatefulSet>;
  replicaSets: Informer<ReplicaSet>;
}

export class ClusterState {
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly nodeClaims: Informer<NodeClaim>;
  readonly nodePools: Informer<NodePool>;
  readonly nodeClasses: Informer<EC2NodeClass>;
  readonly pdbs: Informer<PodDisruptionBudget>;
  readonly daemonSets: Informer<DaemonSet>;
  /** What termination waits for after a drain: a poll of the API per pass was most of its requests. */
  readonly volumeAttachments: Informer<VolumeAttachment>;
  /** Only when asked for: the provisioner plans for the pods they are still to create. */
  readonly replicaSets: Informer<ReplicaSet> | undefined;
  /** NodeOverlays, read only with the NodeOverlay feature gate on (the CRD may not be installed otherwise). */
  readonly nodeOverlays: Informer<NodeOverlay> | undefined;
  /** CapacityBuffers and their referents, only with the CapacityBuffer feature gate on (ReplicaSets: above). */
  readonly capacityBuffers: BufferInformers | undefined;
  private readonly nominations = new Map<string, number>();
  /** The provisioner's first sighting, decision and placement of each pending pod, for the pod metrics. */
  readonly podScheduling = new PodSchedulingTimes();
  /** Last time a pod was bound to or left each node: the consolidateAfter clock. */
  private readonly lastPodEvent = new Map<string, number>();
  /**
   * Each cached pod's requests, parsed once: stateNodes() runs several times per decision over every pod. Keyed
   * by the object, which the informer replaces (never edits) when the pod changes.
   */
  private readonly podRequestsCache = new WeakMap<Pod, Resources>();
  /** stateNodes()' answer until a pod, node or claim changes: one decision asks several times. */
  private joined: StateNode[] | undefined;

  constructor(
    api: KubeApi,
    private readonly clock: Clock,
    onError: (err: unknown) => void = () => undefined,
    opts: ClusterStateOptions = {},
  ) {
    this.pods = new Informer(api, Kinds.Pod, clock, onError);
    this.nodes = new Informer(api, Kinds.Node, clock, onError);
    this.nodeClaims = new Informer(api, Kinds.NodeClaim, clock, onError);
    this.nodePools = new Informer(api, Kinds.NodePool, clock, onError);
    this.nodeClasses = new Informer(api, Kinds.EC2NodeClass, clock, onError);
    this.pdbs = new Informer(api, Kinds.PodDisruptionBudget, clock, onError);
    this.daemonSets = new Informer(api, Kinds.DaemonSet, clock, onError);
    this.volumeAttachments = new Informer(api, Kinds.VolumeAttachment, clock, onError);
    // Pods by their controller's uid: the planner's declared replicas and the deletion-cost tiers both ask.
    this.pods.addIndex(CONTROLLER_INDEX, (p) => controllerRef(p)?.uid);
    if (opts.replicaSets) this.replicaSets = new Informer(api, Kinds.ReplicaSet, clock, onError);
    if (opts.capacityBuffers)
      this.capacityBuffers = {
        buffers: new Informer(api, Kinds.CapacityBuffer, clock, onError),
        podTemplates: new Informer(api, Kinds.PodTemplate, clock, onError),
        deployments: new Informer(api, Kinds.Deployment, clock, onError),
        statefulSets: new Informer(api, Kinds.StatefulSet, clock, onError),
        // One ReplicaSet cache when the provisioner watches them too.
        replicaSets: this.replicaSets ?? new Informer(api, Kinds.ReplicaSet, clock, onError),
      };
    if (opts.nodeOverlays) this.nodeOverlays = new Informer(api, Kinds.NodeOverlay, clock, onError);
    // Every change to what stateNodes() joins makes its last answer stale.
    for (const informer of [this.pods, this.nodes, this.nodeClaims] as const)
      informer.onChange(() => (this.joined = undefined));
    this.pods.onChange((type, pod, old) => {
      // The pod metrics need these times until the pod starts; a pod that ends or goes never will.
      if (type === 'DELETED' || isTerminalPod(pod)) this.podScheduling.forget(pod);
      const node = pod.spec.nodeName ?? old?.spec.nodeName;
      if (!node) return;
      if (type === 'DELETED' || !old?.spec.nodeName || pod.metadata.deletionTimestamp) {
        this.lastPodEvent.set(node, this.clock.now());
      }
    });
  }

  private get informers(): { start(): Promise<void>; stop(): void; readonly synced: boolean }[] {
    return [
      this.pods,
      this.nodes,
      this.nodeClaims,
      this.nodePools,
      this.nodeClasses,
      this.pdbs,
      this.daemonSets,
      this.volumeAttachments,
      ...(this.replicaSets ? [this.replicaSets] : []),
      ...(this.nodeOverlays ? [this.nodeOverlays] : []),
      ...(this.capacityBuffers
        ? Object.values(this.capacityBuffers).filter((i) => i !== this.replicaSets)
        : []),
    ];
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers) i.stop();
  }

  /**
   * Every cache holds a completed list and a live watch. While one relists (after an API server restart, say)
   * it may miss what was just written, so decisions that create or delete capacity wait for this.
   */
  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  /** Record that pods are expected on this node until `until`; disruption leaves it alone meanwhile. */
  nominate(name: string, until: number): void {
    this.nominations.set(name, Math.max(until, this.nominations.get(name) ?? 0));
  }

  isNominated(name: string): boolean {
    return (this.nominations.get(name) ?? 0) > this.clock.now();
  }

  lastPodEventTime(stateNode: StateNode): number | undefined {
    return this.lastPodEvent.get(stateNode.name);
  }

  provisionablePods(): Pod[] {
    return this.pods.list(isProvisionable);
  }

  /** The cached pods an object (a ReplicaSet) controls. */
  podsControlledBy(owner: { metadata: { uid?: string } }): Pod[] {
    const uid = owner.metadata.uid;
    return uid === undefined ? [] : this.pods.byIndex(CONTROLLER_INDEX, uid);
  }

  /** How many cached pods an object controls (terminating ones included), without copying them. */
  countControlledBy(owner: { metadata: { uid?: string } }): number {
    const uid = owner.metadata.uid;
    return uid === undefined ? 0 : this.pods.countByIndex(CONTROLLER_INDEX, uid);
  }

  /** The cached pods bound to the node (none for a claim not yet registered). */
  podsOn(nodeName: string | undefined): Pod[] {
    return nodeName === undefined ? [] : this.pods.list((p) => p.spec.nodeName === nodeName);
  }

  nodeClaimForNode(node: Node): NodeClaim | undefined {
    const providerID = node.spec?.providerID;
    if (!providerID) return undefined;
    return this.nodeClaims.list((c) => c.status?.providerID === providerID)[0];
  }

  /** Every node and in-flight NodeClaim, joined, by name. Treat the StateNodes as read-only: they are shared. */
  stateNodes(): StateNode[] {
    this.joined ??= this.join();
    return [...this.joined];
  }

  private join(): StateNode[] {
    const podsByNode = new Map<string, Pod[]>();
    for (const pod of this.pods.list()) {
      if (!pod.spec.nodeName || isTerminalPod(pod)) continue;
      const list = podsByNode.get(pod.spec.nodeName) ?? [];
      list.push(pod);
      podsByNode.set(pod.spec.nodeName, list);
    }
    const claimsByProvider = new Map<string, NodeClaim>();
    const out: StateNode[] = [];
    for (const claim of this.nodeClaims.list()) {
      if (claim.status?.providerID) claimsByProvider.set(claim.status.providerID, claim);
    }
    const matched = new Set<NodeClaim>();
    for (const node of this.nodes.list()) {
      const claim = node.spec?.providerID ? claimsByProvider.get(node.spec.providerID) : undefined;
      if (claim) matched.add(claim);
      out.push(this.toStateNode(nameOf(node), node, claim, podsByNode.get(nameOf(node)) ?? []));
    }
    for (const claim of this.nodeClaims.list()) {
      if (!matched.has(claim)) out.push(this.toStateNode(nameOf(claim), undefined, claim, []));
    }
    return out.sort((a, b) => compareText(a.name, b.name));
  }

  /**
   * Nodes new pods may be placed on, in the scheduler's form. A Node that carries a NodePool label but no
   * NodeClaim owns (its claim is gone, or another instance won the claim) is never capacity: the kube-scheduler
   * may refuse it and garbage collection removes it. A claim still launching stands for its own Node.
   */
  schedulableNodes(): SchedulableNode[] {
    return this.stateNodes()
      .filter((n) => !n.deleting && !n.markedForDisruption && !isOrphan(n))
      .map((n) => ({
        name: n.name,
        labels: n.labels,
        // A launching node of ours sheds its startup and ephemeral taints (not-ready, unregistered, ...) once
        // initialized: pods planned onto it need not tolerate them, or every round would launch another node.
        // The consolidation-candidate taint only steers the kube-scheduler: a plan never avoids it.
        taints: withoutSteering(
          n.managed && !n.initialized
            ? taintsAfterInitialization(n.taints, n.nodeClaim?.spec.startupTaints)
            : n.taints,
        ),
        allocatable: n.allocatable,
        requested: n.requested,
        inFlight: !n.initialized,
        pods: n.pods,
      }));
  }

  /** Requests of the DaemonSet pods that would run on a node of this pool. */
  daemonOverhead(nodePool: NodePool): Resources {
    const total: Resources = {};
    const labels: Record<string, string> = {
      ...nodePool.spec.template.metadata?.labels,
      [Labels.nodePool]: nameOf(nodePool),
    };
    for (const ds of this.daemonSets.list()) {
      const selector = ds.spec.template.spec.nodeSelector ?? {};
      if (Object.entries(selector).some(([k, v]) => labels[k] !== undefined && labels[k] !== v)) continue;
      addInto(
        total,
        podRequests({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: ds.spec.template.spec }),
      );
    }
    delete total.pods;
    return total;
  }

  /** Current resource usage (capacity of its nodes) and node count of a NodePool, for limits. */
  nodePoolUsage(name: string): { usage: Resources; nodes: number } {
    const usage: Resources = {};
    let nodes = 0;
    for (const n of this.stateNodes()) {
      if (n.nodePoolName !== name || !n.nodeClaim) continue;
      nodes++;
      addInto(usage, fromResourceList(n.nodeClaim.status?.capacity ?? n.node?.status?.capacity));
    }
    return { usage, nodes };
  }

  private toStateNode(
    name: string,
    node: Node | undefined,
    claim: NodeClaim | undefined,
    pods: Pod[],
  ): StateNode {
    const labels = { ...claim?.metadata.labels, ...node?.metadata.labels };
    const taints = node?.spec?.taints ?? [
      ...(claim?.spec.taints ?? []),
      ...(claim?.spec.startupTaints ?? []),
    ];
    const requested: Resources = {};
    for (const pod of pods) {
      let req = this.podRequestsCache.get(pod);
      if (!req) this.podRequestsCache.set(pod, (req = podRequests(pod)));
      addInto(requested, req);
    }
    const nodePoolName = labels[Labels.nodePool];
    return {
      name,
      ...(node ? { node } : {}),
      ...(claim ? { nodeClaim: claim } : {}),
      managed: claim !== undefined && nodePoolName !== undefined,
      ...(nodePoolName ? { nodePoolName } : {}),
      pods,
      labels,
      taints,
      // A claim not yet launched holds exactly what it was planned for, so its pods fit back into it on the next
      // round instead of causing a second launch.
      allocatable: fromResourceList(
        node?.status?.allocatable ?? claim?.status?.allocatable ?? claim?.spec.resources?.requests,
      ),
      requested,
      registered: claim ? hasCondition(claim, 'Registered') : node !== undefined,
      initialized: claim
        ? hasCondition(claim, 'Initialized')
        : node !== undefined && hasCondition(node, 'Ready'),
      deleting: Boolean(node?.metadata.deletionTimestamp || claim?.metadata.deletionTimestamp),
      markedForDisruption: taints.some((t) => t.key === Taints.disrupted.key),
    };
  }
}

function withoutSteering(taints: Taint[]): Taint[] {
  return taints.some((t) => sameTaint(t, Taints.consolidationCandidate))
    ? taints.filter((t) => !sameTaint(t, Taints.consolidationCandidate))
    : taints;
}

/** A Node labelled with a NodePool that no NodeClaim owns. */
export function isOrphan(n: StateNode): boolean {
  return n.node !== undefined && n.nodeClaim === undefined && n.labels[Labels.nodePool] !== undefined;
}

export function doNotDisrupt(obj: {
  metadata: { annotations?: Record<string, string> };
}): string | undefined {
  return obj.metadata.annotations?.[Annotations.doNotDisrupt];
}
