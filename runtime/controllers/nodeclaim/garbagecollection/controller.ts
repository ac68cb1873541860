/**
 * Garbage collection between the cluster and the cloud, both ways: instances that no NodeClaim owns (a crash
 * between launch and the status write, a claim deleted by hand) are terminated so nobody pays for them, and
 * NodeClaims whose instance vanished (terminated outside Karpenter) are deleted so their pods get a new plan.
 */
import { isNotFound } from '../../../kube/api';
import { hasCondition } from '../../../kube/conditions';
import { Kinds } from '../../../kube/kinds';
import { nameOf, type NodeClaim } from '../../../kube/objects';
import type { ControllerContext } from '../../context';
import type { Controller } from '../../controller';
import { NodeClaimNotFoundError } from '../../../cloudprovider/types';
import { recordNodeClaimDisrupted } from '../../../metrics';
import { reschedulable } from '../../disruption/candidates';
import { Poller } from '../../poller';

/** How often the cloud is listed, as upstream. */
export const GC_INTERVAL_MS = 2 * 60_000;
/** An instance younger than this may simply not have its providerID written back yet. */
export const LEAK_GRACE_MS = 30_000;

export interface GarbageVerdict {
  /** Cloud instances (as the cloud describes them) no NodeClaim owns. */
  leaked: NodeClaim[];
  /** Launched NodeClaims whose instance the cloud no longer has. */
  vanished: NodeClaim[];
}

/**
 * Pure: compare what the cloud runs with the NodeClaims the cluster holds. An instance is owned only by the claim
 * whose providerID names it; one tagged with a claim that records no instance yet may be that claim's launch with
 * its status write still in flight, but one whose claim names another instance is a leak (a second launch).
 */
export function findGarbage(cloud: NodeClaim[], claims: NodeClaim[], now: number): GarbageVerdict {
  const ownedIDs = new Set(claims.map((c) => c.status?.providerID).filter(Boolean));
  const claimByName = new Map(claims.map((c) => [c.metadata.name, c]));
  const leaked = cloud.filter((instance) => {
    if (ownedIDs.has(instance.status?.providerID)) return false;
    const tagged = instance.metadata.name ? claimByName.get(instance.metadata.name) : undefined;
    if (tagged && !tagged.status?.providerID) return false;
    const launched = Date.parse(instance.metadata.creationTimestamp ?? '');
    return Number.isNaN(launched) || now - launched >= LEAK_GRACE_MS;
  });
  const running = new Set(cloud.map((c) => c.status?.providerID));
  const vanished = claims.filter(
    (c) =>
      !c.metadata.deletionTimestamp &&
      hasCondition(c, 'Launched') &&
      c.status?.providerID !== undefined &&
      !running.has(c.status.providerID),
  );
  return { leaked, vanished };
}

export class GarbageCollectionController implements Controller {
  readonly name = 'nodeclaim.garbagecollection';
  private readonly poller: Poller;

  constructor(private readonly opts: ControllerContext) {
    this.poller = new Poller(
      opts.clock,
      GC_INTERVAL_MS,
      () => this.collect(),
      (err) => opts.logger.error({ err }, 'garbage collection failed'),
    );
  }

  start(): void {
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }

  get idle(): boolean {
    return !this.poller.busy;
  }

  /** One pass; exposed for tests. */
  async collect(): Promise<GarbageVerdict> {
    const { api, cloud, clock, logger, recorder } = this.opts;
    const [instances, claims] = await Promise.all([cloud.list(), api.list(Kinds.NodeClaim)]);
    const verdict = findGarbage(instances, claims.items, clock.now());
    for (const instance of verdict.leaked) {
      logger.info({ providerID: instance.status?.providerID }, 'terminating leaked instance');
      try {
        await cloud.delete(instance);
      } catch (err) {
        if (!(err instanceof NodeClaimNotFoundError)) throw err;
      }
      // A leaked instance's kubelet may have registered a Node no claim owns: it goes with the instance.
      for (const node of this.opts.state.nodes.list(
        (n) => n.spec?.providerID === instance.status?.providerID,
      )) {
        try {
          await api.delete(Kinds.Node, nameOf(node));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    for (const claim of verdict.vanished) {
      recorder.warning(
        claim,
        'InstanceNotFound',
        `Instance ${claim.status?.providerID} no longer exists; deleting the NodeClaim`,
      );
      try {
        await api.delete(Kinds.NodeClaim, nameOf(claim));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        continue;
      }
      const pods = reschedulable(this.opts.state.podsOn(claim.status?.nodeName)).length;
      recordNodeClaimDisrupted(claim, { reason: 'garbage_collected', pods });
    }
    return verdict;
  }
}
