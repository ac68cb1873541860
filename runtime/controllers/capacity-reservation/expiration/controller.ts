/**
 * Capacity block expiration: every minute, the reservations the cluster's nodes run in are asked about (by id), and
 * nodes in a capacity block EC2 is about to reclaim are deleted, so termination drains them while the instance is
 * still there (decisions in ./expiring.ts). Runs only for clouds with reservations.
 */
import { Labels } from '../../../../sdk/api/well-known';
import { isNotFound } from '../../../kube/api';
import { Kinds } from '../../../kube/kinds';
import { nameOf, type NodeClaim } from '../../../kube/objects';
import { reconcileQueue, type ControllerContext } from '../../context';
import type { Controller } from '../../controller';
import type { WorkQueue } from '../../work-queue';
import { claimsToDelete, reservationIdsOf } from './expiring';

export const RESERVATION_EXPIRATION_PERIOD_MS = 60_000;
const KEY = 'capacity-reservations';

export class CapacityReservationExpirationController implements Controller {
  readonly name = 'capacityreservation.expiration';
  readonly queue: WorkQueue;
  private polling = false;

  constructor(private readonly opts: ControllerContext) {
    this.queue = reconcileQueue(this.name, opts, () => this.reconcile());
  }

  /** Runs while some node is in a reservation: from the first such claim on, every minute. */
  start(): void {
    const inReservation = (claim: NodeClaim) =>
      claim.metadata.labels?.[Labels.capacityReservationId] !== undefined;
    // The label comes with the launch (a status update), so any change may bring the first such claim.
    this.opts.state.nodeClaims.onChange((_, claim) => {
      if (inReservation(claim)) this.poll();
    });
    if (this.opts.state.nodeClaims.list().some(inReservation)) this.poll();
  }

  /** Starts the minutely check unless it is running (its own requeue keeps it going). */
  private poll(): void {
    if (this.polling) return;
    this.polling = true;
    this.queue.add(KEY);
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private async reconcile(): Promise<{ requeueAfterMs: number } | void> {
    const ask = this.opts.cloud.expiringReservations?.bind(this.opts.cloud);
    const claims = this.opts.state.nodeClaims.list();
    const ids = reservationIdsOf(claims);
    if (!ask || ids.length === 0) {
      this.polling = false;
      return undefined;
    }
    for (const claim of claimsToDelete(claims, await ask(ids))) {
      const reservation = claim.metadata.labels?.[Labels.capacityReservationId];
      this.opts.logger.info(
        { nodeClaim: nameOf(claim), capacityReservationId: reservation },
        'initiating delete for capacity block expiration',
      );
      this.opts.recorder.normal(
        claim,
        'CapacityBlockExpiring',
        `Capacity block ${reservation} ends within 40 minutes: deleting the NodeClaim before EC2 reclaims it`,
      );
      try {
        await this.opts.api.delete(Kinds.NodeClaim, nameOf(claim));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return { requeueAfterMs: RESERVATION_EXPIRATION_PERIOD_MS };
  }
}
