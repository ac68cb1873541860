/**
 * The disruption loop: every 10 s, find candidates, let the first method with something to do (emptiness, then
 * single-node consolidation) produce one command, wait 15 s and re-check that it still holds, then carry it out:
 * taint the nodes, launch and await any replacement, and delete the NodeClaims (termination drains them).
 */
import { Labels, Taints } from '../../../sdk/api/well-known';
import { isNotFound } from '../../kube/api';
import { setCondition } from '../../kube/conditions';
import { Kinds } from '../../kube/kinds';
import type { NodeClaim, NodePool } from '../../kube/objects';
import { schedule, type SchedulingNodePool } from '../../scheduling/scheduler';
import { hasCondition, type StateNode } from '../../state/cluster-state';
import type { ControllerContext } from '../context';
import { nodeClaimFor, schedulingNodePools } from '../provisioning/nodeclaim-factory';
import { allowedDisruptions, type BudgetReason } from './budgets';
import { evaluateCandidate, isConsolidatable, type Candidate } from './candidates';
import { emptiness, singleNodeConsolidation, type Budgets, type Command } from './methods';

export const POLL_INTERVAL_MS = 10_000;
export const VALIDATION_DELAY_MS = 15_000;
export const REPLACEMENT_TIMEOUT_MS = 10 * 60_000;

export interface DisruptionOptions extends ControllerContext {
  /** Provisioning has a batch open, a round running, or pods it has yet to decide on. */
  provisioningBusy: () => boolean;
}

export class DisruptionController {
  private cancel: (() => void) | undefined;
  private acting = false;
  private stopped = false;
  /** Why each node was last passed over: the answer to "why wasn't this node consolidated?". */
  readonly explanations = new Map<string, string>();

  constructor(private readonly opts: DisruptionOptions) {}

  start(): void {
    this.stopped = false;
    this.schedulePoll();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  get busy(): boolean {
    return this.acting;
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.cancel = this.opts.clock.setTimer(POLL_INTERVAL_MS, () => {
      this.poll()
        .catch((err) => this.opts.logger.error({ err }, 'disruption loop failed'))
        .finally(() => this.schedulePoll());
    });
  }

  /** One pass of the loop; returns the command carried out, if any. Public so tests can drive it. */
  async poll(): Promise<Command | undefined> {
    if (this.acting) return undefined;
    const command = await this.decide();
    if (!command) return undefined;
    this.acting = true;
    try {
      await this.opts.clock.sleep(VALIDATION_DELAY_MS);
      const again = await this.decide();
      if (!again || !sameCommand(command, again)) {
        this.opts.logger.info(
          { reason: command.reason },
          'abandoned disruption: no longer valid after validation delay',
        );
        return undefined;
      }
      await this.execute(again);
      return again;
    } finally {
      this.acting = false;
    }
  }

  private blockedGlobally(stateNodes: StateNode[]): string | undefined {
    // Never fight a scale-up: pods still to be placed may need exactly the nodes we would remove.
    if (this.opts.provisioningBusy()) return 'provisioning is in progress';
    const launching = stateNodes.filter((n) => n.managed && !n.initialized && !n.deleting);
    if (launching.length > 0) return `${launching.length} node(s) are still launching`;
    return undefined;
  }

  private async decide(): Promise<Command | undefined> {
    const { state, clock } = this.opts;
    const now = clock.now();
    const stateNodes = state.stateNodes();
    const blocked = this.blockedGlobally(stateNodes);
    if (blocked) {
      for (const n of stateNodes)
        if (n.managed) this.explanations.set(n.name, `disruption paused: ${blocked}`);
      return undefined;
    }
    const nodePools = new Map(state.nodePools.list().map((np) => [np.metadata.name as string, np]));
    // One read of the instance types serves both pricing the candidates and simulating their consolidation.
    const pools = await schedulingNodePools(state, this.opts.cloud);
    const ctx = {
      now,
      nodePools,
      pdbs: state.pdbs.list(),
      allPods: state.pods.list(),
      isNominated: (name: string) => state.isNominated(name),
      priceOf: pricing(pools),
    };
    const candidates: Candidate[] = [];
    const skipped = new Map<string, string>();
    for (const n of stateNodes) {
      if (!n.managed) continue;
      const verdict = evaluateCandidate(n, ctx);
      if ('reason' in verdict) {
        skipped.set(n.name, verdict.reason);
        continue;
      }
      if (!isConsolidatable(verdict.candidate, state.lastPodEventTime(n), now)) {
        skipped.set(
          n.name,
          `consolidateAfter (${verdict.candidate.nodePool.spec.disruption.consolidateAfter}) has not passed since its last pod change`,
        );
        continue;
      }
      candidates.push(verdict.candidate);
    }
    const command =
      emptiness(candidates, this.budgets(stateNodes, nodePools, 'Empty', now), skipped) ??
      this.consolidation(candidates, pools, stateNodes, nodePools, now, skipped);
    this.explanations.clear();
    for (const [name, reason] of skipped) this.explanations.set(name, reason);
    for (const c of candidates) {
      if (!skipped.has(c.stateNode.name) && !command?.candidates.includes(c)) {
        this.explanations.set(c.stateNode.name, 'another node was disrupted first');
      }
    }
    return command;
  }

  private consolidation(
    candidates: Candidate[],
    pools: SchedulingNodePool[],
    stateNodes: StateNode[],
    nodePools: Map<string, NodePool>,
    now: number,
    skipped: Map<string, string>,
  ): Command | undefined {
    const withPods = candidates.filter((c) => c.reschedulablePods.length > 0);
    if (withPods.length === 0) return undefined;
    const nodes = this.opts.state.schedulableNodes();
    const simulate = (removed: Candidate[]) => {
      const gone = new Set(removed.map((c) => c.stateNode.name));
      return schedule({
        pods: removed.flatMap((c) => c.reschedulablePods),
        nodes: nodes.filter((n) => !gone.has(n.name)),
        nodePools: pools,
      });
    };
    return singleNodeConsolidation(
      withPods,
      this.budgets(stateNodes, nodePools, 'Underutilized', now),
      simulate,
      skipped,
    );
  }

  private budgets(
    stateNodes: StateNode[],
    nodePools: Map<string, NodePool>,
    reason: BudgetReason,
    now: number,
  ): Budgets {
    const out: Budgets = new Map();
    for (const [name, np] of nodePools) {
      const members = stateNodes.filter((n) => n.managed && n.nodePoolName === name);
      const disrupting = members.filter((n) => n.deleting || n.markedForDisruption).length;
      out.set(name, allowedDisruptions(np, reason, now, members.length, disrupting));
    }
    return out;
  }

  private async execute(command: Command): Promise<void> {
    const { api, recorder, logger, clock } = this.opts;
    const names = command.candidates.map((c) => c.stateNode.name);
    logger.info(
      {
        reason: command.reason,
        nodes: names,
        replacement: command.replacement?.instanceTypeOptions[0]?.name,
        savings: command.savings,
      },
      'disrupting nodes',
    );
    for (const c of command.candidates) {
      const node = c.stateNode.node;
      if (!node) continue;
      const taints = node.spec?.taints ?? [];
      if (!taints.some((t) => t.key === Taints.disrupted.key)) {
        await api.patch(Kinds.Node, node.metadata.name as string, {
          spec: { taints: [...taints, { key: Taints.disrupted.key, effect: Taints.disrupted.effect }] },
        });
      }
      const detail = command.replacement
        ? `replacing with ${command.replacement.instanceTypeOptions[0]?.name}`
        : 'deleting';
      recorder.normal(node, 'DisruptionTerminating', `Disrupting Node: ${command.reason}/${detail}`);
    }
    if (command.replacement) {
      const nodePool = command.candidates[0]?.nodePool as NodePool;
      const replacement = await api.create(Kinds.NodeClaim, nodeClaimFor(nodePool, command.replacement));
      recorder.normal(replacement, 'DisruptionLaunching', `Launching NodeClaim: ${command.reason}`);
      if (!(await this.awaitInitialized(replacement))) {
        logger.warn(
          { nodeClaim: replacement.metadata.name },
          'replacement did not initialize; undoing disruption',
        );
        await this.untaint(command.candidates);
        return;
      }
    }
    for (const c of command.candidates) {
      const claim = c.stateNode.nodeClaim as NodeClaim;
      try {
        const latest = await api.get(Kinds.NodeClaim, claim.metadata.name as string);
        if (latest) {
          latest.status = {
            ...latest.status,
            conditions: setCondition(
              latest.status?.conditions,
              'DisruptionReason',
              'True',
              clock.now(),
              command.reason,
            ),
          };
          await api.updateStatus(Kinds.NodeClaim, latest);
        }
        await api.delete(Kinds.NodeClaim, claim.metadata.name as string);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async awaitInitialized(claim: NodeClaim): Promise<boolean> {
    const deadline = this.opts.clock.now() + REPLACEMENT_TIMEOUT_MS;
    while (this.opts.clock.now() < deadline && !this.stopped) {
      const current = this.opts.state.nodeClaims.get(claim.metadata.name as string);
      if (!current) return false;
      if (hasCondition(current, 'Initialized')) return true;
      await this.opts.clock.sleep(1000);
    }
    return false;
  }

  private async untaint(candidates: Candidate[]): Promise<void> {
    for (const c of candidates) {
      const node =
        c.stateNode.node && (await this.opts.api.get(Kinds.Node, c.stateNode.node.metadata.name as string));
      if (!node) continue;
      await this.opts.api.patch(Kinds.Node, node.metadata.name as string, {
        spec: { taints: (node.spec?.taints ?? []).filter((t) => t.key !== Taints.disrupted.key) },
      });
    }
  }
}

/** Price of a running node: its instance type's offering in its zone and capacity type. */
function pricing(pools: SchedulingNodePool[]): (n: StateNode) => number | undefined {
  const types = new Map(pools.map((p) => [p.nodePool.metadata.name as string, p.instanceTypes]));
  return (n) =>
    types
      .get(n.nodePoolName ?? '')
      ?.find((it) => it.name === n.labels[Labels.instanceType])
      ?.offerings.find(
        (o) => o.zone === n.labels[Labels.zone] && o.capacityType === n.labels[Labels.capacityType],
      )?.price;
}

function sameCommand(a: Command, b: Command): boolean {
  const names = (c: Command) =>
    c.candidates
      .map((x) => x.stateNode.name)
      .sort()
      .join(',');
  if (a.reason !== b.reason || names(a) !== names(b)) return false;
  if (!a.replacement) return !b.replacement;
  if (!b.replacement) return false;
  // The replacement may only narrow: every option now on offer must have been on offer before.
  const before = new Set(a.replacement.instanceTypeOptions.map((it) => it.name));
  return b.replacement.instanceTypeOptions.every((it) => before.has(it.name));
}
