/**
 * Pod deletion cost: gives every ReplicaSet pod on a Karpenter node its node's pod-deletion-cost (costs.ts says
 * why and which), so scale-downs empty whole nodes. One merge patch per pod, for its life: a few at a time from a
 * single drain, so a scale-up's thousands of pods never crowd out the provisioner's own requests.
 */
import { isNotFound } from '../../kube/api';
import { objectKey } from '../../kube/informer';
import { Kinds } from '../../kube/kinds';
import { nameOf, type Pod } from '../../kube/objects';
import { podDeletionCostWritesTotal } from '../../metrics/pods';
import { reconcileQueue, type ControllerContext } from '../context';
import type { Controller } from '../controller';
import { forEachLimited } from '../parallel';
import type { WorkQueue } from '../work-queue';
import { nodeCostOf, podCostAnnotation } from './costs';

const DRAIN = 'drain';
const BY_NODE_NAME = 'deletion-cost/nodeName';
/** Patches in flight at once. */
const CONCURRENCY = 4;

export class DeletionCostController implements Controller {
  readonly name = 'deletion-cost';
  readonly queue: WorkQueue;
  /** Pods (namespace/name) that may need their cost written. */
  private readonly pending = new Set<string>();

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

  private costFor(pod: Pod): Record<string, string> | undefined {
    const node = pod.spec.nodeName;
    if (!node) return undefined;
    const claim = this.opts.state.nodeClaims.byIndex(BY_NODE_NAME, node)[0];
    return podCostAnnotation(pod, claim ? nodeCostOf(claim) : undefined);
  }

  private consider(pod: Pod): void {
    if (!this.costFor(pod)) return;
    this.pending.add(objectKey(pod));
    this.queue.add(DRAIN);
  }

  /** Writes every pending pod's cost; a failed write stays pending and fails the drain, which is retried. */
  private async drain(): Promise<void> {
    const keys = [...this.pending];
    this.pending.clear();
    let failed: unknown;
    await forEachLimited(keys, CONCURRENCY, async (key) => {
      const pod = this.opts.state.pods.get(key);
      const annotations = pod && this.costFor(pod);
      if (!pod || !annotations) return;
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
