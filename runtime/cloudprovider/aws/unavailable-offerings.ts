/**
 * Offerings that recently failed for lack of capacity (EC2's ICE errors) or were interrupted, skipped for 3 minutes
 * like upstream's cache, keyed `capacityType:instanceType:zone`.
 */
import type { Clock } from '../../clock/clock';
import { UNAVAILABLE_TTL_MS } from '../simulated/simulated-cloud';
import { TtlCache } from './ttl-cache';

/** CreateFleet error codes that mean "no capacity for this offering": try the next one. */
export const ICE_ERROR_CODES: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity',
  'MaxSpotInstanceCountExceeded',
  'VcpuLimitExceeded',
  'UnfulfillableCapacity',
  'Unsupported',
  'InsufficientFreeAddressesInSubnet',
  'MaxFleetCountExceeded',
]);

export function offeringKey(capacityType: string, instanceType: string, zone: string): string {
  return `${capacityType}:${instanceType}:${zone}`;
}

export class UnavailableOfferings {
  private readonly cache: TtlCache<true>;
  /** Bumped on every change so instance-type caches can key on it. */
  private version = 0;

  constructor(clock: Clock, ttlMs = UNAVAILABLE_TTL_MS) {
    this.cache = new TtlCache(clock, ttlMs);
  }

  mark(capacityType: string, instanceType: string, zone: string): void {
    this.cache.set(offeringKey(capacityType, instanceType, zone), true);
    this.version++;
  }

  isUnavailable(capacityType: string, instanceType: string, zone: string): boolean {
    return this.cache.get(offeringKey(capacityType, instanceType, zone)) === true;
  }

  /** A key that changes whenever the set of unavailable offerings does (marks and expiries). */
  stateKey(): string {
    return `${this.version}:${this.cache.keys().length}`;
  }
}
