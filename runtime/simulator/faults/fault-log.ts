/** What a fault injector did: counts per `seam.call.fault`, for reports and for tests that must see faults. */
export class FaultLog {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxFaults = Infinity) {}

  /** Whether another fault may be injected (the profile's maxFaults not reached). */
  get open(): boolean {
    return this.total < this.maxFaults;
  }

  count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  /** Counts by key, sorted. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
