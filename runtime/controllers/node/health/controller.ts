/**
 * Node repair (the NodeRepair feature gate): every 10 s, replace at most one node whose condition matches one of the
 * cloud provider's repair policies past its toleration (decisions in ./repair.ts). The NodeClaim is deleted, with
 * the policy's drain bound stamped as karpenter.sh/nodeclaim-termination-timestamp; termination drains it and the
 * provisioner replaces what its pods need.
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
} from '../../../metrics';
import type { StateNode } from '../../../state/cluster-state';
import type { ControllerContext } from '../../context';
import type { Controller } from '../../controller';
import { Poller } from '../../poller';
import { poolBudgets } from '../../disruption/budgets';
import { podDoNotDisrupt, reschedulable } from '../../disruption/candidates';
import { decideRepair, type RepairDecision, type RepairNode, type RepairVerdict } from './repair';

export const REPAIR_POLL_INTERVAL_MS = 10_000;

export class NodeHealthController implements Controller {
  readonly name = 'node.health';
  private readonly poller: Poller;
  private acting = false;
  private readonly policies: readonly RepairPolicy[];
  /** What each held node was last told, so an Event goes out only when it changes. */
  private readonly told = new Map<string, string>();

  constructor(private readonly opts: ControllerContext) {
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

  private async repair(v: RepairVerdict): Promise<void> {
    const stateNode = this.opts.state.stateNodes().find((n) => n.name === v.node.name);
    const claim = stateNode?.nodeClaim;
    if (!stateNode?.node || !claim) return;
    const claimName = nameOf(claim);
    const now = this.opts.clock.now();
    if (v.drainBoundMs !== undefined) {
      // Stamped just before the delete, and only ever tightened: another deleter's earlier deadline stands.
      const deadline = now + v.drainBoundMs;
      const existing = Date.parse(
        claim.metadata.annotations?.[Annotations.nodeClaimTerminationTimestamp] ?? '',
      );
      if (Number.isNaN(existing) || existing > deadline) {
        await this.opts.api.patch(Kinds.NodeClaim, claimName, {
          metadata: {
            annotations: { [Annotations.nodeClaimTerminationTimestamp]: new Date(deadline).toISOString() },
          },
        });
      }
    }
    try {
      await this.opts.api.delete(Kinds.NodeClaim, claimName);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const condition = `${v.condition.type}=${v.condition.status}${v.condition.reason ? ` (${v.condition.reason})` : ''}`;
    this.opts.logger.info({ node: v.node.name, nodeClaim: claimName, condition }, 'deleting unhealthy node');
    this.opts.recorder.normal(stateNode.node, 'DisruptionTerminating', 'Disrupting Node: Unhealthy');
    recordNodeClaimDisrupted(claim, { reason: 'unhealthy', pods: reschedulable(stateNode.pods).length });
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
