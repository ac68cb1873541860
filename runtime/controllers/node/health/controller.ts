/**
 * Node repair (the NodeRepair feature gate): every 10 s, repair at most one node whose condition matches one of the
 * cloud provider's repair policies past its toleration (decisions in ./repair.ts). As upstream's repair method, its
 * replacement launches first (./replace-first.ts), through the disruption controller's queue, and the NodeClaim is
 * deleted once it is up, with the policy's drain bound stamped as karpenter.sh/nodeclaim-termination-timestamp.
 * A node whose pods need no new node is deleted at once; one that cannot be replaced first waits, or with the
 * TerminateFirstRepair gate is deleted first where upstream does (a full reservation, a static pool at its limit).
 */
import { parseDuration } from '../../../../sdk/api/common';
import { Annotations, Labels } from '../../../../sdk/api/well-known';
import type { RepairPolicy } from '../../../cloudprovider/types';
import { isNotFound } from '../../../kube/api';
import { Kinds } from '../../../kube/kinds';
import { nameOf } from '../../../kube/objects';
import { disruptionsAllowed, pdbSelects } from '../../../kube/pdb';
import {
  nodeClaimsUnhealthyDisruptedTotal,
  recordNodeClaimDisrupted,
  snakeCase,
  terminationMode,
  voluntaryDisruptionTerminateFirstDecisionsTotal,
} from '../../../metrics';
import type { StateNode } from '../../../state/cluster-state';
import type { ControllerContext } from '../../context';
import type { Controller } from '../../controller';
import { Poller } from '../../poller';
import { poolBudgets } from '../../disruption/budgets';
import { podDoNotDisrupt, reschedulable, type Candidate } from '../../disruption/candidates';
import type { Command } from '../../disruption/methods';
import { stampDrainBound } from '../../disruption/orchestration';
import { headroomOn } from '../../disruption/headroom';
import type { DisruptionOptions } from '../../disruption/options';
import { simulator } from '../../disruption/simulation';
import { dynamicPools, staticCounts, staticReservations } from '../../disruption/static-drift';
import { creditedSimulator } from '../../disruption/terminate-first';
import { nodeLimit, staticClaimPlan } from '../../nodepool/static/replicas';
import { schedulingNodePools } from '../../provisioning/nodeclaim-factory';
import { loadVolumeContext, warnWithoutVolumes } from '../../volume-loader';
import { decideRepair, type RepairDecision, type RepairNode, type RepairVerdict } from './repair';
import { repairPlan, type RepairPlan } from './replace-first';

/**
 * Replacements are planned as the disruption controller plans them (minValues and preference policies, the
 * cluster-wide caps, volumes, the CapacityBuffers' headroom), so a repair never launches what a launch would not.
 */
export interface NodeHealthOptions
  extends
    ControllerContext,
    Pick<DisruptionOptions, 'minValuesPolicy' | 'preferencePolicy' | 'clusterCaps' | 'virtualPods'> {
  /** Carry out a replace-first command (the disruption controller's queue); false while it is busy. */
  replaceFirst: (command: Command) => Promise<boolean>;
  /** The TerminateFirstRepair gate (see ./replace-first.ts). @default false, as upstream */
  terminateFirst?: boolean;
  /** As for provisioning: USD/hour added to every node's price. @default 0 */
  perNodeCost?: number;
}

export const REPAIR_POLL_INTERVAL_MS = 10_000;

export class NodeHealthController implements Controller {
  readonly name = 'node.health';
  private readonly poller: Poller;
  private acting = false;
  private readonly policies: readonly RepairPolicy[];
  /** What each held node was last told, so an Event goes out only when it changes. */
  private readonly told = new Map<string, string>();
  /** The same for a node that cannot be replaced first. */
  private readonly toldBlocked = new Map<string, string>();

  constructor(private readonly opts: NodeHealthOptions) {
    this.poller = new Poller(
      opts.clock,
      REPAIR_POLL_INTERVAL_MS,
      () => this.poll(),
      (err) => opts.logger.error({ err }, 'node repair failed'),
    );
    this.policies = opts.cloud.repairPolicies();
    if (this.policies.length === 0) {
      throw new Error(
        `FEATURE_GATES: NodeRepair=true needs repair policies from the cloud provider, and "${opts.cloud.name}" defines none; set NodeRepair=false`,
      );
    }
  }

  start(): void {
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }

  get idle(): boolean {
    return !this.acting;
  }

  /** The decision over the cluster as it is now, without acting. */
  decide(): RepairDecision {
    const { state, clock } = this.opts;
    const now = clock.now();
    const stateNodes = state.stateNodes();
    const nodePools = new Map(state.nodePools.list().map((np) => [nameOf(np), np]));
    const budgets = new Map(
      [...poolBudgets(stateNodes, nodePools, 'Unhealthy', now)].map(([pool, b]) => [pool, b.allowed]),
    );
    const nodes = stateNodes.filter((n) => n.managed && n.node).map((n) => this.repairNode(n, now));
    return decideRepair(nodes, this.policies, budgets, now);
  }

  /** One pass; returns the node repaired, if any. Public so tests can drive it. */
  async poll(): Promise<RepairVerdict | undefined> {
    if (this.acting || !this.opts.state.synced) return undefined;
    this.acting = true;
    try {
      const decision = this.decide();
      this.publish(decision);
      if (decision.repair) await this.repair(decision.repair);
      return decision.repair;
    } finally {
      this.acting = false;
    }
  }

  private repairNode(n: StateNode, now: number): RepairNode {
    const node = n.node as NonNullable<StateNode['node']>;
    const claim = n.nodeClaim;
    const annotated = (a?: Record<string, string>) => a?.[Annotations.doNotRepair] === 'true';
    const pdbs = this.opts.state.pdbs.list();
    const blocking = reschedulable(n.pods).find((pod) => {
      if (podDoNotDisrupt(pod, now)) return true;
      const pdb = pdbs.find((p) => pdbSelects(p, pod));
      if (!pdb) return false;
      const inNamespace = this.opts.state.pods
        .list()
        .filter((p) => p.metadata.namespace === pdb.metadata.namespace);
      return disruptionsAllowed(pdb, inNamespace) <= 0;
    });
    const grace = claim?.spec.terminationGracePeriod;
    return {
      name: n.name,
      ...(n.nodePoolName !== undefined ? { nodePool: n.nodePoolName } : {}),
      createdAt: Date.parse(node.metadata.creationTimestamp ?? '') || 0,
      conditions: node.status?.conditions ?? [],
      initialized: n.initialized,
      deleting: n.deleting,
      doNotRepair: annotated(node.metadata.annotations) || annotated(claim?.metadata.annotations),
      ...(blocking ? { blockingPod: `${blocking.metadata.namespace}/${blocking.metadata.name}` } : {}),
      ...(grace !== undefined ? { claimTerminationGracePeriodMs: parseDuration(grace) } : {}),
    };
  }

  private publish(decision: RepairDecision): void {
    const held = new Set<string>();
    for (const h of decision.held) {
      held.add(h.node);
      if (this.told.get(h.node) === h.message) continue;
      this.told.set(h.node, h.message);
      const node = this.opts.state.stateNodes().find((n) => n.name === h.node)?.node;
      if (!node) continue;
      if (h.event === 'NodeRepairBlocked') this.opts.recorder.warning(node, h.event, h.message);
      else this.opts.recorder.normal(node, h.event, h.message);
    }
    for (const name of [...this.told.keys()]) if (!held.has(name)) this.told.delete(name);
  }

  /** How the node would be repaired now: replaced first, deleted first, or not yet. */
  private async plan(stateNode: StateNode, candidate: Candidate): Promise<RepairPlan> {
    const { state, cloud, clusterCaps } = this.opts;
    const pools = await schedulingNodePools(state, cloud, this.opts.perNodeCost, undefined, clusterCaps);
    const settled = state.schedulableNodes().filter((n) => !n.inFlight);
    const headroom = headroomOn(this.opts.virtualPods?.() ?? [], settled).pods;
    const volumes = await loadVolumeContext(
      this.opts.api,
      candidate.reschedulablePods,
      warnWithoutVolumes(this.opts.logger),
    );
    const dynamic = dynamicPools(pools);
    const pool = pools.find((p) => nameOf(p.nodePool) === stateNode.nodePoolName);
    const fixed = candidate.nodePool.spec.replicas !== undefined;
    let room = 0;
    let scalingDown = false;
    if (fixed) {
      const { active, pendingDisruption, deleting } = staticCounts(
        state.stateNodes(),
        nameOf(candidate.nodePool),
      );
      const limit = nodeLimit(candidate.nodePool);
      room = limit === undefined ? 1 : limit - active - pendingDisruption - deleting;
      scalingDown = active + pendingDisruption > (candidate.nodePool.spec.replicas ?? 0);
    }
    return repairPlan({
      candidate,
      simulate: simulator(dynamic, settled, this.opts, volumes, headroom),
      terminateFirst: this.opts.terminateFirst === true,
      credited: creditedSimulator(dynamic, settled, this.opts, volumes, headroom),
      ...(fixed
        ? {
            static: {
              scalingDown,
              room,
              plan: pool ? staticClaimPlan(pool) : 'its instance types are unknown',
              ...(this.opts.terminateFirst && pool ? { reservations: staticReservations(pool) } : {}),
            },
          }
        : {}),
    });
  }

  private async repair(v: RepairVerdict): Promise<void> {
    const stateNode = this.opts.state.stateNodes().find((n) => n.name === v.node.name);
    const claim = stateNode?.nodeClaim;
    const nodePool = this.opts.state.nodePools.get(stateNode?.nodePoolName ?? '');
    if (!stateNode?.node || !claim || !nodePool) return;
    const pods = reschedulable(stateNode.pods);
    const candidate: Candidate = {
      stateNode,
      nodePool,
      price: 0,
      reschedulablePods: pods,
      disruptionCost: 0,
    };
    const plan = await this.plan(stateNode, candidate);
    if (plan.kind === 'blocked') {
      if (this.toldBlocked.get(v.node.name) !== plan.message) {
        this.toldBlocked.set(v.node.name, plan.message);
        this.opts.recorder.normal(stateNode.node, 'DisruptionBlocked', plan.message);
        this.opts.logger.info({ node: v.node.name, reason: plan.message }, 'unhealthy node waits');
      }
      return;
    }
    this.toldBlocked.delete(v.node.name);
    if (plan.kind === 'replace' && plan.replacements.length > 0) {
      const command: Command = {
        reason: 'Unhealthy',
        candidates: [candidate],
        replacements: plan.replacements,
        savings: 0,
        destinations: plan.destinations,
        ...(v.drainBoundMs !== undefined ? { drainBoundMs: v.drainBoundMs } : {}),
      };
      if (!(await this.opts.replaceFirst(command))) return;
      const after = this.opts.state.nodeClaims.get(nameOf(claim));
      if (after && !after.metadata.deletionTimestamp) return; // the replacement did not come up: undone
      this.recordUnhealthy(v, claim);
      return;
    }
    await this.deleteFirst(v, stateNode, plan.kind === 'terminate-first' ? plan.reason : undefined);
  }

  /** Delete the node now: its pods need no new node, or (terminate-first) none can launch before it goes. */
  private async deleteFirst(v: RepairVerdict, stateNode: StateNode, terminateFirst?: string): Promise<void> {
    const claim = stateNode.nodeClaim as NonNullable<StateNode['nodeClaim']>;
    const node = stateNode.node as NonNullable<StateNode['node']>;
    const claimName = nameOf(claim);
    if (v.drainBoundMs !== undefined) await stampDrainBound(this.opts, claim, v.drainBoundMs);
    try {
      await this.opts.api.delete(Kinds.NodeClaim, claimName);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const condition = `${v.condition.type}=${v.condition.status}${v.condition.reason ? ` (${v.condition.reason})` : ''}`;
    const nodepool = claim.metadata.labels?.[Labels.nodePool] ?? '';
    this.opts.logger.info(
      { node: v.node.name, nodeClaim: claimName, condition, ...(terminateFirst ? { terminateFirst } : {}) },
      'deleting unhealthy node',
    );
    this.opts.recorder.normal(node, 'DisruptionTerminating', 'Disrupting Node: Unhealthy');
    recordNodeClaimDisrupted(claim, { reason: 'unhealthy', pods: reschedulable(stateNode.pods).length });
    if (terminateFirst) {
      voluntaryDisruptionTerminateFirstDecisionsTotal.inc({
        nodepool,
        reason: 'unhealthy',
        terminate_first_reason: terminateFirst,
      });
    }
    this.recordUnhealthy(v, claim);
  }

  private recordUnhealthy(v: RepairVerdict, claim: NonNullable<StateNode['nodeClaim']>): void {
    const mode = v.drainBoundMs === undefined ? undefined : v.drainBoundMs <= 0 ? 'forceful' : 'eventual';
    nodeClaimsUnhealthyDisruptedTotal.inc({
      condition: snakeCase(v.condition.type),
      nodepool: claim.metadata.labels?.[Labels.nodePool] ?? '',
      capacity_type: claim.metadata.labels?.[Labels.capacityType] ?? '',
      image_id: claim.status?.imageID ?? '',
      termination_mode: mode ?? terminationMode(claim),
    });
  }
}
