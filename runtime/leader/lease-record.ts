/**
 * The pure part of leader election: given the Lease as read, who holds it and whether it may be taken. Expiry is
 * judged by when *this* process last saw the record change, never by the holder's clock, so clock skew between
 * replicas cannot make two of them lead (client-go's rule).
 */
import type { Lease } from '../kube/objects';

export interface Observation {
  /** The holder, renew time and transitions as last read: a change means the holder is alive. */
  record: string;
  /** Local time the record was first seen in this form. */
  at: number;
}

export function recordOf(lease: Lease): string {
  const { holderIdentity, renewTime, leaseTransitions } = lease.spec;
  return JSON.stringify([holderIdentity ?? '', renewTime ?? '', leaseTransitions ?? 0]);
}

/** The observation after reading `lease` at `now`: unchanged records keep their first-seen time. */
export function observe(prior: Observation | undefined, lease: Lease, now: number): Observation {
  const record = recordOf(lease);
  return prior?.record === record ? prior : { record, at: now };
}

/** Whether `identity` may take the Lease now. */
export function mayAcquire(lease: Lease, identity: string, seen: Observation, now: number): boolean {
  const holder = lease.spec.holderIdentity ?? '';
  if (holder === '' || holder === identity) return true;
  const durationMs = (lease.spec.leaseDurationSeconds ?? 0) * 1000;
  return seen.at + durationMs <= now;
}

/** Kubernetes MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The Lease spec for `identity` taking or renewing it at `now`. */
export function claimedSpec(
  current: Lease['spec'] | undefined,
  identity: string,
  leaseDurationSeconds: number,
  now: number,
): Lease['spec'] {
  const changed = (current?.holderIdentity ?? '') !== identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: changed || !current?.acquireTime ? microTime(now) : current.acquireTime,
    renewTime: microTime(now),
    leaseTransitions: (current?.leaseTransitions ?? 0) + (changed && current?.holderIdentity ? 1 : 0),
  };
}
