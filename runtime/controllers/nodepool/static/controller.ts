/**
 * Static capacity: keeps each static NodePool (`spec.replicas`) at that many NodeClaims, creating the missing ones
 * and removing the excess (replicas.ts decides), as upstream's static.provisioning and static.deprovisioning
 * controllers do. Behind the StaticCapacity feature gate: off (upstream's default), a static pool gets no nodes,
 * as upstream, and a Warning Event on the pool says which setting to change instead of nothing at all.
 *
 * Counts come from a fresh list of the pool's NodeClaims, not the cache: a create whose answer was lost, or
 * one whose watch event has not arrived, must not be made a second time.
 */
import { Labels } from '../../../../sdk/api/well-known';
import { isNotFound } from '../../../kube/api';
import { Kinds } from '../../../kube/kinds';
import { nameOf, type NodeClaim, type NodePool } from '../../../kube/objects';
import type { StateNode } from '../../../state/cluster-state';
import { reconcileQueue, type ControllerContext } from '../../context';
import type { Controller } from '../../controller';
import { disruptionCost, podDoNotDisrupt, reschedulable } from '../../disruption/candidates';
import { createNodeClaim, pricedInstanceTypes } from '../../provisioning/nodeclaim-factory';
import type { WorkQueue } from '../../work-queue';
import { decideReplicas, isStaticNodePool, nodeLimit, staticClaimPlan, type StaticClaim } from './replicas';

export interface StaticCapacityOptions extends ControllerContext {
  /** The StaticCapacity feature gate. @default false, as upstream */
  enabled?: boolean;
  /** As for provisioning: USD/hour added to every node's price when choosing instance types. @default 0 */
  perNodeCost?: number;
}

/** How long to wait for the cluster state to sync before deciding (upstream: 1 s). */
const SYNC_RETRY_MS = 1000;

export const STATIC_CAPACITY_DISABLED =
  'spec.replicas makes this a static NodePool, but the StaticCapacity feature gate is off, so it gets no nodes: set FEATURE_GATES=StaticCapacity=true on the controller, or remove replicas and create the pool again as a dynamic one';

export class StaticCapacityController implements Controller {
  readonly name = 'nodepool.static';
  readonly queue: WorkQueue;
  /** Pools already told that the gate is off (told again after a restart, as an Event would be). */
  private readonly warned = new Set<string>();

  constructor(private readonly opts: StaticCapacityOptions) {
    this.queue = reconcileQueue('nodepool.static', opts, (key) => this.reconcile(key));
  }

  start(): void {
    const { state } = this.opts;
    const enqueue = (poolName: string | undefined) => {
      const pool = poolName ? state.nodePools.get(poolName) : undefined;
      if (pool && isStaticNodePool(pool)) this.queue.add(nameOf(pool));
    };
    state.nodePools.onChange((type, pool) => {
      if (type !== 'DELETED' && isStaticNodePool(pool)) this.queue.add(nameOf(pool));
    });
    // A claim coming, going, starting to delete or launching (unlaunched claims go first in a scale-down).
    state.nodeClaims.onChange((type, claim, old) => {
      if (
        type === 'MODIFIED' &&
        old &&
        Boolean(old.metadata.deletionTimestamp) === Boolean(claim.metadata.deletionTimestamp) &&
        Boolean(old.status?.providerID) === Boolean(claim.status?.providerID)
      )
        return;
      enqueue(claim.metadata.labels?.[Labels.nodePool]);
    });
    // A drift command's taint makes a claim pending disruption, and taking it off makes it active again.
    state.nodes.onChange((type, node, old) => {
      if (type === 'MODIFIED' && JSON.stringify(node.spec?.taints) === JSON.stringify(old?.spec?.taints))
        return;
      enqueue(node.metadata.labels?.[Labels.nodePool]);
    });
    for (const pool of state.nodePools.list(isStaticNodePool)) this.queue.add(nameOf(pool));
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private async reconcile(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const { state, api, logger } = this.opts;
    const pool = state.nodePools.get(name);
    if (!pool || pool.spec.replicas === undefined || pool.metadata.deletionTimestamp) return undefined;
    if (!this.opts.enabled) return this.warnDisabled(pool);
    // A cache still filling would show too few claims, and the pool would get more than it asks for.
    if (!state.synced) return { requeueAfterMs: SYNC_RETRY_MS };
    // As upstream: a pool whose node class or spec is not ready gets no new nodes (its status change re-queues it).
    const ready = pool.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const listed = await api.list(Kinds.NodeClaim, { labelSelector: `${Labels.nodePool}=${name}` });
    const claims = this.staticClaims(pool, listed.items);
    const decision = decideReplicas(pool.spec.replicas, nodeLimit(pool), claims);
    const log = { nodePool: name, replicas: pool.spec.replicas, ...decision.counts };
    if (decision.action === 'remove') {
      logger.info(
        { ...log, nodeClaims: decision.claims },
        'deprovisioning nodeclaims to satisfy replica count',
      );
      for (const claim of decision.claims) {
        try {
          await api.delete(Kinds.NodeClaim, claim);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return undefined;
    }
    if (decision.action === 'none') {
      if (decision.atNodeLimit)
        logger.info({ ...log, reason: decision.atNodeLimit }, 'nodepool node limit reached');
      return undefined;
    }
    if (!ready) return undefined;
    const plan = staticClaimPlan({
      nodePool: pool,
      instanceTypes: await pricedInstanceTypes(this.opts.cloud, pool, this.opts.perNodeCost),
      daemonOverhead: state.daemonOverhead(pool),
    });
    if (typeof plan === 'string') {
      this.opts.recorder.warning(pool, 'StaticCapacityUnavailable', plan);
      throw new Error(`NodePool ${name}: ${plan}`);
    }
    logger.info({ ...log, create: decision.count }, 'provisioning nodeclaims to satisfy replica count');
    // One at a time: a failure stops the round, and the retry lists again before creating more.
    for (let i = 0; i < decision.count; i++) {
      const created = await createNodeClaim(this.opts, plan);
      state.nodeClaims.observe(created);
    }
    return undefined;
  }

  private warnDisabled(pool: NodePool): void {
    const name = nameOf(pool);
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.opts.logger.warn({ nodePool: name }, STATIC_CAPACITY_DISABLED);
    this.opts.recorder.warning(pool, 'StaticCapacityDisabled', STATIC_CAPACITY_DISABLED);
  }

  private staticClaims(pool: NodePool, claims: NodeClaim[]): StaticClaim[] {
    const now = this.opts.clock.now();
    const byClaim = new Map<string, StateNode>();
    for (const n of this.opts.state.stateNodes()) if (n.nodeClaim) byClaim.set(nameOf(n.nodeClaim), n);
    return claims.map((claim) => {
      const n = byClaim.get(nameOf(claim));
      const pods = n?.pods ?? [];
      const createdAt = Date.parse(claim.metadata.creationTimestamp ?? '') || now;
      return {
        name: nameOf(claim),
        launched: Boolean(claim.status?.providerID),
        deleting: Boolean(claim.metadata.deletionTimestamp || n?.deleting),
        pendingDisruption: n?.markedForDisruption ?? false,
        reschedulablePods: reschedulable(pods).length,
        doNotDisrupt: pods.some((p) => podDoNotDisrupt(p, now)),
        disruptionCost: disruptionCost(reschedulable(pods), pool, createdAt, now),
      };
    });
  }
}
