/**
 * NodePool status: resources, node count and the ValidationSucceeded / NodeClassReady / Ready conditions
 * (status.ts decides them), so `kubectl get nodepools` shows what it shows under upstream Karpenter, and
 * NodeRegistrationHealthy with nodeClassObservedGeneration (registration-health.ts: reset here when the pool's or its
 * node class's generation moves, fed by the lifecycle controller). Recomputed when the pool, its node class, its
 * launches' verdict, or any of its nodes or claims change; written only when something differs.
 */
import { Labels } from '../../../../sdk/api/well-known';
import { isNotFound } from '../../../kube/api';
import { Kinds } from '../../../kube/kinds';
import type { Informer } from '../../../kube/informer';
import { nameOf, type EC2NodeClass, type Node, type NodeClaim, type NodePool } from '../../../kube/objects';
import { updateStatusFromCache } from '../../../kube/retry';
import { fromResourceList } from '../../../scheduling/resources';
import { reconcileQueue, type ControllerContext } from '../../context';
import type { Controller } from '../../controller';
import type { WorkQueue } from '../../work-queue';
import { nodePoolStatus, statusChanged } from './status';
import { needsReset, REGISTRATION_HEALTHY, type RegistrationHealth } from './registration-health';
import { pricedInstanceTypes } from '../../provisioning/nodeclaim-factory';
import { poolSpend, spendCap } from '../../../scheduling/spend';

/** Two versions of a node or claim count the same toward their pool's status. */
function sameCount(a: NodeClaim | Node, b: NodeClaim | Node): boolean {
  return (
    a.metadata.labels?.[Labels.nodePool] === b.metadata.labels?.[Labels.nodePool] &&
    Boolean(a.metadata.deletionTimestamp) === Boolean(b.metadata.deletionTimestamp) &&
    JSON.stringify(a.status?.capacity) === JSON.stringify(b.status?.capacity)
  );
}

export interface NodePoolStatusOptions extends ControllerContext {
  /** Recent launch outcomes per pool, shared with the NodeClaim lifecycle controller that records them. */
  registrationHealth: RegistrationHealth;
}

export class NodePoolStatusController implements Controller {
  readonly name = 'nodepool.status';
  readonly queue: WorkQueue;

  constructor(private readonly opts: NodePoolStatusOptions) {
    this.queue = reconcileQueue('nodepool.status', opts, (key) => this.reconcile(key));
  }

  start(): void {
    const { state } = this.opts;
    const poolOf = (labels: Record<string, string> | undefined) => {
      const pool = labels?.[Labels.nodePool];
      if (pool) this.queue.add(pool);
    };
    state.nodePools.onChange((type, pool) => {
      if (type !== 'DELETED') this.queue.add(nameOf(pool));
      else this.opts.registrationHealth.forget(pool.metadata.uid ?? nameOf(pool));
    });
    this.opts.registrationHealth.onChange((pool) => this.queue.add(pool));
    state.nodeClasses.onChange((_type, nodeClass) => this.poolsOf(nodeClass));
    // Only what the status counts: a node or claim coming, going, being deleted, or changing capacity or pool. A
    // Node's heartbeats (status conditions every few seconds) are not worth a recount.
    const watch = <T extends NodeClaim | Node>(informer: Informer<T>) =>
      informer.onChange((type, obj, old) => {
        if (type === 'MODIFIED' && old && sameCount(obj, old)) return;
        poolOf(obj.metadata.labels);
        poolOf(old?.metadata.labels);
      });
    watch(state.nodeClaims);
    watch(state.nodes);
    for (const pool of state.nodePools.list()) this.queue.add(nameOf(pool));
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private poolsOf(nodeClass: EC2NodeClass): void {
    const name = nameOf(nodeClass);
    for (const pool of this.opts.state.nodePools.list(
      (p) => p.spec.template.spec.nodeClassRef.name === name,
    )) {
      this.queue.add(nameOf(pool));
    }
  }

  /** USD/hour of a spend-capped pool's nodes, as its cap counts them; undefined without a cap or a catalog. */
  private async costPerHour(pool: NodePool): Promise<number | undefined> {
    if (spendCap(pool) === undefined) return undefined;
    try {
      const types = await pricedInstanceTypes(this.opts.cloud, pool);
      const adjust = this.opts.cloud.nodePriceAdjustment?.bind(this.opts.cloud);
      return poolSpend(this.opts.state.stateNodes(), nameOf(pool), types, 0, adjust);
    } catch {
      return undefined; // the provisioner reports a pool whose instance types cannot be read
    }
  }

  private async reconcile(name: string): Promise<void> {
    const { state, api, clock, cloud } = this.opts;
    const pool = state.nodePools.get(name);
    if (!pool || pool.metadata.deletionTimestamp) return;
    const capacities = state
      .stateNodes()
      .filter((n) => n.nodePoolName === name && n.nodeClaim && !n.deleting)
      .map((n) => fromResourceList(n.nodeClaim?.status?.capacity ?? n.node?.status?.capacity));
    const costPerHour = await this.costPerHour(pool);
    const nodeClass = state.nodeClasses.get(pool.spec.template.spec.nodeClassRef.name);
    const health = this.opts.registrationHealth;
    const uid = pool.metadata.uid ?? name;
    // After a restart, carry on from the condition the pool shows; a changed spec starts the count afresh.
    health.hydrate(
      uid,
      pool.status?.conditions?.find((c) => c.type === REGISTRATION_HEALTHY),
    );
    if (nodeClass && needsReset(pool, nodeClass)) health.reset(uid);
    const input = {
      ...(costPerHour !== undefined ? { costPerHour } : {}),
      nodePool: pool,
      capacities,
      nodeClass,
      registration: health.verdict(uid),
      nodeClassStatusManaged: cloud.reportsNodeClassStatus === true,
      now: clock.now(),
    };
    if (!statusChanged(pool.status, nodePoolStatus(input))) return;
    try {
      const written = await updateStatusFromCache(api, Kinds.NodePool, pool, (current: NodePool) => {
        if (current.metadata.deletionTimestamp) return undefined;
        const status = nodePoolStatus({ ...input, nodePool: current });
        return statusChanged(current.status, status) ? { ...current, status } : undefined;
      });
      if (written) state.nodePools.observe(written);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
