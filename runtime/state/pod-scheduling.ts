/**
 * When the provisioner first saw each pending pod, whether it has decided on it yet, and when it first found the
 * pod a place: what the pod provisioning metrics measure from (upstream keeps the same in its cluster state).
 * Entries are per pod UID and bounded by the pods in the cache: one goes when its pod is deleted or ends, and when
 * the pod metrics have observed its start (see PodStartupTracker).
 */
import type { Pod } from '../kube/objects';

/** A pod's identity across updates: its UID, or namespace/name for objects that carry none (tests). */
export function podIdentity(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

export class PodSchedulingTimes {
  private readonly acked = new Map<string, number>();
  private readonly decided = new Set<string>();
  private readonly schedulable = new Map<string, number>();

  /** The provisioner saw the pod waiting for capacity; only the first sighting counts. */
  ack(pod: Pod, now: number): void {
    const id = podIdentity(pod);
    if (!this.acked.has(id)) this.acked.set(id, now);
  }

  /**
   * Record one provisioning round: the pods it found a place for (on a node or a new NodeClaim) and those it
   * could not place. A pod that fails loses its schedulable time until a later round places it again, as
   * upstream. Returns, for each pod decided on for the first time, the milliseconds since it was first seen.
   */
  decide(placed: Iterable<Pod>, failed: Iterable<Pod>, now: number): number[] {
    const waits: number[] = [];
    const first = (id: string): void => {
      if (this.decided.has(id)) return;
      this.decided.add(id);
      const acked = this.acked.get(id);
      if (acked !== undefined) waits.push(Math.max(0, now - acked));
    };
    for (const pod of failed) {
      const id = podIdentity(pod);
      this.schedulable.delete(id);
      first(id);
    }
    for (const pod of placed) {
      const id = podIdentity(pod);
      if (!this.schedulable.has(id)) this.schedulable.set(id, now);
      first(id);
    }
    return waits;
  }

  /** When the provisioner first found the pod a place (since its last failure), if it has. */
  schedulableAt(pod: Pod): number | undefined {
    return this.schedulable.get(podIdentity(pod));
  }

  forget(pod: Pod): void {
    const id = podIdentity(pod);
    this.acked.delete(id);
    this.decided.delete(id);
    this.schedulable.delete(id);
  }

  /** Pods with any entry, for tests. */
  get size(): number {
    return new Set([...this.acked.keys(), ...this.decided, ...this.schedulable.keys()]).size;
  }
}
