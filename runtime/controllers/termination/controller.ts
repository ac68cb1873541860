/**
 * Termination: a NodeClaim being deleted keeps its `karpenter.sh/termination` finalizer until its node is safely
 * gone: taint the node, evict its pods through the Eviction API (so PodDisruptionBudgets are honoured) tier by
 * tier, terminate the instance, delete the Node, then release the finalizer. Deleting the Node object directly
 * starts the same sequence through its NodeClaim.
 */
import { Finalizers, Labels, Taints } from '../../../sdk/api/well-known';
import { NodeClaimNotFoundError } from '../../cloudprovider/types';
import { ApiError, isNotFound } from '../../kube/api';
import { setCondition } from '../../kube/conditions';
import { Kinds } from '../../kube/kinds';
import { updateStatusFromCache } from '../../kube/retry';
import { nameOf, type Node, type NodeClaim, type Pod } from '../../kube/objects';
import { reconcileQueue, type ControllerContext } from '../context';
import type { Controller } from '../controller';
import type { WorkQueue } from '../work-queue';
import {
  nodeClaimsTerminatedTotal,
  nodeClaimsTerminationDurationSeconds,
  nodesDrainedTotal,
  nodesLifetimeDurationSeconds,
  nodesTerminatedTotal,
  nodesTerminationDurationSeconds,
  podsDrainedTotal,
  podsEvictionRequestsTotal,
} from '../../metrics';
import {
  drainReason,
  drainTiers,
  forcedDeletions,
  nextForcedDeletionInMs,
  terminationDeadline,
} from './drain';

export type TerminationOptions = ControllerContext;

/** How often a drain is retried while evictions are pending or refused. */
export const DRAIN_RETRY_MS = 5_000;
/** How often volume detachment is checked once the node is drained. */
export const VOLUME_RETRY_MS = 2_000;

/** The API server's answer to a create (such as an eviction) in a namespace being deleted. */
function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && err.status === 403 && /because it is being terminated/.test(err.message);
}

export class TerminationController implements Controller {
  readonly name = 'termination';
  readonly queue: WorkQueue;

  constructor(private readonly opts: TerminationOptions) {
    this.queue = reconcileQueue('termination', opts, (key) => this.reconcile(key));
  }

  start(): void {
    this.opts.state.nodeClaims.onChange((type, claim) => {
      if (type !== 'DELETED' && claim.metadata.deletionTimestamp) this.queue.add(nameOf(claim));
    });
    this.opts.state.nodes.onChange((type, node) => {
      if (type === 'DELETED' || !node.metadata.deletionTimestamp) return;
      this.onNodeDeleting(node).catch((err) =>
        this.opts.logger.error({ err }, 'node deletion handling failed'),
      );
    });
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private async onNodeDeleting(node: Node): Promise<void> {
    const claim = this.opts.state.nodeClaimForNode(node);
    if (claim) {
      if (!claim.metadata.deletionTimestamp) await this.opts.api.delete(Kinds.NodeClaim, nameOf(claim));
      return;
    }
    // Not ours to drain: just let it go.
    await this.releaseNode(node);
  }

  private async reconcile(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const { api, state, clock, recorder, logger } = this.opts;
    // The cache, not a GET per pass (a drain comes back every second): a stale copy only delays a step, as every
    // write below is idempotent or, for the status, retried on a fresh read when it conflicts.
    const claim = state.nodeClaims.get(name);
    if (
      !claim?.metadata.deletionTimestamp ||
      !(claim.metadata.finalizers ?? []).includes(Finalizers.termination)
    )
      return;
    const node = claim.status?.providerID
      ? state.nodes.list((n) => n.spec?.providerID === claim.status?.providerID)[0]
      : undefined;
    const deadline = terminationDeadline(claim);
    const expired = deadline !== undefined && clock.now() >= deadline;
    if (node && !expired) {
      await this.taint(node);
      const pods = state.podsOn(node.metadata.name);
      const reason = drainReason(claim);
      const forced =
        deadline === undefined ? new Set<Pod>() : await this.forceDelete(node, pods, deadline, reason);
      const tiers = drainTiers(pods.filter((p) => !forced.has(p)));
      if (tiers.length > 0) {
        const blocked = await this.evict(tiers[0] ?? [], reason);
        if (blocked.length) {
          recorder.warning(node, 'FailedDraining', `Failed to drain node, ${blocked.join('; ')}`);
        }
        const retry = blocked.length ? DRAIN_RETRY_MS : 1000;
        const due =
          deadline === undefined
            ? undefined
            : Math.min(
                deadline - clock.now(),
                nextForcedDeletionInMs(pods, deadline, clock.now()) ?? Infinity,
              );
        return { requeueAfterMs: due === undefined ? retry : Math.max(0, Math.min(retry, due)) };
      }
      if (!claim.status?.conditions?.some((c) => c.type === 'Drained' && c.status === 'True')) {
        const written = await updateStatusFromCache(api, Kinds.NodeClaim, claim, (current) => ({
          ...current,
          status: {
            ...current.status,
            conditions: setCondition(current.status?.conditions, 'Drained', 'True', clock.now()),
          },
        }));
        // Seen at once by the next pass, whatever the watch is doing.
        if (written) {
          state.nodeClaims.observe(written);
          nodesDrainedTotal.inc({ nodepool: node.metadata.labels?.[Labels.nodePool] ?? '' });
        }
        return { requeueAfterMs: 0 };
      }
    }
    if (node && !expired) {
      const attached = this.attachedVolumes(node);
      if (attached.length > 0) {
        recorder.normal(
          node,
          'AwaitingVolumeDetachment',
          `Waiting for ${attached.length} volume(s) to detach before terminating the instance: ${attached.join(', ')}`,
        );
        return { requeueAfterMs: VOLUME_RETRY_MS };
      }
    }
    if (!(await this.instanceGone(claim))) return { requeueAfterMs: 1000 };
    if (node) {
      await this.deleteNode(node);
      recorder.normal(
        node,
        'Terminated',
        `Node ${node.metadata.name} terminated (instance ${claim.status?.providerID})`,
      );
    }
    await this.removeFinalizer(claim);
    const metricLabels = terminatedLabels(claim);
    nodeClaimsTerminatedTotal.inc(metricLabels);
    const claimDeleted = claim.metadata.deletionTimestamp;
    observeSince(nodeClaimsTerminationDurationSeconds, metricLabels.nodepool, claimDeleted, clock.now());
    if (node) {
      const nodepool = node.metadata.labels?.[Labels.nodePool] ?? metricLabels.nodepool;
      nodesTerminatedTotal.inc({ nodepool: metricLabels.nodepool, zone: metricLabels.zone });
      // The Node's own deletion request, or (as here it is deleted last) the NodeClaim's, which started it.
      const requested = node.metadata.deletionTimestamp ?? claimDeleted;
      observeSince(nodesTerminationDurationSeconds, nodepool, requested, clock.now());
      observeSince(nodesLifetimeDurationSeconds, nodepool, node.metadata.creationTimestamp, clock.now());
    }
    logger.info({ nodeClaim: name, node: node?.metadata.name }, 'deleted nodeclaim');
    return undefined;
  }

  private async taint(node: Node): Promise<void> {
    const taints = node.spec?.taints ?? [];
    if (taints.some((t) => t.key === Taints.disrupted.key)) return;
    await this.opts.api.patch(Kinds.Node, nameOf(node), {
      metadata: { labels: { [Labels.excludeFromExternalLoadBalancers]: 'karpenter' } },
      spec: { taints: [...taints, { key: Taints.disrupted.key, effect: Taints.disrupted.effect }] },
    });
  }

  /**
   * terminationGracePeriod: delete (not evict) the pods whose time has come, ignoring PodDisruptionBudgets, so the
   * node is empty by its deadline; each keeps what remains of the period as its grace.
   */
  private async forceDelete(node: Node, pods: Pod[], deadline: number, reason: string): Promise<Set<Pod>> {
    const deleted = new Set<Pod>();
    for (const { pod, gracePeriodSeconds } of forcedDeletions(pods, deadline, this.opts.clock.now())) {
      try {
        await this.opts.api.delete(Kinds.Pod, nameOf(pod), pod.metadata.namespace, {
          gracePeriodSeconds,
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        continue;
      }
      deleted.add(pod);
      podsDrainedTotal.inc({ reason });
      this.opts.recorder.warning(
        pod,
        'Deleted',
        `Deleted pod: node ${node.metadata.name} reaches its terminationGracePeriod in ${gracePeriodSeconds}s`,
      );
    }
    return deleted;
  }

  /** Evict each pod (counted as drained for `reason`); returns the reasons of refused evictions. */
  private async evict(pods: Pod[], reason: string): Promise<string[]> {
    const blocked: string[] = [];
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      try {
        await this.opts.api.evict(nameOf(pod), pod.metadata.namespace as string);
        this.opts.recorder.normal(pod, 'Evicted', 'Evicted pod: draining node for termination');
        podsEvictionRequestsTotal.inc({ code: '200' });
        podsDrainedTotal.inc({ reason });
      } catch (err) {
        if (err instanceof ApiError) podsEvictionRequestsTotal.inc({ code: String(err.status) });
        if (isNotFound(err)) continue;
        if (isNamespaceTerminating(err)) {
          // An eviction is a create, refused in a namespace being deleted; the pod goes with it anyway, and no
          // budget protects a workload whose namespace is gone. Delete it, or the drain would wait forever.
          await this.opts.api.delete(Kinds.Pod, nameOf(pod), pod.metadata.namespace);
          podsDrainedTotal.inc({ reason });
          continue;
        }
        if (err instanceof ApiError && (err.status === 429 || err.status === 500)) {
          blocked.push(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${err.message}`);
          continue;
        }
        throw err;
      }
    }
    return blocked;
  }

  /**
   * Volumes still attached to the drained node. Terminating before they detach risks the data of volumes whose
   * pods just left (EBS reports them in use), so the instance waits, up to the terminationGracePeriod if any.
   */
  private attachedVolumes(node: Node): string[] {
    return this.opts.state.volumeAttachments
      .list((va) => va.spec.nodeName === node.metadata.name && !va.metadata.deletionTimestamp)
      .map((va) => va.spec.source.persistentVolumeName ?? nameOf(va));
  }

  /**
   * Terminate the claim's instance; true once it is gone. A claim that records no instance may still have one: a
   * launch whose answer was lost before the claim was given up. Those are found by the claim's name the cloud
   * tags them with, and terminated with their Nodes, rather than left for garbage collection to find later.
   */
  private async instanceGone(claim: NodeClaim): Promise<boolean> {
    const providerIDs = claim.status?.providerID
      ? [claim.status.providerID]
      : (await this.opts.cloud.list())
          .filter((i) => i.metadata.name === claim.metadata.name)
          .map((i) => i.status?.providerID as string);
    let gone = true;
    for (const providerID of providerIDs) {
      try {
        await this.opts.cloud.delete({ ...claim, status: { ...claim.status, providerID } });
        gone = false;
      } catch (err) {
        if (!(err instanceof NodeClaimNotFoundError)) throw err;
      }
      if (claim.status?.providerID) continue;
      for (const node of this.opts.state.nodes.list((n) => n.spec?.providerID === providerID)) {
        await this.deleteNode(node);
      }
    }
    return gone;
  }

  private async deleteNode(node: Node): Promise<void> {
    try {
      await this.opts.api.delete(Kinds.Node, nameOf(node));
      await this.releaseNode(node);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async releaseNode(node: Node): Promise<void> {
    const finalizers = (node.metadata.finalizers ?? []).filter((f) => f !== Finalizers.termination);
    if (finalizers.length === (node.metadata.finalizers ?? []).length) return;
    try {
      await this.opts.api.patch(Kinds.Node, nameOf(node), { metadata: { finalizers } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async removeFinalizer(claim: NodeClaim): Promise<void> {
    const finalizers = (claim.metadata.finalizers ?? []).filter((f) => f !== Finalizers.termination);
    try {
      await this.opts.api.patch(Kinds.NodeClaim, nameOf(claim), { metadata: { finalizers } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Observe the seconds from `iso` to `now`, labelled by NodePool; nothing when the time is unknown. */
function observeSince(
  metric: { observe(labels: { nodepool: string }, value: number): void },
  nodepool: string,
  iso: string | undefined,
  now: number,
): void {
  const at = Date.parse(iso ?? '');
  if (!Number.isNaN(at)) metric.observe({ nodepool }, Math.max(0, (now - at) / 1000));
}

/** The bounded labels of a terminated NodeClaim: its NodePool, capacity type and zone. */
function terminatedLabels(claim: NodeClaim): { nodepool: string; capacity_type: string; zone: string } {
  const labels = claim.metadata.labels ?? {};
  return {
    nodepool: labels[Labels.nodePool] ?? '',
    capacity_type: labels[Labels.capacityType] ?? '',
    zone: labels[Labels.zone] ?? '',
  };
}
