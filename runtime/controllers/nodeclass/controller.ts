/**
 * EC2NodeClass termination: every node class carries the `karpenter.k8s.aws/termination` finalizer, so deleting
 * one waits until no NodeClaim uses it any more, then the cloud resources made for it (launch templates, the
 * instance profile) are deleted and the finalizer released. Without it they would leak, one set per deleted class.
 */
import { Finalizers } from '../../../sdk/api/well-known';
import { isNotFound } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { nameOf, type EC2NodeClass } from '../../kube/objects';
import { reconcileQueue, type ControllerContext } from '../context';
import type { Controller } from '../controller';
import type { WorkQueue } from '../work-queue';

/** How often a deleting node class checks whether its NodeClaims are gone. */
export const NODECLASS_WAIT_MS = 10_000;

export interface NodeClassFinalizerOptions extends ControllerContext {
  /** Delete what the cloud provider created for this node class. */
  cleanup: (nodeClass: EC2NodeClass) => Promise<void>;
}

export class NodeClassFinalizerController implements Controller {
  readonly name = 'nodeclass.finalizer';
  readonly queue: WorkQueue;

  constructor(private readonly opts: NodeClassFinalizerOptions) {
    this.queue = reconcileQueue('nodeclass.termination', opts, (key) => this.reconcile(key));
  }

  start(): void {
    this.opts.state.nodeClasses.onChange((type, nc) => {
      if (type !== 'DELETED') this.queue.add(nameOf(nc));
    });
    for (const nc of this.opts.state.nodeClasses.list()) this.queue.add(nameOf(nc));
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private async reconcile(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const { api, state, recorder, logger } = this.opts;
    const nodeClass = state.nodeClasses.get(name);
    if (!nodeClass) return;
    const finalizers = nodeClass.metadata.finalizers ?? [];
    const held = finalizers.includes(Finalizers.nodeClassTermination);
    if (!nodeClass.metadata.deletionTimestamp) {
      if (!held) {
        await api.patch(Kinds.EC2NodeClass, name, {
          metadata: { finalizers: [...finalizers, Finalizers.nodeClassTermination] },
        });
      }
      return;
    }
    if (!held) return;
    const users = state.nodeClaims.list((c) => c.spec.nodeClassRef.name === name);
    if (users.length > 0) {
      recorder.normal(
        nodeClass,
        'WaitingOnNodeClaimTermination',
        `Waiting on NodeClaim termination for ${users.map((c) => c.metadata.name).join(', ')}`,
      );
      return { requeueAfterMs: NODECLASS_WAIT_MS };
    }
    await this.opts.cleanup(nodeClass);
    logger.info({ nodeClass: name }, 'deleted the cloud resources of the node class');
    try {
      await api.patch(Kinds.EC2NodeClass, name, {
        metadata: { finalizers: finalizers.filter((f) => f !== Finalizers.nodeClassTermination) },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return undefined;
  }
}
