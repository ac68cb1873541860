/**
 * NodeOverlay controller (NodeOverlay feature gate), as upstream core v1.15's: whenever an overlay, a NodePool or a
 * node class changes (and every 6 hours), evaluate every overlay against every pool's instance types
 * (overlays.ts), write each overlay's ValidationSucceeded / Ready conditions (RuntimeValidation for a schema
 * problem, Conflict for a same-weight collision), then swap in the new OverlayStore that `withNodeOverlays`
 * applies. A pool whose instance types cannot be read is left unevaluated (held back) and the round retried.
 */
import { nodeOverlaySchema } from '../../../sdk/api/nodeoverlay';
import { validate } from '../../../sdk/api/validate';
import type { CloudProvider } from '../../cloudprovider/types';
import { isConflict, isNotFound } from '../../kube/api';
import { setCondition } from '../../kube/conditions';
import { Kinds } from '../../kube/kinds';
import { nameOf, type NodeOverlay } from '../../kube/objects';
import { reconcileQueue, type ControllerContext } from '../context';
import type { Controller } from '../controller';
import type { WorkQueue } from '../work-queue';
import { evaluateOverlays, OverlayStore, type PoolInstanceTypes } from './overlays';

/** Upstream requeues a successful evaluation after 6 hours (new instance types and offerings get picked up). */
export const REEVALUATE_MS = 6 * 60 * 60 * 1000;
export const ConditionTypes = { validationSucceeded: 'ValidationSucceeded', ready: 'Ready' } as const;
/** Condition message upstream gives an overlay that loses a same-weight collision. */
export const CONFLICT_MESSAGE = 'conflict with another overlay';

const KEY = 'overlays';

export interface NodeOverlayControllerOptions extends ControllerContext {
  /** The cloud without overlays: what the overlays are evaluated against. */
  baseCloud: CloudProvider;
  /** Called after a new store is in place (provisioning retries pods held back by unevaluated pools). */
  onEvaluated?: () => void;
}

/** The schema's verdict on an overlay read from the API server (the CRD does not carry every rule). */
export function overlayProblem(overlay: NodeOverlay): string | undefined {
  const result = validate(nodeOverlaySchema, overlay);
  return result.success ? undefined : result.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/** The overlay's conditions for this evaluation; `problem` undefined means valid and applied. */
export function overlayConditions(
  overlay: NodeOverlay,
  verdict: { reason: 'RuntimeValidation' | 'Conflict'; message: string } | undefined,
  now: number,
): NonNullable<NodeOverlay['status']>['conditions'] {
  const status = verdict ? 'False' : 'True';
  const reason = verdict?.reason ?? ConditionTypes.validationSucceeded;
  const message = verdict?.message ?? '';
  let conditions = setCondition(
    overlay.status?.conditions,
    ConditionTypes.validationSucceeded,
    status,
    now,
    reason,
    message,
  );
  // Ready follows its one dependent condition, as operatorpkg's NewReadyConditions makes it upstream.
  conditions = setCondition(
    conditions,
    ConditionTypes.ready,
    status,
    now,
    verdict ? reason : 'Ready',
    message,
  );
  const generation = overlay.metadata.generation;
  return generation === undefined
    ? conditions
    : conditions.map((c) => ({ ...c, observedGeneration: generation }));
}

export class NodeOverlayController implements Controller {
  readonly name = 'nodeoverlay';
  readonly queue: WorkQueue;
  private current = new OverlayStore();
  private cancelReevaluation: (() => void) | undefined;

  constructor(private readonly opts: NodeOverlayControllerOptions) {
    this.queue = reconcileQueue('nodeoverlay', opts, () => this.reconcile());
  }

  /** What the overlays set now; nothing is evaluated before the first round (every pool held back). */
  get store(): OverlayStore {
    return this.current;
  }

  start(): void {
    const { state } = this.opts;
    const enqueue = () => this.queue.add(KEY);
    // Spec changes only: status writes (ours, the NodePool status controller's) change nothing overlays see.
    const specChanged = <T extends { spec?: unknown }>(type: string, obj: T, old?: T) =>
      type !== 'MODIFIED' || JSON.stringify(obj.spec) !== JSON.stringify(old?.spec);
    state.nodeOverlays?.onChange((type, o, old) => specChanged(type, o, old) && enqueue());
    state.nodePools.onChange((type, np, old) => specChanged(type, np, old) && enqueue());
    // A node class's resolved status (subnets, hence zones) shapes the offerings too.
    state.nodeClasses.onChange(enqueue);
    enqueue();
  }

  stop(): void {
    this.cancelReevaluation?.();
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0;
  }

  private async reconcile(): Promise<void> {
    const { state, baseCloud } = this.opts;
    const overlays = state.nodeOverlays?.list() ?? [];
    const pools: PoolInstanceTypes[] = [];
    const failures: string[] = [];
    for (const nodePool of state.nodePools.list((np) => !np.metadata.deletionTimestamp)) {
      try {
        pools.push({ nodePool, instanceTypes: await baseCloud.getInstanceTypes(nodePool) });
      } catch (err) {
        // This pool stays unevaluated; the others get their overlays.
        failures.push(`NodePool "${nameOf(nodePool)}": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const evaluation = evaluateOverlays(overlays, pools, overlayProblem);
    const conflicts = new Set(evaluation.conflicts);
    for (const overlay of overlays) {
      const name = nameOf(overlay);
      const invalid = evaluation.invalid.get(name);
      const verdict =
        invalid !== undefined
          ? { reason: 'RuntimeValidation' as const, message: invalid }
          : conflicts.has(name)
            ? { reason: 'Conflict' as const, message: CONFLICT_MESSAGE }
            : undefined;
      const conditions = overlayConditions(overlay, verdict, this.opts.clock.now());
      if (JSON.stringify(conditions) === JSON.stringify(overlay.status?.conditions)) continue;
      try {
        const written = await this.opts.api.updateStatus(Kinds.NodeOverlay, {
          ...overlay,
          status: { ...overlay.status, conditions },
        });
        state.nodeOverlays?.observe(written);
      } catch (err) {
        // Changed or gone meanwhile: evaluate again from the newer cache before applying anything, as upstream.
        if (isConflict(err) || isNotFound(err)) {
          this.queue.addAfter(KEY, 1000);
          return;
        }
        throw err;
      }
    }
    this.current = evaluation.store;
    this.opts.onEvaluated?.();
    if (failures.length > 0)
      throw new Error(`NodeOverlays not evaluated for ${failures.length} pool(s): ${failures.join('; ')}`);
    this.cancelReevaluation?.();
    this.cancelReevaluation = this.opts.clock.setTimer(REEVALUATE_MS, () => this.queue.add(KEY));
  }
}
