/**
 * The disruption loop: every 10 s, find candidates, let the first method with something to do (emptiness, drift,
 * multi-node, then single-node consolidation) produce one command, wait 15 s and re-check that it still holds, then
 * hand it to the Orchestrator (./orchestration) to carry out.
 */
import { nameOf, type NodePool, type Pod } from '../../kube/objects';
import type { SchedulableNode } from '../../scheduling/scheduler';
import type { StateNode } from '../../state/cluster-state';
import type { Controller } from '../controller';
import { initDisruptionCounters, voluntaryDisruptionFailedValidationsTotal } from '../../metrics';
import {
  decisionLabels,
  publishBudgets,
  recordConsolidationMove,
  recordDecision,
  setEligibleNodes,
  timed,
} from './metrics';
import { balancedApproval, evaluateBalanced, poolTotals } from './balanced';
import { REGISTRATION_TIMEOUT_MS } from '../nodeclaim/lifecycle/controller';
import { schedulingNodePools } from '../provisioning/nodeclaim-factory';
import { loadVolumeContext, warnWithoutVolumes } from '../volume-loader';
import { poolBudgets, type BudgetReason } from './budgets';
import { evaluateCandidate, isConsolidatable, mayGoEmpty, reschedulable, type Candidate } from './candidates';
import { DriftMarker } from './drift-marker';
import { ANOTHER_FIRST, Explanations, PAUSED_PREFIX } from './explanations';
import { pricing, simulator, withinCommand } from './simulation';
import { holdingUnderKubeScheduler } from './stability';
import { headroomOn, headroomReason } from './headroom';
import { expectedRemovals } from './steering';
import { UndoGuard } from './undo';
import { scalingDown, waitingForScaleDown, type ScalingDown } from './scale-down';
import { dynamicPools, staticDriftIn } from './static-drift';
import { Orchestrator } from './orchestration';
import type { DisruptionOptions } from './options';
import { repackConsolidation } from './repack';
import { creditedSimulator, terminateFirstDrift } from './terminate-first';
import {
  drift,
  emptiness,
  multiNodeConsolidation,
  note,
  singleNodeConsolidation,
  type Budgets,
  type Command,
  type Simulate,
} from './methods';

export { REPLACEMENT_TIMEOUT_MS } from './orchestration';
export type { DisruptionOptions } from './options';

export const POLL_INTERVAL_MS = 10_000;
export const VALIDATION_DELAY_MS = 15_000;
/** How long a node that is still launching pauses disruption: the registration timeout. */
export const LAUNCHING_PAUSE_MAX_MS = REGISTRATION_TIMEOUT_MS;

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private cancel: (() => void) | undefined;
  private acting = false;
  private stopped = false;
  private readonly board: Explanations;
  /** Why each node was last passed over (./explanations). */
  readonly explanations: ReadonlyMap<string, string>;
  /** Consolidations undone by a launch for their pods, so they are not decided again at once. */
  private readonly undo = new UndoGuard();
  /** When each ReplicaSet was first seen over its replicas (see scale-down.ts). */
  private readonly scaleDownSeen = new Map<string, number>();
  private readonly orchestrator: Orchestrator;
  /** Nodes with the consolidation-candidate taint (as last written), and those the last decision expects to go. */
  private steering: ReadonlySet<string> = new Set();
  private outlook: ReadonlySet<string> = new Set();
  /** What the last validation found safe to steer to (see steeringFor). */
  private steerTo: ReadonlySet<string> = new Set();
  private lastDecisionBlocked = false;

  constructor(private readonly opts: DisruptionOptions) {
    initDisruptionCounters();
    this.board = new Explanations(opts.recorder);
    this.explanations = this.board.byNode;
    this.orchestrator = new Orchestrator({
      ...opts,
      stopped: () => this.stopped,
      onConsolidated: (candidates) => this.undo.consolidated(candidates, opts.clock.now()),
    });
  }

  start(): void {
    this.stopped = false;
    this.schedulePoll();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  get idle(): boolean {
    return !this.acting;
  }

  /** The provisioner launched a NodeClaim for these pods: does that undo a recent consolidation? */
  noteProvisioned(nodeClaim: string, pods: Pod[]): void {
    const undone = this.undo.provisioned(nodeClaim, pods, this.opts.clock.now());
    if (!undone) return;
    this.opts.logger.warn(
      { nodes: undone.nodes, nodeClaim, until: new Date(undone.until).toISOString() },
      'a consolidation was undone by a launch for its pods; not repeating it during the cool-down',
    );
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.cancel = this.opts.clock.setTimer(POLL_INTERVAL_MS, () => {
      this.poll()
        .catch((err) => this.opts.logger.error({ err }, 'disruption loop failed'))
        .finally(() => this.schedulePoll());
    });
  }

  /** Carry out another controller's command (node repair's) through this queue; false while it is busy. */
  async carryOut(command: Command): Promise<boolean> {
    if (this.acting) return false;
    this.acting = true;
    try {
      recordDecision(command, this.opts.perNodeCost);
      await this.orchestrator.execute(command);
      return true;
    } finally {
      this.acting = false;
    }
  }

  /** One pass of the loop; returns the command carried out, if any. Public so tests can drive it. */
  async poll(): Promise<Command | undefined> {
    if (this.acting) return undefined;
    await this.orchestrator.releaseStaleTaints();
    this.orchestrator.holdDestinations();
    const command = await this.decide();
    if (!command) {
      // Nothing more to consolidate (not merely paused, and no node still draining): stop steering.
      const draining = this.opts.state.stateNodes().some((n) => n.deleting || n.markedForDisruption);
      if (!this.lastDecisionBlocked && !draining && this.steering.size > 0)
        await this.steer(new Set(), new Set());
      return undefined;
    }
    this.acting = true;
    try {
      await this.opts.clock.sleep(VALIDATION_DELAY_MS);
      // Validated on its own candidates, as upstream does: a cluster still changing (pods leaving in a scale-down,
      // another node emptying) rarely gives the same whole decision twice. What the re-decision for those nodes
      // finds is carried out if it stays within the command: some of its nodes (others may have gained pods, or
      // lost theirs and become Empty), and no more or other replacements than were decided.
      const again = await this.decide(new Set(command.candidates.map((c) => c.stateNode.name)));
      if (!again || !withinCommand(command, again)) {
        this.opts.logger.info(
          {
            reason: command.reason,
            nodes: command.candidates.map((c) => c.stateNode.name),
            ...(again ? { now: again.reason, nowNodes: again.candidates.map((c) => c.stateNode.name) } : {}),
          },
          'abandoned disruption: no longer valid after validation delay',
        );
        voluntaryDisruptionFailedValidationsTotal.inc(
          { consolidation_type: decisionLabels(command).consolidation_type },
          command.candidates.length,
        );
        return undefined;
      }
      recordDecision(again, this.opts.perNodeCost);
      if (again.reason === 'Underutilized') {
        await this.steer(this.steerTo, new Set(again.candidates.map((c) => c.stateNode.name)));
      }
      await this.orchestrator.execute(again);
      return again;
    } finally {
      this.acting = false;
    }
  }

  private blockedGlobally(stateNodes: StateNode[], now: number): string | undefined {
    // Never fight a scale-up: pods still to be placed may need exactly the nodes we would remove.
    if (this.opts.provisioningBusy()) return 'provisioning is in progress';
    if (!this.opts.state.synced) return 'the cluster state is resyncing with the API server';
    // A node that has not initialized within the registration timeout is stuck (an agent that never lifts its
    // startup taint, say): it must not hold every other node's consolidation hostage. Pods are never planned
    // onto it either way (see simulator()).
    const launching = stateNodes.filter((n) => {
      if (!n.managed || n.initialized || n.deleting) return false;
      const created = Date.parse(n.nodeClaim?.metadata.creationTimestamp ?? '');
      return Number.isNaN(created) || now - created <= LAUNCHING_PAUSE_MAX_MS;
    });
    if (launching.length > 0) return `${launching.length} node(s) are still launching`;
    return undefined;
  }

  /**
   * One decision over the current cluster, without acting: the poll, its validation, and benchmarks use it.
   * `only` limits the candidates to those nodes (the validation of a command); such a decision explains nothing.
   */
  async decide(only?: ReadonlySet<string>): Promise<Command | undefined> {
    const { state, clock } = this.opts;
    const now = clock.now();
    const stateNodes = state.stateNodes();
    const blocked = this.blockedGlobally(stateNodes, now);
    if (!only) this.lastDecisionBlocked = blocked !== undefined;
    if (blocked) {
      if (only) return undefined;
      const paused = new Map<string, string>();
      for (const n of stateNodes) if (n.managed) paused.set(n.name, `${PAUSED_PREFIX}${blocked}`);
      this.board.publish(paused, stateNodes);
      return undefined;
    }
    const nodePools = new Map(state.nodePools.list().map((np) => [nameOf(np), np]));
    // One read of the instance types serves both pricing the candidates and simulating their consolidation.
    const caps = this.opts.clusterCaps;
    const pools = await schedulingNodePools(state, this.opts.cloud, this.opts.perNodeCost, undefined, caps);
    const ctx = {
      now,
      nodePools,
      pdbs: state.pdbs.list(),
      allPods: state.pods.list(),
      isNominated: (name: string) => state.isNominated(name),
      priceOf: pricing(pools, this.opts.cloud.nodePriceAdjustment?.bind(this.opts.cloud)),
    };
    const candidates: Candidate[] = [];
    // Held back by consolidateAfter for now, but likely to go next: where evicted pods should not land.
    const waiting: Candidate[] = [];
    const drifted: Candidate[] = [];
    const staticDrifted: Candidate[] = [];
    const skipped = new Map<string, string>();
    const driftMarker = new DriftMarker(this.opts);
    // Empty nodes that may go as Empty (now or once consolidateAfter passes): never a destination for moved pods,
    // or a scale-down's untouched full node is "consolidated" onto the nodes it just emptied, which then go too.
    const emptyBudgets = this.budgets(stateNodes, nodePools, 'Empty', now);
    const empties = new Set<string>();
    const headroom = headroomOn(
      this.opts.virtualPods?.() ?? [],
      state.schedulableNodes().filter((n) => !n.inFlight),
    );
    // A node holding a buffer's room and no pod of its own is not Empty; drift may still replace it.
    const holdsOnly = (c: Candidate) =>
      c.reschedulablePods.length === 0 && headroom.byNode.has(c.stateNode.name);
    const noteEmpty = (c: Candidate): void => {
      if (!holdsOnly(c) && mayGoEmpty(c, emptyBudgets)) empties.add(c.stateNode.name);
    };
    for (const n of stateNodes) {
      if (!n.managed) continue;
      if (only && !only.has(n.name)) {
        const verdict = reschedulable(n.pods).length === 0 ? evaluateCandidate(n, ctx) : undefined;
        if (verdict && !('reason' in verdict)) noteEmpty(verdict.candidate);
        continue;
      }
      const verdict = evaluateCandidate(n, ctx);
      if ('reason' in verdict) {
        skipped.set(n.name, verdict.reason);
        continue;
      }
      if (holdsOnly(verdict.candidate) && verdict.candidate.nodePool.spec.replicas === undefined) {
        if (await driftMarker.mark(verdict.candidate)) drifted.push(verdict.candidate);
        else skipped.set(n.name, headroomReason(headroom.byNode.get(n.name) ?? []));
        continue;
      }
      if (verdict.candidate.nodePool.spec.replicas !== undefined) {
        if (await driftMarker.mark(verdict.candidate)) staticDrifted.push(verdict.candidate);
        else skipped.set(n.name, 'its NodePool is static (spec.replicas): its nodes are not consolidated');
        continue;
      }
      noteEmpty(verdict.candidate);
      if (await driftMarker.mark(verdict.candidate)) drifted.push(verdict.candidate);
      // consolidateAfter held when the command was decided; a pod leaving since (a scale-down's pods finishing)
      // must not void it, and one arriving changes what the command's own re-simulation finds.
      if (!only && !isConsolidatable(verdict.candidate, state.lastPodEventTime(n), now)) {
        waiting.push(verdict.candidate);
        skipped.set(
          n.name,
          `consolidateAfter (${verdict.candidate.nodePool.spec.disruption.consolidateAfter}) has not passed since its last pod change`,
        );
        continue;
      }
      candidates.push(verdict.candidate);
    }
    // Pods are only moved onto nodes that are up: a node still starting may never make it.
    const settled = state.schedulableNodes().filter((n) => !n.inFlight && !empties.has(n.name));
    const volumes = await loadVolumeContext(
      this.opts.api,
      [...candidates, ...waiting].flatMap((c) => c.reschedulablePods),
      warnWithoutVolumes(this.opts.logger),
    );
    const simulate = simulator(dynamicPools(pools), settled, this.opts, volumes, headroom.pods);
    const tf =
      this.opts.terminateFirstDrift &&
      creditedSimulator(dynamicPools(pools), settled, this.opts, volumes, headroom.pods);
    const driftBudgets = this.budgets(stateNodes, nodePools, 'Drifted', now);
    if (!only) setEligibleNodes(candidates, [...staticDrifted, ...drifted]);
    const command =
      timed('empty', '', () => emptiness(candidates, emptyBudgets, skipped)) ??
      timed('drifted', '', () =>
        staticDriftIn(staticDrifted, stateNodes, pools, driftBudgets, skipped, this.opts.terminateFirstDrift),
      ) ??
      timed('drifted', '', () => drift(drifted, driftBudgets, simulate, skipped)) ??
      timed('drifted', '', () =>
        tf ? terminateFirstDrift(drifted, driftBudgets, tf, skipped) : undefined,
      ) ??
      this.consolidation(
        candidates,
        holdingUnderKubeScheduler(simulate, settled, this.steering, {
          repack: this.opts.consolidation?.repack === true,
        }),
        stateNodes,
        nodePools,
        now,
        skipped,
        { priceOf: ctx.priceOf, record: !only },
      );
    if (only) {
      if (command?.reason === 'Underutilized') this.steerTo = this.steeringFor(command, simulate, settled);
      return command;
    }
    this.outlook = command
      ? expectedRemovals([...candidates, ...waiting], command, simulate, this.opts.consolidation)
      : new Set();
    const next = new Map(skipped);
    const chosen = new Set(command?.candidates);
    for (const c of candidates) {
      if (!skipped.has(c.stateNode.name) && !chosen.has(c)) {
        next.set(c.stateNode.name, ANOTHER_FIRST);
      }
    }
    this.board.publish(next, stateNodes);
    return command;
  }

  private consolidation(
    candidates: Candidate[],
    simulate: Simulate,
    stateNodes: StateNode[],
    nodePools: Map<string, NodePool>,
    now: number,
    skipped: Map<string, string>,
    scoring: { priceOf: (n: StateNode) => number | undefined; record: boolean },
  ): Command | undefined {
    const scaling = this.replicaSetsScalingDown(now);
    const withPods = candidates.filter((c) => {
      if (c.reschedulablePods.length === 0) return false;
      const waiting = this.undo.blocked(c, now) ?? waitingForScaleDown(c, scaling);
      if (waiting) note(skipped, c.stateNode.name, waiting);
      return !waiting;
    });
    if (withPods.length === 0) return undefined;
    const budgets = this.budgets(stateNodes, nodePools, 'Underutilized', now);
    const totals = poolTotals(stateNodes, scoring.priceOf);
    // Single-node moves are counted as scored; a multi-node search scores many prefixes, so only its result counts.
    const approval = balancedApproval(totals, (cmd, perPool, approved) => {
      if (scoring.record && cmd.candidates.length === 1) recordConsolidationMove(cmd, perPool, approved);
    });
    const multi = timed('underutilized', 'multi', () =>
      multiNodeConsolidation(withPods, budgets, simulate, skipped, this.opts.consolidation, approval),
    );
    if (multi && scoring.record)
      recordConsolidationMove(multi, evaluateBalanced(multi, totals).perPool, true);
    const single =
      multi ??
      timed('underutilized', 'single', () =>
        singleNodeConsolidation(withPods, budgets, simulate, skipped, this.opts.consolidation, approval),
      );
    if (single || !this.opts.consolidation?.repack) return single;
    return timed('underutilized', 'repack', () =>
      repackConsolidation(withPods, budgets, simulate, skipped, this.opts.consolidation, approval),
    );
  }

  /**
   * Where to steer while a validated consolidation runs: the outlook's nodes, if the command still holds with
   * the kube-scheduler avoiding them (the replacement and the nodes that stay then take every moved pod), else
   * the taints as they are, which is what the command was checked against.
   */
  private steeringFor(command: Command, simulate: Simulate, settled: SchedulableNode[]): ReadonlySet<string> {
    const going = new Set(command.candidates.map((c) => c.stateNode.name));
    const current = new Set([...this.steering].filter((n) => !going.has(n)));
    const wanted = new Set([...this.outlook].filter((n) => !going.has(n)));
    if (wanted.size === 0) return current;
    const holds = holdingUnderKubeScheduler(simulate, settled, wanted)(command.candidates);
    return holds.unschedulable.size === 0 ? wanted : current;
  }

  private async steer(wanted: ReadonlySet<string>, keep: ReadonlySet<string>): Promise<void> {
    await this.orchestrator.steer(wanted, keep);
    this.steering = wanted;
  }

  /** The ReplicaSets still deleting pods (only while ReplicaSets are watched; see scale-down.ts). */
  private replicaSetsScalingDown(now: number): Map<string, ScalingDown> {
    const { state } = this.opts;
    const sets = (state.replicaSets?.list() ?? []).map((rs) => ({
      replicaSet: rs,
      pods: state.podsControlledBy(rs),
    }));
    return scalingDown(sets, this.scaleDownSeen, now);
  }

  private budgets(
    stateNodes: StateNode[],
    nodePools: Map<string, NodePool>,
    reason: BudgetReason,
    now: number,
  ): Budgets {
    return publishBudgets(poolBudgets(stateNodes, nodePools, reason, now), reason);
  }
}
