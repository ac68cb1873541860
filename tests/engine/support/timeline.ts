/**
 * What the API server saw during a `pulumi up` or `destroy`: watch events of the kinds whose order matters, each
 * with the resourceVersion it was written at. On one etcd-backed API server a write's resourceVersion is etcd's
 * global revision, so comparing them across kinds orders the writes exactly (Kubernetes clients must not rely on
 * that; a test of our own cluster may).
 */
import type { WatchHandle } from '../../../runtime/kube/api';
import type { ClientNodeApi } from '../../../runtime/kube/client-node';
import type { ResourceKind } from '../../../runtime/kube/kinds';
import type { KubeObject } from '../../../runtime/kube/objects';

export interface Seen {
  kind: string;
  name: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  object: KubeObject;
}

export class Timeline {
  readonly events: Seen[] = [];
  private readonly handles: WatchHandle[] = [];

  constructor(private readonly api: ClientNodeApi) {}

  /** Watch `kind` from `resourceVersion` ("0": the objects that exist now, then every change). */
  async watch<T extends KubeObject>(kind: ResourceKind<T>, resourceVersion: string): Promise<void> {
    const handle = await this.api.watch(kind, { resourceVersion }, (event) => {
      this.events.push({
        kind: kind.kind,
        name: event.object.metadata.name ?? '',
        type: event.type,
        rv: Number(event.object.metadata.resourceVersion),
        object: event.object,
      });
    });
    this.handles.push(handle);
  }

  stop(): void {
    for (const h of this.handles.splice(0)) h.stop();
  }

  of(kind: string, name?: string): Seen[] {
    return this.events.filter((e) => e.kind === kind && (name === undefined || e.name === name));
  }

  /** The revision `kind`/`name` was created at. */
  created(kind: string, name: string): number {
    const added = this.of(kind, name).find((e) => e.type === 'ADDED');
    if (!added) throw new Error(`no ADDED event for ${kind} ${name}: ${this.describe()}`);
    return added.rv;
  }

  /** The first revision at which `kind`/`name` was being deleted (a deletionTimestamp) or gone. */
  deletionStarted(kind: string, name: string): number {
    const e = this.of(kind, name).find((x) => x.type === 'DELETED' || x.object.metadata.deletionTimestamp);
    if (!e) throw new Error(`no deletion seen for ${kind} ${name}: ${this.describe()}`);
    return e.rv;
  }

  /** The first revision satisfying `pred` for `kind`/`name`. */
  first(kind: string, name: string, pred: (o: KubeObject) => boolean): number {
    const e = this.of(kind, name).find((x) => pred(x.object));
    if (!e) throw new Error(`no matching event for ${kind} ${name}: ${this.describe()}`);
    return e.rv;
  }

  describe(): string {
    return this.events
      .map(
        (e) =>
          `${e.rv} ${e.type} ${e.kind}/${e.name}${e.object.metadata.deletionTimestamp ? ' (deleting)' : ''}`,
      )
      .join('; ');
  }
}
