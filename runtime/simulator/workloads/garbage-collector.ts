import type { WatchEventType } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import type { KubeObject } from '../../kube/objects';
import { QueuedController, type WorkloadContext } from './queued-controller';
import { CONTROLLER_INDEX, controllerRef, deleteToleratingMissing } from './shared';

/**
 * Deletes what a deleted owner leaves behind (ReplicaSets of a Deployment, pods of a ReplicaSet, StatefulSet or
 * DaemonSet), as the API server's garbage collector does for background cascading deletion. Keys are owner uids.
 */
export class GarbageCollector extends QueuedController {
  constructor(ctx: WorkloadContext) {
    super('sim.garbage-collector', ctx);
    const onOwner = (type: WatchEventType, owner: KubeObject): void => {
      if (type === 'DELETED' && owner.metadata.uid) this.enqueue(owner.metadata.uid);
    };
    ctx.deployments.onChange(onOwner);
    ctx.replicaSets.onChange(onOwner);
    ctx.statefulSets.onChange(onOwner);
    ctx.daemonSets.onChange(onOwner);
  }

  protected resyncKeys(): string[] {
    // Owners deleted while nothing was watching.
    const live = this.liveOwners();
    const missing = new Set<string>();
    for (const obj of [...this.ctx.replicaSets.list(), ...this.ctx.pods.list()]) {
      const ref = controllerRef(obj);
      if (ref && OWNER_KINDS.has(ref.kind) && !live.has(ref.uid)) missing.add(ref.uid);
    }
    return [...missing].sort();
  }

  protected async reconcile(uid: string): Promise<void> {
    if (this.liveOwners().has(uid)) return;
    for (const rs of this.ctx.replicaSets.byIndex(CONTROLLER_INDEX, uid))
      await deleteToleratingMissing(this.ctx.api, Kinds.ReplicaSet, rs);
    for (const pod of this.ctx.pods.byIndex(CONTROLLER_INDEX, uid))
      await deleteToleratingMissing(this.ctx.api, Kinds.Pod, pod);
  }

  private liveOwners(): Set<string> {
    const { deployments, replicaSets, statefulSets, daemonSets } = this.ctx;
    const owners: KubeObject[] = [
      ...deployments.list(),
      ...replicaSets.list(),
      ...statefulSets.list(),
      ...daemonSets.list(),
    ];
    return new Set(owners.map((o) => o.metadata.uid ?? ''));
  }
}

const OWNER_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);
