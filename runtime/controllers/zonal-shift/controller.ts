/**
 * Follows zonal shifts (ENABLE_ZONAL_SHIFT), as the AWS provider's arczonalshift controller: every 30 s it reads the
 * cluster's shifts from the cloud (ARC, or the simulated cloud's impaired zones) and keeps the set of shifted zones
 * the cloud provider reads (their offerings become unavailable: no launches, no topology domain) and the disruption
 * controller reads (NodeClaims there drift, reason ZonalShift). When the set changes it tells each NodePool that
 * can launch in the zone (ZonalShiftActive / ZonalShiftCleared) and asks for a provisioning round.
 */
import type { ShiftedZones, ZonalShiftRecord, ZonalShiftSource } from '../../cloudprovider/zonal-shift';
import type { ControllerContext } from '../context';
import type { Controller } from '../controller';
import { Poller } from '../poller';
import { activeShifts, nodeClassZones, zonalShiftEvents, type ZonalShiftEvent } from './shifts';

/** How often the shifts are read, as upstream's singleton requeues. */
export const ZONAL_SHIFT_INTERVAL_MS = 30_000;

export interface ZonalShiftControllerOptions extends ControllerContext {
  source: ZonalShiftSource;
  /** Called when the set of shifted zones changes (the provisioner re-plans pending pods). */
  onChange?: () => void;
}

export class ZonalShiftController implements Controller {
  readonly name = 'zonalshift';
  private readonly poller: Poller;
  private records: readonly ZonalShiftRecord[] = [];
  /** The shifted zones (name → ID) the last published events describe. */
  private published = new Map<string, string>();
  private running = 0;

  constructor(private readonly opts: ZonalShiftControllerOptions) {
    this.poller = new Poller(opts.clock, ZONAL_SHIFT_INTERVAL_MS, () => this.reconcile(), this.onError);
  }

  private readonly onError = (err: unknown): void =>
    this.opts.logger.error({ err }, 'reading zonal shifts failed; keeping the last known shifts');

  /** The zones shifted away from now: a shift that expires between two reads stops counting at its expiry. */
  readonly shiftedZones: ShiftedZones = () =>
    new Set(activeShifts(this.records, this.opts.clock.now()).keys());

  start(): void {
    // A first read at once, so launches right after start-up already avoid shifted zones.
    this.reconcile().catch(this.onError);
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }

  get idle(): boolean {
    return this.running === 0 && !this.poller.busy;
  }

  /** One pass: read the shifts, and publish events for a change. Exposed for tests. */
  async reconcile(): Promise<ZonalShiftEvent[]> {
    this.running++;
    try {
      this.records = await this.opts.source.zonalShifts();
      const current = activeShifts(this.records, this.opts.clock.now());
      const events = zonalShiftEvents(this.published, current, this.pools());
      if (events.length === 0 && sameZones(this.published, current)) return [];
      const { recorder, logger } = this.opts;
      for (const e of events) {
        if (e.type === 'Warning') recorder.warning(e.nodePool, e.reason, e.message);
        else recorder.normal(e.nodePool, e.reason, e.message);
      }
      logger.info({ shiftedZones: [...current.keys()] }, 'zonal shifts changed');
      this.published = current;
      this.opts.onChange?.();
      return events;
    } finally {
      this.running--;
    }
  }

  private pools() {
    const { state } = this.opts;
    return state.nodePools.list().map((nodePool) => ({
      nodePool,
      classZones: nodeClassZones(state.nodeClasses.get(nodePool.spec.template.spec.nodeClassRef.name)),
    }));
  }
}

function sameZones(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a.keys()].every((z) => b.has(z));
}
