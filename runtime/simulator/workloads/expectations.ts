import type { Clock } from '../../clock/clock';
import type { WatchEventType } from '../../kube/api';
import { objectKey } from '../../kube/informer';
import type { Pod } from '../../kube/objects';

/**
 * Creations and deletions a controller has issued but not yet seen in its pod cache, as kube-controller-manager
 * tracks them: while any are outstanding, the cache undercounts or overcounts and the owner must not be acted on.
 * Outstanding expectations lapse after a TTL so a lost watch event cannot wedge an owner forever.
 */
export class Expectations {
  private readonly byOwner = new Map<string, { adds: number; deletes: Set<string>; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  expect(owner: string, adds: number, deletes: string[]): void {
    this.byOwner.set(owner, { adds, deletes: new Set(deletes), expiresAt: this.clock.now() + this.ttlMs });
  }

  /** Feed a pod watch event of one of the owner's pods. */
  observe(owner: string, type: WatchEventType, pod: Pod, old: Pod | undefined): void {
    const e = this.byOwner.get(owner);
    if (!e) return;
    if (type === 'ADDED' && e.adds > 0) e.adds--;
    const terminating = pod.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp;
    if (type === 'DELETED' || terminating) e.deletes.delete(objectKey(pod));
  }

  /** A deletion that will never show up as an event (the pod was already gone). */
  deletionSeen(owner: string, podKey: string): void {
    this.byOwner.get(owner)?.deletes.delete(podKey);
  }

  forget(owner: string): void {
    this.byOwner.delete(owner);
  }

  satisfied(owner: string): boolean {
    const e = this.byOwner.get(owner);
    if (!e) return true;
    if ((e.adds > 0 || e.deletes.size > 0) && this.clock.now() < e.expiresAt) return false;
    this.byOwner.delete(owner);
    return true;
  }
}
