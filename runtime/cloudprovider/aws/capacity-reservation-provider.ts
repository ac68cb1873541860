/**
 * Capacity reservations from EC2 (DescribeCapacityReservations, one query per selector term part, each cached for a
 * minute as upstream's DefaultTTL) and how many instances each still has room for. EC2's AvailableInstanceCount is
 * taken at every query; between queries a launch into a reservation takes one, a termination gives one back, and an
 * insufficient-capacity answer empties it, so the next plan neither over- nor under-counts. Counts are kept a day
 * after their last query (upstream's CapacityReservationAvailabilityTTL), through an EC2 API outage.
 */
import {
  type CapacityReservation,
  DescribeCapacityReservationsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { Logger } from 'pino';
import type { Clock } from '../../clock/clock';
import type { EC2NodeClass } from '../../kube/objects';
import {
  type CapacityReservationTerm,
  describeInput,
  filterReservations,
  queriesFromTerms,
} from './capacity-reservations';
import { awsCall } from './errors';
import type { NodeClassResolverOptions } from './nodeclass-status';
import { TtlCache } from './ttl-cache';

export const CAPACITY_RESERVATION_TTL_MS = 60_000;
export const CAPACITY_RESERVATION_AVAILABILITY_TTL_MS = 24 * 3_600_000;

/** Instances each reservation has room for, as last counted by EC2 and adjusted by our launches since. */
export class ReservationAvailability {
  private readonly counts: TtlCache<{ count: number; syncedAt: number }>;

  constructor(private readonly clock: Clock) {
    this.counts = new TtlCache(clock, CAPACITY_RESERVATION_AVAILABILITY_TTL_MS);
  }

  sync(id: string, count: number): void {
    this.counts.set(id, { count, syncedAt: this.clock.now() });
  }

  /** 0 for a reservation never counted. */
  count(id: string): number {
    return this.counts.get(id)?.count ?? 0;
  }

  /** An instance launched into it. A count taken after the launch already includes it. */
  markLaunched(id: string, launchedAt = this.clock.now()): void {
    const e = this.counts.get(id);
    if (e && e.syncedAt <= launchedAt && e.count > 0) e.count -= 1;
  }

  markTerminated(id: string): void {
    const e = this.counts.get(id);
    if (e) e.count += 1;
  }

  /** EC2 answered insufficient capacity for it: nothing left until the next count says otherwise. */
  markUnavailable(id: string): void {
    const e = this.counts.get(id);
    if (e) e.count = 0;
  }
}

export class CapacityReservationProvider {
  private readonly queries: TtlCache<CapacityReservation[]>;
  readonly availability: ReservationAvailability;
  private readonly warnedIgnored = new Set<string>();

  constructor(
    private readonly ec2: EC2Client,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.queries = new TtlCache(clock, CAPACITY_RESERVATION_TTL_MS);
    this.availability = new ReservationAvailability(clock);
  }

  /**
   * What the node class resolution needs of reservations: this provider with the ReservedCapacity gate on. Off,
   * upstream ignores the terms; that is said once per node class rather than silently.
   */
  resolverOptions(
    nodeClass: EC2NodeClass,
    enabled: boolean,
  ): Pick<NodeClassResolverOptions, 'capacityReservations' | 'onSkipped'> {
    const name = nodeClass.metadata.name ?? '';
    if (enabled)
      return {
        capacityReservations: this,
        onSkipped: (errors) =>
          this.logger.error(
            { nodeClass: name, errors: errors.map((e) => e.message) },
            'skipped capacity reservations EC2 described with values Karpenter does not know',
          ),
      };
    if (nodeClass.spec.capacityReservationSelectorTerms?.length && !this.warnedIgnored.has(name)) {
      this.warnedIgnored.add(name);
      this.logger.warn(
        { nodeClass: name },
        'spec.capacityReservationSelectorTerms is ignored while FEATURE_GATES has ReservedCapacity=false: remove the terms, or enable the gate to launch into the reservations',
      );
    }
    return {};
  }

  /** The active, unexpired reservations the terms select, distinct by id. */
  async list(terms: CapacityReservationTerm[] | undefined): Promise<CapacityReservation[]> {
    const found: CapacityReservation[] = [];
    for (const q of queriesFromTerms(terms)) {
      const input = describeInput(q);
      found.push(...(await this.queries.getOrLoad(JSON.stringify(input), () => this.describe(input))));
    }
    return filterReservations(found, this.clock.now());
  }

  private async describe(input: ReturnType<typeof describeInput>): Promise<CapacityReservation[]> {
    const out: CapacityReservation[] = [];
    let NextToken: string | undefined;
    do {
      let page;
      try {
        page = await awsCall('ec2:DescribeCapacityReservations', () =>
          this.ec2.send(new DescribeCapacityReservationsCommand({ ...input, NextToken })),
        );
      } catch (err) {
        // An id that does not exist (or is not shared with us) selects nothing, as upstream.
        if (/NotFound/.test(String((err as Error).message))) break;
        throw err;
      }
      out.push(...(page.CapacityReservations ?? []));
      NextToken = page.NextToken || undefined;
    } while (NextToken);
    for (const r of out)
      if (r.CapacityReservationId)
        this.availability.sync(r.CapacityReservationId, r.AvailableInstanceCount ?? 0);
    return out;
  }
}
