/**
 * Provisioning: when the kube-scheduler marks pods Unschedulable, batch them, run the scheduling simulation
 * against existing nodes, in-flight NodeClaims and the NodePools, nominate pods to nodes that will take them, and
 * create NodeClaims for the rest. Pods that fit nowhere get a Warning event saying why, per NodePool.
 */
import { TokenBucket } from '../../events/recorder';
import { forEachLimited } from '../parallel';
import { controllerRef, nameOf, type Pod, type ReplicaSet } from '../../kube/objects';
import type { Resources } from '../../scheduling/resources';
import {
  schedule,
  type MinValuesPolicy,
  type PreferencePolicy,
  type SchedulingResult,
} from '../../scheduling/scheduler';
import { isProvisionable } from '../../state/cluster-state';
import { podKey } from '../../scheduling/pod-requirements';
import { balanceZones } from '../../scheduling/zone-balance';
import type { ControllerContext } from '../context';
import type { Controller } from '../controller';
import {
  nodeClaimsCreatedTotal,
  podsSchedulingDecisionDurationSeconds,
  PROVISIONED_REASON,
  schedulerIgnoredPodsCount,
  startSchedulingRound,
} from '../../metrics';
import { Batcher, type BatcherOptions } from './batcher';
import { loadVolumeContext, warnWithoutVolumes } from '../volume-loader';
import { keepOrder } from '../deletion-cost/costs';
import { createNodeClaim, schedulingNodePools } from './nodeclaim-factory';
import { roundSummary } from './round-summary';
import { cpuByZone, withLaunchEstimate } from './launch-estimate';
import { isVirtualPod } from '../../scheduling/pod-order';
import { capEvents } from './spend';
import { isStaticNodePool } from '../nodepool/static/replicas';
import { assignReservations } from '../../scheduling/reservations';
import {
  MAX_EXPECTED_PODS,
  boughtKey,
  expectedPods,
  isExpectedPod,
  missingReplicas,
  notExpectedReason,
  plansToBuy,
  type ReplicaSetPods,
} from './expected-pods';

/** How long a nominated node is protected from disruption: twice the max batch window, as upstream. */
export const NOMINATION_WINDOW_MS = 20_000;
/** NodeClaims one round creates at once. */
export const CREATE_CONCURRENCY = 10;
/** How soon a round skipped for an unsynced cache is tried again. */
export const SYNC_RETRY_MS = 1_000;
/** Backoff after a failed round: doubling from the first, capped (controller-runtime's shape). */
export const FAILED_ROUND_RETRY_MS = 1_000;
export const FAILED_ROUND_RETRY_MAX_MS = 60_000;

export interface ProvisionerOptions extends BatcherOptions, ControllerContext {
  /** Whether a requirement's minValues may be relaxed to launch at all. @default "Strict" */
  minValuesPolicy?: MinValuesPolicy;
  /** Whether preferred affinities and ScheduleAnyway spreads count. @default "Respect" */
  preferencePolicy?: PreferencePolicy;
  /** USD/hour added to every node's price (Settings.perNodeCost). @default 0 */
  perNodeCost?: number;
  /** Cluster-wide caps (Settings CLUSTER_MAX_*), keyed as NodePool limits. @default none */
  clusterCaps?: Resources;
  /** Told of every NodeClaim created and the pods planned onto it. */
  onLaunched?: (nodeClaim: string, pods: Pod[]) => void;
  /**
   * CapacityBuffers (the CapacityBuffer gate): their virtual pods are planned with every round, after the real
   * ones, and told what the round did with them. @default none
   */
  capacityBuffers?: { virtualPods(): Pod[]; noteRound(result: SchedulingResult): void };
}

/** A pod of the round that exists: not planned ahead for a ReplicaSet, not a CapacityBuffer's placeholder. */
function isReal(pod: Pod): boolean {
  return !isExpectedPod(pod) && !isVirtualPod(pod);
}

export class ProvisioningController implements Controller {
  readonly name = 'provisioner';
  private readonly batcher: Batcher;
  private running: Promise<void> | undefined;
  private readonly lastWarning = new Map<string, string>();
  /** The last refusal logged for each NodePool whose node class the cloud refuses (see schedulingNodePools). */
  private readonly refusedPools = new Map<string, string>();
  private cancelSyncRetry: (() => void) | undefined;
  private cancelFailureRetry: (() => void) | undefined;
  private cancelNominationRecheck: (() => void) | undefined;
  /** ReplicaSets (boughtKey) whose expected pods a round has bought capacity for; see plansToBuy. */
  private bought = new Set<string>();
  /** Rounds failed in a row: the backoff's exponent. */
  private failures = 0;
  /** Nominated events: 5 a second, bursts of 10, as upstream, so a scale-out is not one write per pod. */
  private readonly nominations = new TokenBucket(5, 10);
  /** The last scheduling result, for explanations and tests. */
  lastResult: SchedulingResult | undefined;

  constructor(private readonly opts: ProvisionerOptions) {
    this.batcher = new Batcher(opts.clock, () => this.runOnce(), opts);
  }

  start(): void {
    this.opts.state.pods.onChange((type, pod, old) => {
      // A ReplicaSet creating pods may have more to come: plan for them before they exist.
      if (type === 'ADDED' && this.opts.state.replicaSets) this.triggerIfExpecting(pod);
      // A pod bound may have taken a buffer's headroom: buy it again.
      if (pod.spec.nodeName && !old?.spec.nodeName && this.virtualPods().length > 0) this.batcher.trigger();
      if (type === 'DELETED' || !isProvisionable(pod)) return;
      // First seen waiting: what pods_scheduling_decision_duration_seconds measures from.
      this.opts.state.podScheduling.ack(pod, this.opts.clock.now());
      this.batcher.trigger();
    });
    // A NodePool change may make waiting pods schedulable.
    this.opts.state.nodePools.onChange(() => this.trigger());
    this.opts.state.nodeClaims.onChange((type) => {
      if (type === 'DELETED') this.trigger();
    });
    this.opts.state.replicaSets?.onChange((type, rs) => {
      if (type !== 'DELETED') this.triggerForReplicaSet(rs);
    });
    this.trigger();
  }

  stop(): void {
    this.batcher.stop();
    this.cancelSyncRetry?.();
    this.cancelFailureRetry?.();
    this.cancelNominationRecheck?.();
  }

  /** Open (or extend) a batch if any pod is waiting, is still to be created by a ReplicaSet, or is a buffer's. */
  trigger(): void {
    const waiting = this.opts.state.provisionablePods().length > 0 || this.hasExpectedPods();
    if (waiting || this.virtualPods().length > 0) this.batcher.trigger();
  }

  private virtualPods(): Pod[] {
    return this.opts.capacityBuffers?.virtualPods() ?? [];
  }

  /**
   * Whether a ReplicaSet is still creating pods this controller would plan for (see expected-pods.ts). While one
   * is, disruption waits, as it does for pending pods: the capacity it would remove is about to be used.
   */
  hasExpectedPods(): boolean {
    return this.opts.state.replicaSets?.list().some((rs) => this.creating(rs) !== undefined) ?? false;
  }

  /** The ReplicaSet and its pods when it is still creating pods this controller plans for. */
  private creating(rs: ReplicaSet): ReplicaSetPods | undefined {
    // Cheap first: most ReplicaSets (old revisions at zero, settled ones) have every pod they want.
    if ((rs.spec.replicas ?? 1) <= this.opts.state.countControlledBy(rs)) return undefined;
    const set = { replicaSet: rs, pods: this.opts.state.podsControlledBy(rs) };
    const expecting = missingReplicas(set) > 0 && notExpectedReason(set, this.opts.clock.now()) === undefined;
    return expecting ? set : undefined;
  }

  private triggerIfExpecting(pod: Pod): void {
    const owner = controllerRef(pod);
    if (owner?.kind !== 'ReplicaSet') return;
    const rs = this.opts.state.replicaSets?.get(owner.name, pod.metadata.namespace);
    if (rs && rs.metadata.uid === owner.uid) this.triggerForReplicaSet(rs);
  }

  /**
   * A ReplicaSet creating pods not yet bought for: plan within a second, not after the 10 s a stream of its new
   * pods would hold the batch open (its replicas already say how many are coming).
   */
  private triggerForReplicaSet(rs: ReplicaSet): void {
    if (!this.bought.has(boughtKey(rs)) && this.creating(rs)) this.batcher.triggerSoon();
  }

  /** The ReplicaSets still creating pods this controller plans for (Settings.planDeclaredReplicas). */
  private creatingReplicaSets(): ReplicaSetPods[] {
    const sets = (this.opts.state.replicaSets?.list() ?? []).map((rs) => this.creating(rs));
    return sets.filter((set) => set !== undefined);
  }

  get busy(): boolean {
    return this.batcher.isOpen || this.running !== undefined;
  }

  get idle(): boolean {
    return !this.busy;
  }

  /**
   * Pods waiting for capacity that the last round has not already judged unschedulable: while any exist, a
   * provisioning decision is still to come. A pod no NodePool can host must not hold up the rest of the cluster.
   */
  hasUndecidedPods(): boolean {
    const decided = this.lastResult?.unschedulable;
    return this.opts.state.provisionablePods().some((p) => !decided?.has(podKey(p)));
  }

  private runOnce(): void {
    if (this.running) {
      // A round is in progress; look again once it finishes.
      void this.running.then(() => this.trigger());
      return;
    }
    this.running = this.provision()
      .then(() => {
        this.failures = 0;
      })
      .catch((err) => {
        // Nothing else may come along to open a batch (no pod, NodePool or NodeClaim changes), so a failed round
        // schedules its own retry, or its pods would wait forever.
        this.failures++;
        const retryMs = Math.min(FAILED_ROUND_RETRY_MS * 2 ** (this.failures - 1), FAILED_ROUND_RETRY_MAX_MS);
        this.opts.logger.error({ err, retryMs, failures: this.failures }, 'provisioning failed');
        this.cancelFailureRetry?.();
        this.cancelFailureRetry = this.opts.clock.setTimer(retryMs, () => this.trigger());
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** One provisioning round. Public for tests that drive it directly. */
  async provision(): Promise<SchedulingResult | undefined> {
    const { state, cloud, logger } = this.opts;
    const waiting = state.provisionablePods();
    const creating = this.creatingReplicaSets();
    const expected = expectedPods(creating, this.opts.clock.now());
    const boughtFor = new Set(
      creating
        .filter((c) => this.bought.has(boughtKey(c.replicaSet)))
        .map((c) => c.replicaSet.metadata.uid ?? ''),
    );
    const virtual = this.virtualPods();
    if (waiting.length === 0 && expected.length === 0 && virtual.length === 0) return undefined;
    // Real pods first: where capacity runs short (limits), they are placed before pods that do not exist yet.
    // The buffers' pods come last whatever their size (pod-order.ts): headroom is the room real pods leave.
    const pods = [...waiting, ...expected, ...virtual];
    // Pods cached before this controller started were never announced to it.
    for (const pod of waiting) state.podScheduling.ack(pod, this.opts.clock.now());
    if (!state.synced) {
      // A cache still relisting may not show the NodeClaims already made for these pods: decide once it has.
      this.cancelSyncRetry?.();
      this.cancelSyncRetry = this.opts.clock.setTimer(SYNC_RETRY_MS, () => this.trigger());
      return undefined;
    }
    const nodePools = await schedulingNodePools(
      state,
      cloud,
      this.opts.perNodeCost,
      (np, err) => {
        // Said once per NodePool and message, not every round.
        if (this.refusedPools.get(nameOf(np)) === err.message) return;
        this.refusedPools.set(nameOf(np), err.message);
        logger.warn(
          { nodePool: nameOf(np), err },
          'NodePool left out of provisioning: its node class is refused',
        );
      },
      this.opts.clusterCaps,
    );
    const nodes = state.schedulableNodes().map((n) => withLaunchEstimate(state, n, nodePools));
    // Pods may land on a static pool's nodes, but only the static capacity controller adds to it, as upstream.
    const dynamicPools = nodePools.filter((p) => !isStaticNodePool(p.nodePool));
    const volumes = await loadVolumeContext(this.opts.api, pods, warnWithoutVolumes(logger));
    const round = startSchedulingRound('provisioner', () => this.opts.clock.now());
    const result = schedule({
      pods,
      nodes,
      nodePools: dynamicPools,
      ...(volumes ? { volumeTopology: volumes.topology, volumeLimits: volumes.limitsFor(nodes) } : {}),
      ...(this.opts.minValuesPolicy ? { minValuesPolicy: this.opts.minValuesPolicy } : {}),
      ...(this.opts.preferencePolicy ? { preferencePolicy: this.opts.preferencePolicy } : {}),
      onQueue: (depth) => round.onQueue(depth),
      effectiveZones: true,
    });
    // Ignored pods are counted apart from the unschedulable ones, as upstream (which never simulates them).
    const ignored = result.ignored ?? 0;
    const unschedulable = [...result.unschedulable.values()].filter((u) => isReal(u.pod));
    round.finish(unschedulable.length - ignored, result.pendingByZone);
    schedulerIgnoredPodsCount.set(ignored);
    this.markDecisions(result);
    if (logger.isLevelEnabled('debug'))
      logger.debug(
        { ...roundSummary(waiting.length, nodes, result), expected: expected.length },
        'provisioning round',
      );
    this.lastResult = result;
    this.opts.capacityBuffers?.noteRound(result);
    this.recheckNominated(result);
    const until = this.opts.clock.now() + NOMINATION_WINDOW_MS;
    for (const [nodeName, placed] of result.existing) {
      // Never for a buffer's pods alone, as upstream: they come back every round, so the node would never be
      // free to disrupt (drift, expiry); consolidation keeps their room instead.
      if (placed.every(isVirtualPod)) continue;
      state.nominate(nodeName, until);
      for (const pod of placed.filter(isReal))
        this.opts.recorder.normal(pod, 'Nominated', `Pod should schedule on: ${nodeName}`, {
          rateLimit: this.nominations,
        });
    }
    // Created a few at a time: every claim that was created is observed before a failure fails the round.
    // In keepOrder: the claims a scale-down should empty last get the higher pod-deletion costs.
    // Reservations are shared out before zones are balanced: a claim left without one launches anywhere.
    const toBuy = keepOrder(
      balanceZones(assignReservations(plansToBuy(result.newNodeClaims, boughtFor)), cpuByZone(nodes)),
    );
    await forEachLimited(toBuy, CREATE_CONCURRENCY, async (plan) => {
      const created = await createNodeClaim(this.opts, plan);
      // Seen at once by the next round, whatever the watch is doing: never plan the same pods twice.
      state.nodeClaims.observe(created);
      state.nominate(nameOf(created), until);
      const real = plan.pods.filter(isReal);
      if (real.length > 0) this.opts.onLaunched?.(nameOf(created), real);
      nodeClaimsCreatedTotal.inc({
        reason: PROVISIONED_REASON,
        nodepool: plan.nodePoolName,
        min_values_relaxed: String(plan.minValuesRelaxed === true),
      });
      logger.info(
        {
          nodeClaim: created.metadata.name,
          nodePool: plan.nodePoolName,
          pods: real.length,
          expectedPods: plan.pods.filter(isExpectedPod).length,
          bufferPods: plan.pods.filter(isVirtualPod).length,
          instanceTypes: plan.instanceTypeOptions.slice(0, 5).map((it) => it.name),
        },
        'created nodeclaim',
      );
      for (const pod of real) {
        this.opts.recorder.normal(
          pod,
          'Nominated',
          `Pod should schedule on: nodeclaim/${created.metadata.name}`,
          { rateLimit: this.nominations },
        );
      }
    });
    // Bought for, once every claim was created: later rounds buy only for their pods that end up pending.
    if (expected.length < MAX_EXPECTED_PODS)
      this.bought = new Set(creating.map((c) => boughtKey(c.replicaSet)));
    // Warnings are remembered only for pods still waiting, so the map does not grow with every pod ever seen.
    const stillWaiting = new Set(waiting.map((p) => p.metadata.uid as string));
    for (const uid of this.lastWarning.keys()) if (!stillWaiting.has(uid)) this.lastWarning.delete(uid);
    for (const e of capEvents(unschedulable, (name) => state.nodePools.get(name)))
      this.opts.recorder.warning(e.nodePool, e.reason, e.message, { dedupe: [nameOf(e.nodePool)] });
    for (const { pod, reasons } of unschedulable) {
      const message = `Failed to schedule pod, ${reasons.join('; ')}`;
      if (this.lastWarning.get(pod.metadata.uid as string) === message) continue;
      this.lastWarning.set(pod.metadata.uid as string, message);
      this.opts.recorder.warning(pod, 'FailedScheduling', message);
      logger.warn(
        { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, reasons },
        'could not schedule pod',
      );
    }
    return result;
  }

  /** When each pod was first decided on, and first found a place, for the pod provisioning metrics. */
  private markDecisions(result: SchedulingResult): void {
    const placed = [
      ...[...result.existing.values()].flat(),
      ...result.newNodeClaims.flatMap((p) => p.pods),
    ].filter(isReal);
    const failed = [...result.unschedulable.values()].map((u) => u.pod).filter(isReal);
    for (const waitedMs of this.opts.state.podScheduling.decide(placed, failed, this.opts.clock.now()))
      podsSchedulingDecisionDurationSeconds.observe(waitedMs / 1000);
  }

  /**
   * Pods planned onto capacity that exists or is on its way are left to the kube-scheduler. If it cannot bind
   * them after all (another pod took the room, a spread it counts differently), it says so once and then waits:
   * no further pod event may come to open a batch. So once the nomination has run out, look again at whatever
   * is still pending.
   */
  private recheckNominated(result: SchedulingResult): void {
    const placed = [...result.existing.values(), ...result.newNodeClaims.map((c) => c.pods)];
    if (!placed.some((pods) => pods.some((p) => !isVirtualPod(p)))) return;
    this.cancelNominationRecheck?.();
    this.cancelNominationRecheck = this.opts.clock.setTimer(NOMINATION_WINDOW_MS, () => this.trigger());
  }
}
