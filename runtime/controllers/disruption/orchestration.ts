/**
 * Carrying out a disruption command, the way Karpenter's orchestration queue does: taint the candidates
 * `karpenter.sh/disrupted`, launch the replacements and wait until they are initialized, then delete the
 * candidates' NodeClaims (termination drains them). Every step survives transient API faults, and a command that
 * fails part-way never leaves a node tainted for good.
 */
import { Annotations, Taints } from '../../../sdk/api/well-known';
import { isNotFound } from '../../kube/api';
import { hasCondition, setCondition } from '../../kube/conditions';
import { Kinds } from '../../kube/kinds';
import { nameOf, type NodeClaim } from '../../kube/objects';
import { patchFromCache, retrying, updateStatusFromCache } from '../../kube/retry';
import { sameTaint } from '../../scheduling/taints';
import {
  nodeClaimsCreatedTotal,
  recordNodeClaimDisrupted,
  voluntaryDisruptionQueueFailuresTotal,
} from '../../metrics';
import type { ControllerContext } from '../context';
import { createNodeClaim } from '../provisioning/nodeclaim-factory';
import { assignReservations } from '../../scheduling/reservations';
import type { Candidate } from './candidates';
import type { Command } from './methods';
import { decisionLabels } from './metrics';

/** How long a replacement may take to initialize before the command is undone. */
export const REPLACEMENT_TIMEOUT_MS = 10 * 60_000;

/** A command's destinations stay nominated this long past the last poll that found a candidate still there. */
export const DESTINATION_HOLD_MS = 20_000;

/** Stamp a drain deadline `boundMs` from now on the NodeClaim, only ever tightening one already there. */
export async function stampDrainBound(
  ctx: Pick<ControllerContext, 'api' | 'clock'>,
  claim: NodeClaim,
  boundMs: number,
): Promise<void> {
  const deadline = ctx.clock.now() + boundMs;
  const existing = Date.parse(claim.metadata.annotations?.[Annotations.nodeClaimTerminationTimestamp] ?? '');
  if (!Number.isNaN(existing) && existing <= deadline) return;
  await ctx.api.patch(Kinds.NodeClaim, nameOf(claim), {
    metadata: {
      annotations: { [Annotations.nodeClaimTerminationTimestamp]: new Date(deadline).toISOString() },
    },
  });
}

export interface OrchestrationOptions extends ControllerContext {
  /** The controller is stopping: stop waiting. */
  stopped: () => boolean;
  /** An Underutilized command removed these candidates. */
  onConsolidated: (candidates: Candidate[]) => void;
}

export class Orchestrator {
  /** Candidate node → the nodes its pods were counted onto, held while it drains (Command.destinations). */
  private readonly holds = new Map<string, string[]>();

  constructor(private readonly opts: OrchestrationOptions) {}

  /** Keeps the destinations of candidates still draining nominated; forgets those whose candidate is gone. */
  holdDestinations(): void {
    const { state, clock } = this.opts;
    for (const [candidate, destinations] of this.holds) {
      if (!state.nodes.get(candidate)) {
        this.holds.delete(candidate);
        continue;
      }
      for (const d of destinations) state.nominate(d, clock.now() + DESTINATION_HOLD_MS);
    }
  }

  private hold(command: Command): void {
    if (!command.destinations?.length) return;
    for (const c of command.candidates) this.holds.set(c.stateNode.name, command.destinations);
    this.holdDestinations();
  }

  private release(command: Command): void {
    for (const c of command.candidates) this.holds.delete(c.stateNode.name);
  }

  /**
   * Carry a command out: taint the candidates, launch the replacements and wait for them, then delete the
   * candidates' NodeClaims. Calls are retried through transient faults; a failure before any candidate is deleted
   * takes the taints back off (and `releaseStaleTaints` catches whatever that could not), so a half-done command
   * never strands a node that nothing will schedule to or remove.
   */
  async execute(command: Command): Promise<void> {
    const { logger } = this.opts;
    const names = command.candidates.map((c) => c.stateNode.name);
    const replacing = command.replacements.map((r) => r.instanceTypeOptions[0]?.name ?? '?');
    logger.info(
      {
        reason: command.reason,
        nodes: names,
        replacements: replacing,
        savings: command.savings,
        ...(command.destinations?.length ? { destinations: command.destinations } : {}),
      },
      'disrupting nodes',
    );
    this.hold(command);
    let initialized: number;
    try {
      initialized = await this.taintAndReplace(command, replacing);
    } catch (err) {
      this.release(command);
      this.failed(command, 0);
      await this.untaint(command.candidates).catch((e: unknown) =>
        logger.warn({ err: e }, 'could not take the disruption taint back off; the next poll will'),
      );
      throw err;
    }
    if (initialized < command.replacements.length) {
      this.release(command);
      this.failed(command, initialized);
      logger.warn({ nodes: names }, 'a replacement did not initialize; undoing disruption');
      await this.untaint(command.candidates);
      return;
    }
    for (const c of command.candidates) await this.deleteCandidate(c, command);
    if (command.reason === 'Underutilized') this.opts.onConsolidated(command.candidates);
  }

  /** A command given up: upstream counts the replacements that never initialized (0 for a deletion). */
  private failed(command: Command, initialized: number): void {
    voluntaryDisruptionQueueFailuresTotal.inc(
      decisionLabels(command),
      command.replacements.length - initialized,
    );
  }

  /** Taint the candidates and launch the replacements; returns how many of those initialized. */
  private async taintAndReplace(command: Command, replacing: string[]): Promise<number> {
    const { api, clock, recorder } = this.opts;
    for (const c of command.candidates) {
      const node = c.stateNode.node;
      if (!node) continue;
      const name = nameOf(node);
      await retrying(clock, () =>
        patchFromCache(api, Kinds.Node, name, this.opts.state.nodes.get(name), (current) => {
          const taints = current.spec?.taints ?? [];
          if (taints.some((t) => t.key === Taints.disrupted.key)) return undefined;
          return {
            spec: { taints: [...taints, { key: Taints.disrupted.key, effect: Taints.disrupted.effect }] },
          };
        }),
      );
      const detail = replacing.length ? `replacing with ${replacing.join(', ')}` : 'deleting';
      recorder.normal(node, 'DisruptionTerminating', `Disrupting Node: ${command.reason}/${detail}`);
      if (c.stateNode.nodeClaim)
        recorder.normal(
          c.stateNode.nodeClaim,
          'DisruptionTerminating',
          `Disrupting NodeClaim: ${command.reason}/${detail}`,
        );
    }
    // Replacements first, all at once; the candidates go only when every replacement is ready.
    const launched: NodeClaim[] = [];
    for (const plan of assignReservations(command.replacements)) {
      const replacement = await createNodeClaim(this.opts, plan);
      this.opts.state.nodeClaims.observe(replacement);
      recorder.normal(replacement, 'DisruptionLaunching', `Launching NodeClaim: ${command.reason}`);
      nodeClaimsCreatedTotal.inc({
        reason: command.reason.toLowerCase(),
        nodepool: plan.nodePoolName,
        min_values_relaxed: String(plan.minValuesRelaxed === true),
      });
      launched.push(replacement);
    }
    const ready = await Promise.all(launched.map((r) => this.awaitInitialized(r)));
    return ready.filter(Boolean).length;
  }

  private async deleteCandidate(c: Candidate, command: Command): Promise<void> {
    const { reason } = command;
    const { api, clock, logger } = this.opts;
    const claim = c.stateNode.nodeClaim as NodeClaim;
    const name = nameOf(claim);
    // The reason on the claim is for people reading it; failing to write it must not stop the deletion.
    const cached = this.opts.state.nodeClaims.get(name) ?? claim;
    await retrying(
      clock,
      () =>
        updateStatusFromCache(api, Kinds.NodeClaim, cached, (current) => {
          if (current.metadata.deletionTimestamp) return undefined;
          const conditions = setCondition(
            current.status?.conditions,
            'DisruptionReason',
            'True',
            clock.now(),
            reason,
          );
          return { ...current, status: { ...current.status, conditions } };
        }),
      { retryConflicts: true },
    ).catch((err: unknown) => {
      if (!isNotFound(err)) logger.warn({ err, nodeClaim: name }, 'could not record the disruption reason');
    });
    try {
      if (command.drainBoundMs !== undefined) await stampDrainBound(this.opts, cached, command.drainBoundMs);
      await retrying(clock, () => api.delete(Kinds.NodeClaim, name));
      // Drift goes through this queue too; only a consolidation reports the NodePool's policy, as upstream.
      const consolidation = decisionLabels(command).consolidation_type !== '';
      recordNodeClaimDisrupted(claim, {
        reason: reason.toLowerCase(),
        ...(consolidation ? { consolidationPolicy: c.nodePool.spec.disruption.consolidationPolicy } : {}),
        pods: c.reschedulablePods.length,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Between commands no node should carry the disruption taint unless its claim is being deleted: one that does
   * is left over from a command that failed part-way (and whose rollback failed too). Take it off.
   */
  async releaseStaleTaints(): Promise<void> {
    for (const n of this.opts.state.stateNodes()) {
      if (!n.managed || !n.node || !n.markedForDisruption || n.deleting) continue;
      this.opts.logger.info({ node: n.name }, 'removing a disruption taint left by an unfinished command');
      await this.untaintNode(nameOf(n.node));
    }
  }

  /**
   * Put the consolidation-candidate taint on exactly the `wanted` nodes (and on no other node of ours), so the
   * pods a command evicts go to the nodes that stay. Nodes on their way out are left as they are. A preference
   * only: a write that fails is logged and left to the next reconcile.
   */
  async steer(wanted: ReadonlySet<string>, keep: ReadonlySet<string> = new Set()): Promise<void> {
    const { api, clock, logger, state } = this.opts;
    for (const n of state.stateNodes()) {
      if (!n.managed || !n.node || n.deleting || keep.has(n.name)) continue;
      const has = n.taints.some((t) => sameTaint(t, Taints.consolidationCandidate));
      if (has === wanted.has(n.name)) continue;
      const name = nameOf(n.node);
      try {
        await retrying(clock, () =>
          patchFromCache(api, Kinds.Node, name, state.nodes.get(name), (current) => {
            const taints = current.spec?.taints ?? [];
            const present = taints.some((t) => sameTaint(t, Taints.consolidationCandidate));
            if (present === wanted.has(name)) return undefined;
            return {
              spec: {
                taints: present
                  ? taints.filter((t) => !sameTaint(t, Taints.consolidationCandidate))
                  : [...taints, { ...Taints.consolidationCandidate }],
              },
            };
          }),
        );
      } catch (err) {
        if (!isNotFound(err))
          logger.warn({ err, node: name }, 'could not update the consolidation-candidate taint');
      }
    }
  }

  private async awaitInitialized(claim: NodeClaim): Promise<boolean> {
    const deadline = this.opts.clock.now() + REPLACEMENT_TIMEOUT_MS;
    while (this.opts.clock.now() < deadline && !this.opts.stopped()) {
      const current = this.opts.state.nodeClaims.get(nameOf(claim));
      if (!current) return false;
      if (hasCondition(current, 'Initialized')) return true;
      await this.opts.clock.sleep(1000);
    }
    return false;
  }

  private async untaint(candidates: Candidate[]): Promise<void> {
    for (const c of candidates) {
      if (c.stateNode.node) await this.untaintNode(nameOf(c.stateNode.node));
    }
  }

  private async untaintNode(name: string): Promise<void> {
    const { api, clock } = this.opts;
    await retrying(clock, () =>
      patchFromCache(api, Kinds.Node, name, this.opts.state.nodes.get(name), (current) => {
        const taints = current.spec?.taints ?? [];
        if (!taints.some((t) => t.key === Taints.disrupted.key)) return undefined;
        return { spec: { taints: taints.filter((t) => t.key !== Taints.disrupted.key) } };
      }),
    );
  }
}
