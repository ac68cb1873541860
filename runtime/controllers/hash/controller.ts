/**
 * Hash: keeps the drift hash annotations current (stamps.ts decides them). Every NodePool and EC2NodeClass gets its
 * hash and hash version; a NodeClaim stamped with another hash version is re-stamped, so a new hash version (or a
 * fleet launched by upstream Karpenter) is not read as drift of every node and static drift is still detected
 * afterwards. As upstream's nodepool.hash and nodeclass.hash controllers.
 */
import { Labels } from '../../../sdk/api/well-known';
import { isNotFound } from '../../kube/api';
import type { Informer } from '../../kube/informer';
import { Kinds, type ResourceKind } from '../../kube/kinds';
import { nameOf, type KubeObject } from '../../kube/objects';
import { reconcileQueue, type ControllerContext } from '../context';
import type { Controller } from '../controller';
import type { WorkQueue } from '../work-queue';
import { nodeClaimRestamp, nodeClassStamp, nodePoolStamp } from './stamps';

const POOL = 'nodepool/';
const CLASS = 'ec2nodeclass/';
const CLAIM = 'nodeclaim/';

export class HashController implements Controller {
  readonly name = 'hash';
  readonly queue: WorkQueue;

  constructor(private readonly opts: ControllerContext) {
    this.queue = reconcileQueue('hash', opts, (key) => this.reconcile(key));
  }

  start(): void {
    const { state } = this.opts;
    const watch = <T extends KubeObject>(informer: Informer<T>, prefix: string) => {
      informer.onChange((type, obj) => {
        if (type !== 'DELETED') this.queue.add(prefix + nameOf(obj));
      });
      for (const obj of informer.list()) this.queue.add(prefix + nameOf(obj));
    };
    watch(state.nodePools, POOL);
    watch(state.nodeClasses, CLASS);
    watch(state.nodeClaims, CLAIM);
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private async reconcile(key: string): Promise<void> {
    const { state } = this.opts;
    if (key.startsWith(POOL)) {
      const pool = state.nodePools.get(key.slice(POOL.length));
      if (pool && !pool.metadata.deletionTimestamp)
        await this.annotate(Kinds.NodePool, state.nodePools, nameOf(pool), nodePoolStamp(pool));
      return;
    }
    if (key.startsWith(CLASS)) {
      const nodeClass = state.nodeClasses.get(key.slice(CLASS.length));
      if (nodeClass && !nodeClass.metadata.deletionTimestamp)
        await this.annotate(
          Kinds.EC2NodeClass,
          state.nodeClasses,
          nameOf(nodeClass),
          nodeClassStamp(nodeClass),
        );
      return;
    }
    const claim = state.nodeClaims.get(key.slice(CLAIM.length));
    if (!claim || claim.metadata.deletionTimestamp) return;
    const pool = claim.metadata.labels?.[Labels.nodePool];
    const nodePool = pool ? state.nodePools.get(pool) : undefined;
    const nodeClass = state.nodeClasses.get(claim.spec.nodeClassRef.name);
    const restamp = nodeClaimRestamp(claim, nodePool, nodeClass);
    await this.annotate(Kinds.NodeClaim, state.nodeClaims, nameOf(claim), restamp);
  }

  private async annotate<T extends KubeObject>(
    kind: ResourceKind<T>,
    cache: Informer<T>,
    name: string,
    annotations: Record<string, string> | undefined,
  ): Promise<void> {
    if (!annotations) return;
    try {
      // A merge patch of annotations adds these keys and leaves every other annotation as it is. The written
      // object goes into the cache at once, so the change event that follows finds nothing to do.
      cache.observe(await this.opts.api.patch(kind, name, { metadata: { annotations } }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
