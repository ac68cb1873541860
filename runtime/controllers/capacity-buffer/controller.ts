/**
 * CapacityBuffer controller (CapacityBuffer feature gate), as upstream core v1.15's: whenever a buffer, a
 * PodTemplate or a workload changes, and every 30 s, resolve each buffer's chunk shape and count (buffers.ts),
 * write its status (ReadyForProvisioning, replicas, podTemplateRef/Generation, provisioningStrategy, and the
 * Provisioning condition from the provisioner's last round), keep its virtual pods (virtual-pods.ts) for
 * provisioning and disruption, and wake the provisioner when they change. The provisioner also plans them each
 * time a pod is bound (it may have taken headroom), so used headroom is bought again at once.
 *
 * With the gate off, buffers are not acted on: each one gets a Warning Event (CapacityBufferDisabled) and the log
 * a warning, so a buffer is never ignored silently.
 */
import { capacityBufferSchema, CapacityBufferReasons } from '../../../sdk/api/capacitybuffer';
import { validate } from '../../../sdk/api/validate';
import { isConflict, isNotFound } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import type { CapacityBuffer, Pod } from '../../kube/objects';
import type { SchedulingResult } from '../../scheduling/scheduler';
import type { BufferInformers } from '../../state/cluster-state';
import { reconcileQueue, type ControllerContext } from '../context';
import type { Controller } from '../controller';
import { Poller } from '../poller';
import type { WorkQueue } from '../work-queue';
import {
  isReadyForProvisioning,
  namespaceOf,
  resolveBuffer,
  resolvedStatus,
  type BufferLookups,
} from './buffers';
import {
  bufferKey,
  buildVirtualPods,
  placements,
  provisioningConditions,
  type BufferPlacement,
} from './virtual-pods';

/** Upstream requeues every buffer after 30 s (a workload's replicas, hence a percentage, may have moved). */
export const RESYNC_MS = 30_000;
/** With the gate off: how often buffers are looked for, to warn about new ones. */
export const DISABLED_CHECK_MS = 5 * 60_000;
export const CAPACITY_BUFFER_DISABLED =
  'the CapacityBuffer feature gate is off, so this buffer keeps no spare capacity: set FEATURE_GATES=CapacityBuffer=true on the controller, or delete the buffer';

/** Buffers or what they name changed, or the periodic pass: resolve, and wake the provisioner. */
const RESYNC = 'resync';
/** A round placed the virtual pods differently: the Provisioning conditions follow, no new round is asked. */
const STATUS = 'status';

export interface CapacityBufferControllerOptions extends ControllerContext {
  /** The CapacityBuffer feature gate. @default false, as upstream */
  enabled: boolean;
  /** Wakes the provisioner: virtual pods changed, or their headroom is to be checked again. */
  onResolved?: () => void;
}

export class CapacityBufferController implements Controller {
  readonly name = 'capacitybuffer';
  readonly queue: WorkQueue;
  private readonly disabledCheck: Poller;
  private readonly warned = new Set<string>();
  /** Virtual pods by buffer key, for buffers ReadyForProvisioning with replicas > 0. */
  private pods = new Map<string, Pod[]>();
  /** What the provisioner's last round did with each buffer's virtual pods. */
  private lastRound = new Map<string, BufferPlacement>();
  private cancelResync: (() => void) | undefined;

  constructor(private readonly opts: CapacityBufferControllerOptions) {
    this.queue = reconcileQueue('capacitybuffer', opts, (key) => this.reconcile(key === RESYNC));
    this.disabledCheck = new Poller(
      opts.clock,
      DISABLED_CHECK_MS,
      () => this.warnDisabled(),
      (err) => opts.logger.warn({ err }, 'listing CapacityBuffers failed'),
    );
  }

  /** Every buffer's virtual pods (none with the gate off). Read-only: shared with every caller. */
  virtualPods(): Pod[] {
    return [...this.pods.values()].flat();
  }

  /** The provisioner's round placed the virtual pods so: the buffers' Provisioning conditions follow. */
  noteRound(result: SchedulingResult): void {
    if (!this.opts.enabled) return;
    const next = placements(result);
    if (JSON.stringify([...next]) === JSON.stringify([...this.lastRound])) return;
    this.lastRound = next;
    this.queue.add(STATUS);
  }

  start(): void {
    const informers = this.opts.state.capacityBuffers;
    if (!this.opts.enabled || !informers) {
      void this.warnDisabled().catch(() => undefined);
      this.disabledCheck.start();
      return;
    }
    const enqueue = () => this.queue.add(RESYNC);
    const specChanged = <T extends { spec?: unknown }>(type: string, obj: T, old?: T) =>
      type !== 'MODIFIED' || JSON.stringify(obj.spec) !== JSON.stringify(old?.spec);
    informers.buffers.onChange((type, b, old) => specChanged(type, b, old) && enqueue());
    informers.podTemplates.onChange(enqueue);
    for (const workloads of [informers.deployments, informers.statefulSets, informers.replicaSets])
      workloads.onChange((type, w, old) => specChanged(type, w, old) && enqueue());
    enqueue();
  }

  stop(): void {
    this.cancelResync?.();
    this.disabledCheck.stop();
    this.queue.stop();
  }

  get idle(): boolean {
    return this.queue.depth === 0 && !this.disabledCheck.busy;
  }

  private lookups(informers: BufferInformers): BufferLookups {
    return {
      podTemplate: (name, ns) => informers.podTemplates.get(name, ns),
      scalable: (kind, name, ns) => {
        const cache = {
          Deployment: informers.deployments,
          StatefulSet: informers.statefulSets,
          ReplicaSet: informers.replicaSets,
        }[kind];
        const w = cache.get(name, ns);
        return w ? { template: w.spec.template, replicas: w.spec.replicas ?? 1 } : undefined;
      },
    };
  }

  private async reconcile(resync: boolean): Promise<void> {
    const informers = this.opts.state.capacityBuffers;
    if (!informers) return;
    const now = this.opts.clock.now();
    const lookups = this.lookups(informers);
    const next = new Map<string, Pod[]>();
    let retry = false;
    for (const buffer of informers.buffers.list((b) => !b.metadata.deletionTimestamp)) {
      const problem = bufferProblem(buffer);
      const resolution = problem
        ? { ok: false as const, reason: CapacityBufferReasons.resolutionFailed, message: problem }
        : resolveBuffer(buffer, lookups);
      let status = resolvedStatus(buffer, resolution, now);
      const conditions = provisioningConditions(status, this.lastRound.get(bufferKey(buffer)), now);
      if (conditions) status = { ...status, conditions };
      if (resolution.ok && isReadyForProvisioning(status))
        next.set(bufferKey(buffer), buildVirtualPods(buffer, resolution.template, status.replicas ?? 0));
      if (JSON.stringify(status) === JSON.stringify(buffer.status ?? {})) continue;
      try {
        informers.buffers.observe(
          await this.opts.api.updateStatus(Kinds.CapacityBuffer, { ...buffer, status }),
        );
      } catch (err) {
        // Changed or gone meanwhile: the newer object is reconciled again shortly.
        if (!isConflict(err) && !isNotFound(err)) throw err;
        retry = true;
      }
    }
    const changed = !samePods(this.pods, next);
    this.pods = next;
    if (changed)
      this.opts.logger.info(
        { buffers: next.size, virtualPods: this.virtualPods().length },
        'capacity buffers resolved',
      );
    if (retry) this.queue.addAfter(STATUS, 1000);
    // Headroom real pods take is bought again on the provisioner's own trigger (a pod bound); here only what the
    // buffers ask for changed.
    if (changed) this.opts.onResolved?.();
    if (!resync) return;
    this.cancelResync?.();
    this.cancelResync = this.opts.clock.setTimer(RESYNC_MS, () => this.queue.add(RESYNC));
  }

  /** Gate off: say once per buffer (and per process) that it keeps nothing. */
  private async warnDisabled(): Promise<void> {
    let items: CapacityBuffer[];
    try {
      items = (await this.opts.api.list(Kinds.CapacityBuffer)).items;
    } catch (err) {
      if (isNotFound(err)) return; // The CRD is not installed: there can be no buffer.
      throw err;
    }
    for (const buffer of items) {
      const id = buffer.metadata.uid ?? bufferKey(buffer);
      if (this.warned.has(id)) continue;
      this.warned.add(id);
      this.opts.logger.warn(
        { capacityBuffer: `${namespaceOf(buffer)}/${buffer.metadata.name}` },
        CAPACITY_BUFFER_DISABLED,
      );
      this.opts.recorder.warning(buffer, 'CapacityBufferDisabled', CAPACITY_BUFFER_DISABLED);
    }
  }
}

/** The schema's verdict on a buffer read from the API server (an older CRD may not carry every rule). */
export function bufferProblem(buffer: CapacityBuffer): string | undefined {
  const result = validate(capacityBufferSchema, buffer);
  return result.success ? undefined : result.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

function samePods(a: Map<string, Pod[]>, b: Map<string, Pod[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, pods] of a) {
    const other = b.get(key);
    if (!other || other.length !== pods.length) return false;
    if (JSON.stringify(other[0]?.spec) !== JSON.stringify(pods[0]?.spec)) return false;
    if (JSON.stringify(other[0]?.metadata.labels) !== JSON.stringify(pods[0]?.metadata.labels)) return false;
  }
  return true;
}
