/**
 * Pod deletion cost: gives every ReplicaSet pod on a Karpenter node its node's pod-deletion-cost (costs.ts says
 * why and which), so scale-downs empty whole nodes, except its ReplicaSet's keep tier. At most one merge patch per
 * pod, for its life: a few at a time from a single drain, so a scale-up's thousands of pods never crowd out the
 * provisioner's own requests. The tier is judged when the pod is written, against its ReplicaSet's pods then.
 */
import { Annotations } from '../../../sdk/api/well-known';
import { isNotFound } from '../../kube/api';
import { objectKey } from '../../kube/informer';
import { Kinds } from '../../kube/kinds';
import { controllerRef, nameOf, type Pod } from '../../kube/objects';
import { podDeletionCostWritesTotal } from '../../metrics/pods';
import { reconcileQueue, type ControllerContext } from '../context';
import type { Controller } from '../controller';
import { forEachLimited } from '../parallel';
import type { WorkQueue } from '../work-queue';
import { keepTierFloor, nodeCostOf, podCostAnnotation } from './costs';

const DRAIN = 'drain';
const BY_NODE_NAME = 'deletion-cost/nodeName';
/** Patches in flight at once. */
const CONCURRENCY = 4;
/** ReplicaSets whose largest size is remembered. */
const MAX_TRACKED = 10_000;

export class DeletionCostController implements Controller {
  readonly name = 'deletion-cost';
  readonly queue: WorkQueue;
  /** Pods (namespace/name) that may need their cost written. */
  private readonly pending = new Set<string>();
  /** The most bound pods each ReplicaSet (uid) has had: its keep tier is a share of that (costs.ts). */
  private readonly largest = new Map<string, number>();

  constructor(private readonly opts: ControllerContext) {
    this.queue = reconcileQueue('deletion-cost', opts, () => this.drain());
  }

  start(): void {
    const { state } = this.opts;
    state.nodeClaims.addIndex(BY_NODE_NAME, (c) => c.status?.nodeName);
    state.pods.onChange((type, pod) => {
      if (type !== 'DELETED') this.consider(pod);
    });
    // A pod can bind before its NodeClaim names its node: look again once the claim does.
    state.nodeClaims.onChange((type, claim, old) => {
      const node = claim.status?.nodeName;
      if (type !== 'DELETED' && node && old?.status?.nodeName !== node)
        for (const pod of state.podsOn(node)) this.consider(pod);
    });
    for (const pod of state.pods.list()) this.consider(pod);
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private nodeCost(node: string | undefined): number | undefined {
    if (!node) return undefined;
    const claim = this.opts.state.nodeClaims.byIndex(BY_NODE_NAME, node)[0];
    return claim ? nodeCostOf(claim) : undefined;
  }

  private costFor(pod: Pod): Record<string, string> | undefined {
    return podCostAnnotation(pod, this.nodeCost(pod.spec.nodeName));
  }

  /**
   * The keep tier's floor for each ReplicaSet of these pods. A tier moves when a ReplicaSet's pods land on a node
   * of higher cost than its top one: its pods left unwritten below the new floor join the keys, to be written now.
   */
  private tierFloors(keys: Set<string>): Map<string, number | undefined> {
    const floors = new Map<string, number | undefined>();
    for (const key of [...keys]) {
      const pod = this.opts.state.pods.get(key);
      const uid = pod && controllerRef(pod)?.uid;
      if (uid === undefined || floors.has(uid)) continue;
      const siblings = this.opts.state.podsControlledBy({ metadata: { uid } });
      const costs: number[] = [];
      for (const sibling of siblings) {
        // Pods on nodes of no known cost (not Karpenter's, or a claim not yet naming its node) are left out.
        const cost = sibling.metadata.deletionTimestamp ? undefined : this.nodeCost(sibling.spec.nodeName);
        if (cost !== undefined) costs.push(cost);
      }
      const largest = Math.max(this.largest.get(uid) ?? 0, costs.length);
      this.largest.delete(uid);
      // Kept for the ReplicaSets seen lately (newest last), so old ones do not pile up.
      if (costs.length > 0) this.largest.set(uid, largest);
      if (this.largest.size > MAX_TRACKED) this.largest.delete(this.largest.keys().next().value as string);
      const floor = keepTierFloor(costs, largest);
      floors.set(uid, floor);
      for (const sibling of siblings) {
        const cost = this.costFor(sibling)?.[Annotations.podDeletionCost];
        if (cost !== undefined && floor !== undefined && Number(cost) < floor) keys.add(objectKey(sibling));
      }
    }
    return floors;
  }

  private consider(pod: Pod): void {
    if (!this.costFor(pod)) return;
    this.pending.add(objectKey(pod));
    this.queue.add(DRAIN);
  }

  /** Writes every pending pod's cost; a failed write stays pending and fails the drain, which is retried. */
  private async drain(): Promise<void> {
    const keys = new Set(this.pending);
    this.pending.clear();
    const floors = this.tierFloors(keys);
    let failed: unknown;
    await forEachLimited([...keys], CONCURRENCY, async (key) => {
      const pod = this.opts.state.pods.get(key);
      const annotations = pod && this.costFor(pod);
      if (!pod || !annotations) return;
      const floor = floors.get(controllerRef(pod)?.uid ?? '');
      if (floor !== undefined && Number(annotations[Annotations.podDeletionCost]) >= floor) return;
      try {
        const patched = await this.opts.api.patch(
          Kinds.Pod,
          nameOf(pod),
          { metadata: { annotations } },
          pod.metadata.namespace,
        );
        this.opts.state.pods.observe(patched);
        podDeletionCostWritesTotal.inc({ result: 'updated' });
      } catch (err) {
        if (isNotFound(err)) {
          podDeletionCostWritesTotal.inc({ result: 'skipped_notfound' });
          return;
        }
        podDeletionCostWritesTotal.inc({ result: 'error' });
        this.pending.add(key);
        failed ??= err;
      }
    });
    if (failed !== undefined) throw failed;
  }
}
