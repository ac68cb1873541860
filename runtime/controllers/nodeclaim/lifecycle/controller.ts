/**
 * NodeClaim lifecycle: Launched (the cloud created an instance) → Registered (its Node joined; we label it, lift
 * the unregistered taint and add our finalizer) → Initialized (the Node is Ready and its startup taints are gone).
 * Claims that fail to launch for lack of capacity, or never register, are deleted so their pods get a new plan.
 * Each claim's end (registered, or given up on at the launch or registration timeout) feeds its NodePool's
 * NodeRegistrationHealthy (nodepool/status/registration-health.ts); running out of capacity is not counted, as
 * upstream deletes such a claim before its liveness check.
 */
import { Finalizers, Labels, Taints } from '../../../../sdk/api/well-known';
import { CloudProviderError, InsufficientCapacityError } from '../../../cloudprovider/types';
import { isNotFound } from '../../../kube/api';
import { hasCondition, setCondition } from '../../../kube/conditions';
import { Kinds } from '../../../kube/kinds';
import { updateStatusFromCache } from '../../../kube/retry';
import { nameOf, type Node, type NodeClaim } from '../../../kube/objects';
import { reconcileQueue, type ControllerContext } from '../../context';
import type { Controller } from '../../controller';
import type { WorkQueue } from '../../work-queue';
import { nodesCreatedTotal, recordNodeClaimDisrupted } from '../../../metrics';
import { taintsAfterInitialization } from '../../../scheduling/taints';
import {
  REGISTRATION_FAILED_MESSAGE,
  REGISTRATION_FAILED_REASON,
  type Outcome,
  type RegistrationHealth,
} from '../../nodepool/status/registration-health';

export const LAUNCH_TIMEOUT_MS = 5 * 60_000;
export const REGISTRATION_TIMEOUT_MS = 15 * 60_000;
/** Pause before retrying a launch the cloud refused (tripled when the error will not clear by itself). */
export const LAUNCH_RETRY_MS = 10_000;

export interface LifecycleOptions extends ControllerContext {
  /** Where launch outcomes go, shared with the NodePool status controller that writes the condition. */
  registrationHealth: RegistrationHealth;
}

export class NodeClaimLifecycleController implements Controller {
  readonly name = 'nodeclaim.lifecycle';
  readonly queue: WorkQueue;
  /** Claims whose launch this process has begun and not yet seen recorded: a retry asks the API server first. */
  private readonly launching = new Set<string>();

  constructor(private readonly opts: LifecycleOptions) {
    this.queue = reconcileQueue('nodeclaim.lifecycle', opts, (key) => this.reconcile(key));
  }

  start(): void {
    this.opts.state.nodeClaims.onChange((type, claim) => {
      if (type !== 'DELETED') this.queue.add(nameOf(claim));
    });
    this.opts.state.nodes.onChange((type, node) => {
      if (type === 'DELETED') return;
      const claim = this.opts.state.nodeClaimForNode(node);
      if (claim) this.queue.add(nameOf(claim));
    });
  }

  stop(): void {
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private async reconcile(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const claim = this.opts.state.nodeClaims.get(name);
    if (!claim || claim.metadata.deletionTimestamp || hasCondition(claim, 'Launched'))
      this.launching.delete(name);
    if (!claim || claim.metadata.deletionTimestamp) return;
    if (!hasCondition(claim, 'Launched')) return this.launch(claim);
    if (!hasCondition(claim, 'Registered')) return this.register(claim);
    if (!hasCondition(claim, 'Initialized')) return this.initialize(claim);
    return undefined;
  }

  private async launch(cached: NodeClaim): Promise<{ requeueAfterMs?: number } | void> {
    const { api, cloud, clock, recorder, logger } = this.opts;
    // A retry may find the cache behind the API server (the status write of the first attempt stored, its answer
    // lost): ask the server before spending money, and launch only a claim still unlaunched there. A first attempt
    // goes from the cache (the claim was created or listed moments ago): one GET per new node is the largest share
    // of a scale-up's reads otherwise, and the providers' launches are idempotent on the claim in any case.
    const name = nameOf(cached);
    const retry = this.launching.has(name);
    this.launching.add(name);
    const claim = retry ? await api.get(Kinds.NodeClaim, name) : cached;
    if (!claim || claim.metadata.deletionTimestamp) return;
    if (hasCondition(claim, 'Launched')) {
      this.opts.state.nodeClaims.observe(claim);
      return;
    }
    let launched: NodeClaim;
    try {
      launched = await cloud.create(claim);
    } catch (err) {
      if (err instanceof InsufficientCapacityError) {
        recorder.warning(
          claim,
          'InsufficientCapacityError',
          `NodeClaim ${claim.metadata.name} event: ${err.message}`,
        );
        logger.warn(
          { nodeClaim: claim.metadata.name, err: err.message },
          'deleting nodeclaim that could not launch',
        );
        await this.deleteClaim(claim, 'insufficient_capacity');
        return;
      }
      if (clock.now() - Date.parse(claim.metadata.creationTimestamp ?? '') > LAUNCH_TIMEOUT_MS) {
        recorder.warning(claim, 'LaunchTimeout', `launch did not succeed within 5m: ${String(err)}`);
        // What the Launched condition says (launchFailed writes it so), as upstream reports the failure.
        this.recordOutcome(
          claim,
          err instanceof CloudProviderError
            ? { registered: false, reason: err.reason, message: `${err.action}: ${err.message}` }
            : { registered: false, reason: 'LaunchFailed', message: String(err) },
        );
        await this.deleteClaim(claim, 'launch_timeout');
        return;
      }
      if (err instanceof CloudProviderError) return this.launchFailed(claim, err);
      throw err;
    }
    const patched = await api.patch(Kinds.NodeClaim, nameOf(claim), {
      metadata: { labels: launched.metadata.labels },
    });
    patched.status = {
      ...launched.status,
      conditions: setCondition(patched.status?.conditions, 'Launched', 'True', clock.now()),
    };
    // In the cache before the watch brings it, so a requeue in between cannot launch a second instance.
    this.opts.state.nodeClaims.observe(await api.updateStatus(Kinds.NodeClaim, patched));
    recorder.normal(
      claim,
      'Launched',
      `Launched ${launched.metadata.labels?.[Labels.instanceType]} (${launched.metadata.labels?.[Labels.capacityType]}) in ${launched.metadata.labels?.[Labels.zone]} as ${launched.status?.providerID}`,
    );
    logger.info(
      {
        nodeClaim: claim.metadata.name,
        providerID: launched.status?.providerID,
        instanceType: launched.metadata.labels?.[Labels.instanceType],
      },
      'launched nodeclaim',
    );
  }

  /**
   * A launch the user can fix (access denied, invalid parameters) or that will clear up (throttling): say so on
   * the NodeClaim, as the Launched=False condition and a warning event, and retry until the launch timeout.
   */
  private async launchFailed(claim: NodeClaim, err: CloudProviderError): Promise<{ requeueAfterMs: number }> {
    const { api, clock, recorder, logger } = this.opts;
    const message = `${err.action}: ${err.message}`;
    recorder.warning(claim, 'LaunchFailed', message);
    logger.warn({ nodeClaim: claim.metadata.name, reason: err.reason, action: err.action }, err.message);
    const current = claim.status?.conditions?.find((c) => c.type === 'Launched');
    if (current?.reason !== err.reason || current.message !== message) {
      const latest = await api.get(Kinds.NodeClaim, nameOf(claim));
      if (latest && !latest.metadata.deletionTimestamp) {
        latest.status = {
          ...latest.status,
          conditions: setCondition(
            latest.status?.conditions,
            'Launched',
            'False',
            clock.now(),
            err.reason,
            message,
          ),
        };
        await api.updateStatus(Kinds.NodeClaim, latest);
      }
    }
    return { requeueAfterMs: err.retryable ? LAUNCH_RETRY_MS : LAUNCH_RETRY_MS * 3 };
  }

  private async register(claim: NodeClaim): Promise<{ requeueAfterMs?: number } | void> {
    const { api, clock, recorder, state } = this.opts;
    const node = state.nodes.list((n) => n.spec?.providerID === claim.status?.providerID)[0];
    if (!node) {
      const launchedAt = Date.parse(
        claim.status?.conditions?.find((c) => c.type === 'Launched')?.lastTransitionTime ??
          claim.metadata.creationTimestamp ??
          '',
      );
      if (clock.now() - launchedAt > REGISTRATION_TIMEOUT_MS) {
        recorder.warning(
          claim,
          'RegistrationTimeout',
          'node did not register within 15m; deleting the NodeClaim',
        );
        this.recordOutcome(claim, {
          registered: false,
          reason: REGISTRATION_FAILED_REASON,
          message: REGISTRATION_FAILED_MESSAGE,
        });
        await this.deleteClaim(claim, 'registration_timeout');
        return;
      }
      return { requeueAfterMs: 30_000 };
    }
    const taints = (node.spec?.taints ?? []).filter((t) => t.key !== Taints.unregistered.key);
    const finalizers = [...new Set([...(node.metadata.finalizers ?? []), Finalizers.termination])];
    await api.patch(Kinds.Node, nameOf(node), {
      metadata: { labels: { ...claim.metadata.labels, [Labels.registered]: 'true' }, finalizers },
      spec: { taints },
    });
    const written = await updateStatusFromCache(api, Kinds.NodeClaim, claim, (current) =>
      current.metadata.deletionTimestamp
        ? undefined
        : {
            ...current,
            status: {
              ...current.status,
              nodeName: nameOf(node),
              conditions: setCondition(current.status?.conditions, 'Registered', 'True', clock.now()),
            },
          },
    );
    if (!written) return;
    state.nodeClaims.observe(written);
    this.recordOutcome(claim, { registered: true });
    nodesCreatedTotal.inc({
      nodepool: claim.metadata.labels?.[Labels.nodePool] ?? '',
      zone: claim.metadata.labels?.[Labels.zone] ?? '',
    });
    recorder.normal(
      claim,
      'Registered',
      `Status condition transitioned, Type: Registered, Status: True (node ${node.metadata.name})`,
    );
  }

  private async initialize(claim: NodeClaim): Promise<{ requeueAfterMs?: number } | void> {
    const { api, clock, recorder, state } = this.opts;
    const node = state.nodes.get(claim.status?.nodeName ?? '');
    if (!node || !this.nodeReady(node, claim)) return;
    await api.patch(Kinds.Node, nameOf(node), {
      metadata: { labels: { [Labels.initialized]: 'true' } },
    });
    const written = await updateStatusFromCache(api, Kinds.NodeClaim, claim, (current) => {
      if (current.metadata.deletionTimestamp) return undefined;
      let conditions = setCondition(current.status?.conditions, 'Initialized', 'True', clock.now());
      conditions = setCondition(conditions, 'Ready', 'True', clock.now());
      return { ...current, status: { ...current.status, conditions } };
    });
    if (!written) return;
    state.nodeClaims.observe(written);
    recorder.normal(
      claim,
      'Initialized',
      `Status condition transitioned, Type: Initialized, Status: True (node ${node.metadata.name})`,
    );
  }

  /** Ready, with every startup and known ephemeral taint lifted by whatever agent owns it. */
  private nodeReady(node: Node, claim: NodeClaim): boolean {
    if (!hasCondition(node, 'Ready')) return false;
    const taints = node.spec?.taints ?? [];
    return taintsAfterInitialization(taints, claim.spec.startupTaints).length === taints.length;
  }

  /** Count a claim's end toward its NodePool's registration health: only a claim that pool (this uid) owns. */
  private recordOutcome(claim: NodeClaim, outcome: Outcome): void {
    const pool = this.opts.state.nodePools.get(claim.metadata.labels?.[Labels.nodePool] ?? '');
    const uid = pool?.metadata.uid;
    if (!pool || !uid) return;
    const owned = claim.metadata.ownerReferences?.some((o) => o.kind === 'NodePool' && o.uid === uid);
    if (owned) this.opts.registrationHealth.record({ name: nameOf(pool), uid }, outcome);
  }

  /** Give up on a claim, counted under upstream's reason for it. */
  private async deleteClaim(
    claim: NodeClaim,
    reason: 'insufficient_capacity' | 'launch_timeout' | 'registration_timeout',
  ): Promise<void> {
    try {
      await this.opts.api.delete(Kinds.NodeClaim, nameOf(claim));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return;
    }
    recordNodeClaimDisrupted(claim, { reason });
  }
}
