/**
 * The ReplicaSet controller: creates or deletes pods until the active ones match replicas, giving up pods on
 * scale-down in Kubernetes' order, and never acting while its own writes are still missing from the cache.
 */
import { Annotations } from '../../../sdk/api/well-known';
import { hasCondition } from '../../kube/conditions';
import { objectKey } from '../../kube/informer';
import { Kinds } from '../../kube/kinds';
import type { Pod, ReplicaSet } from '../../kube/objects';
import { POD_TEMPLATE_HASH_LABEL } from './deployment';
import { Expectations } from './expectations';
import { QueuedController, type WorkloadContext } from './queued-controller';
import {
  compareStrings,
  controlledBy,
  controllerRef,
  deleteToleratingMissing,
  isActivePod,
  ownerReference,
  podFromTemplate,
  splitKey,
} from './shared';

export class ReplicaSetController extends QueuedController {
  private readonly expectations: Expectations;

  constructor(ctx: WorkloadContext) {
    super('sim.replicaset', ctx);
    this.expectations = new Expectations(ctx.clock);
    ctx.replicaSets.onChange((_type, rs) => this.enqueue(objectKey(rs)));
    ctx.pods.onChange((type, pod, old) => {
      const owner = controllerRef(pod);
      if (owner?.kind !== 'ReplicaSet') return;
      const key = `${pod.metadata.namespace}/${owner.name}`;
      this.expectations.observe(key, type, pod, old);
      // A change that leaves the pod counting toward replicas as before (bound, started, ready) cannot change what
      // a reconcile does; a deleted, evicted or failed pod must be replaced. Skipping the rest keeps a large
      // scale-up from counting every pod of the ReplicaSet at each pod's status update.
      if (
        type === 'MODIFIED' &&
        old &&
        isActivePod(old) === isActivePod(pod) &&
        controllerRef(old)?.uid === owner.uid
      )
        return;
      this.enqueue(key);
    });
  }

  protected resyncKeys(): string[] {
    return this.ctx.replicaSets.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const rs = this.ctx.replicaSets.get(...splitKey(key));
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    // Until our last writes show up in the cache, counting pods would act on them twice.
    if (rs.metadata.deletionTimestamp || !this.expectations.satisfied(key)) return;
    const pods = controlledBy(this.ctx.pods, rs).filter(isActivePod);
    const want = rs.spec.replicas ?? 1;
    try {
      if (pods.length < want) await this.create(key, rs, want - pods.length);
      else if (pods.length > want) await this.remove(key, scaleDownOrder(pods).slice(0, pods.length - want));
    } catch (err) {
      // Retried after a backoff, by which time the cache holds whatever did succeed.
      this.expectations.forget(key);
      throw err;
    }
  }

  private async create(key: string, rs: ReplicaSet, count: number): Promise<void> {
    this.expectations.expect(key, count, []);
    const hash = rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
    for (let i = 0; i < count; i++) {
      const pod = podFromTemplate(rs.spec.template, {
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: hash ? { [POD_TEMPLATE_HASH_LABEL]: hash } : {},
        ownerReferences: [ownerReference(Kinds.ReplicaSet, rs)],
      });
      await this.ctx.beforePodWrite?.();
      await this.ctx.api.create(Kinds.Pod, pod);
    }
  }

  private async remove(key: string, victims: Pod[]): Promise<void> {
    this.expectations.expect(key, 0, victims.map(objectKey));
    for (const pod of victims) {
      await this.ctx.beforePodWrite?.();
      if (!(await deleteToleratingMissing(this.ctx.api, Kinds.Pod, pod)))
        this.expectations.deletionSeen(key, objectKey(pod));
    }
  }
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The order in which a ReplicaSet gives up pods on scale-down, Kubernetes' ranking (the first rule that differs
 * decides): unassigned before assigned; Pending before Unknown before Running; not Ready before Ready; the lower
 * pod-deletion-cost first; pods on nodes hosting more of this ReplicaSet's pods first, so scale-down evens out
 * and empties the fuller node; newer before older; then by name.
 */
export function scaleDownOrder(pods: Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods)
    if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const colocated = (p: Pod): number => (p.spec.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  const phase = (p: Pod): number => PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0;
  const cost = new Map(pods.map((p) => [p, deletionCost(p)]));
  return [...pods].sort(
    (a, b) =>
      Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName)) ||
      phase(a) - phase(b) ||
      Number(hasCondition(a, 'Ready')) - Number(hasCondition(b, 'Ready')) ||
      (cost.get(a) ?? 0) - (cost.get(b) ?? 0) ||
      colocated(b) - colocated(a) ||
      compareStrings(b.metadata.creationTimestamp, a.metadata.creationTimestamp) ||
      compareStrings(a.metadata.name, b.metadata.name),
  );
}

const INT32 = 2 ** 31;

/** A pod's pod-deletion-cost as the ReplicaSet controller reads it: an int32, else 0. */
export function deletionCost(pod: Pod): number {
  const raw = pod.metadata.annotations?.[Annotations.podDeletionCost];
  if (raw === undefined || !/^[+-]?\d+$/.test(raw)) return 0;
  const n = Number(raw);
  return n >= -INT32 && n < INT32 ? n : 0;
}
