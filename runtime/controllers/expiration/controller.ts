/**
 * Expiration: a NodeClaim is deleted once its `expireAfter` has passed since it was created, whatever the
 * disruption budgets say (they govern voluntary disruption, and expiry is a promise to the user that no node lives
 * longer). Termination drains it through PDBs; the provisioner finds the evicted pods a new home.
 */
import { parseDurationOrNever } from '../../../sdk/api/common';
import { isNotFound } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { nameOf } from '../../kube/objects';
import { recordNodeClaimDisrupted } from '../../metrics';
import { reschedulable } from '../disruption/candidates';
import { reconcileQueue, type ControllerContext } from '../context';
import type { Controller } from '../controller';
import type { WorkQueue } from '../work-queue';

export class ExpirationController implements Controller {
  readonly name = 'expiration';
  readonly queue: WorkQueue;

  constructor(private readonly opts: ControllerContext) {
    this.queue = reconcileQueue('expiration', opts, (key) => this.reconcile(key));
  }

  start(): void {
    this.opts.state.nodeClaims.onChange((type, claim) => {
      if (type === 'ADDED') this.queue.add(nameOf(claim));
    });
    for (const claim of this.opts.state.nodeClaims.list()) this.queue.add(nameOf(claim));
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private async reconcile(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const claim = this.opts.state.nodeClaims.get(name);
    if (!claim || claim.metadata.deletionTimestamp) return;
    const lifetime = parseDurationOrNever(claim.spec.expireAfter);
    if (lifetime === undefined) return;
    const expiresAt = Date.parse(claim.metadata.creationTimestamp ?? '') + lifetime;
    const now = this.opts.clock.now();
    if (Number.isNaN(expiresAt)) return;
    if (now < expiresAt) return { requeueAfterMs: expiresAt - now };
    this.opts.recorder.normal(claim, 'Expired', `NodeClaim expired after ${claim.spec.expireAfter}`);
    this.opts.logger.info({ nodeClaim: name, expireAfter: claim.spec.expireAfter }, 'expiring nodeclaim');
    try {
      await this.opts.api.delete(Kinds.NodeClaim, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return undefined;
    }
    // Its pods are still bound (the drain has not started): they are the pods this expiry disrupts.
    const pods = reschedulable(this.opts.state.podsOn(claim.status?.nodeName)).length;
    recordNodeClaimDisrupted(claim, { reason: 'expired', pods });
    return undefined;
  }
}
