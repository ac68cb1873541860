/**
 * Leader election on a coordination.k8s.io/v1 Lease, so that of several replicas exactly one acts. Try to take the
 * Lease every retry period; the leader renews it every retry period and gives up leadership when it has not
 * managed to renew for the renew deadline (another replica may take over once the lease duration passes
 * unrenewed). On stop, a leader releases the Lease so a successor takes over at its next retry instead of
 * waiting out the lease duration.
 */
import type { Clock } from '../clock/clock';
import { AlreadyExistsError, ApiError, isConflict, isNotFound, type KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import type { Logger } from '../logging';
import { leaderElectionMasterStatus } from '../metrics';
import { claimedSpec, microTime, mayAcquire, observe, type Observation } from './lease-record';

/** Karpenter's Lease name. */
export const DEFAULT_LEASE_NAME = 'karpenter-leader-election';

export interface LeaderElectorOptions {
  api: KubeApi;
  clock: Clock;
  /** This replica's identity, unique among replicas (the pod name plus a random suffix). */
  identity: string;
  namespace: string;
  /** @default "karpenter-leader-election" */
  name?: string;
  /** How long a Lease stays held without renewal. @default 15000 */
  leaseDurationMs?: number;
  /** A leader that cannot renew for this long stops leading. @default 10000 */
  renewDeadlineMs?: number;
  /** Interval between attempts to take or renew. @default 2000 */
  retryPeriodMs?: number;
  onStartedLeading: () => void | Promise<void>;
  /** Leadership lost (renewal failed) or given up on stop. */
  onStoppedLeading?: () => void;
  logger?: Logger;
}

export class LeaderElector {
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: Observation | undefined;
  private leading = false;
  /** The last attempt took or renewed the Lease: release it on stop even if leadership never started. */
  private holds = false;
  private lastRenew = 0;
  private cancel: (() => void) | undefined;
  private running = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LeaderElectorOptions) {
    this.name = opts.name ?? DEFAULT_LEASE_NAME;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs || this.retryPeriodMs >= this.renewDeadlineMs) {
      throw new Error('leader election needs retry period < renew deadline < lease duration');
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Start competing for the Lease; returns at once (leadership is reported through onStartedLeading). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Stop competing; a leader releases the Lease. Resolves once any in-flight API call has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
    await this.inFlight;
    if (this.leading) this.setLeading(false);
    if (this.holds) await this.release();
    this.holds = false;
  }

  private tick(): void {
    if (!this.running) return;
    this.inFlight = this.attempt().finally(() => {
      if (this.running) this.cancel = this.opts.clock.setTimer(this.retryPeriodMs, () => this.tick());
    });
  }

  private async attempt(): Promise<void> {
    const now = this.opts.clock.now();
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew(now);
    } catch (err) {
      this.opts.logger?.warn({ err, lease: this.name }, 'leader election: lease update failed');
    }
    this.holds = ok;
    if (!this.running) return;
    if (ok) {
      this.lastRenew = now;
      if (!this.leading) {
        this.setLeading(true);
        this.opts.logger?.info({ identity: this.opts.identity, lease: this.name }, 'became leader');
        await this.opts.onStartedLeading();
      }
    } else if (this.leading && this.opts.clock.now() - this.lastRenew >= this.renewDeadlineMs) {
      this.opts.logger?.error({ lease: this.name }, 'leader election: could not renew the lease in time');
      this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    const was = this.leading;
    this.leading = leading;
    leaderElectionMasterStatus.set({ name: this.name }, leading ? 1 : 0);
    if (was && !leading) this.opts.onStoppedLeading?.();
  }

  /** One attempt; true when this replica holds the Lease afterwards. */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const { api, identity, namespace } = this.opts;
    const seconds = Math.ceil(this.leaseDurationMs / 1000);
    const lease = await api.get(Kinds.Lease, this.name, namespace);
    if (!lease) {
      try {
        await api.create(Kinds.Lease, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.name, namespace },
          spec: claimedSpec(undefined, identity, seconds, now),
        });
        return true;
      } catch (err) {
        if (err instanceof AlreadyExistsError || (err instanceof ApiError && err.status === 409))
          return false;
        throw err;
      }
    }
    this.observed = observe(this.observed, lease, now);
    if (!mayAcquire(lease, identity, this.observed, now)) return false;
    try {
      const updated = await api.update(Kinds.Lease, {
        ...lease,
        spec: claimedSpec(lease.spec, identity, seconds, now),
      });
      this.observed = observe(undefined, updated, now);
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  /** Give the Lease up: empty holder and a 1 s duration, so the next replica takes it at its next retry. */
  private async release(): Promise<void> {
    const { api, identity, namespace, clock } = this.opts;
    try {
      const lease = await api.get(Kinds.Lease, this.name, namespace);
      if (!lease || lease.spec.holderIdentity !== identity) return;
      await api.update(Kinds.Lease, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(clock.now()),
        },
      });
      this.opts.logger?.info({ identity, lease: this.name }, 'released leadership');
    } catch (err) {
      this.opts.logger?.warn({ err, lease: this.name }, 'leader election: could not release the lease');
    }
  }
}
