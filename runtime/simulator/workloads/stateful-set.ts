/**
 * The StatefulSet controller: pods named `<set>-<ordinal>`, created in order and removed from the top, one at a
 * time.
 */
import { objectKey } from '../../kube/informer';
import { Kinds } from '../../kube/kinds';
import { nameOf, type Pod, type StatefulSet } from '../../kube/objects';
import { isTerminalPod } from '../../state/cluster-state';
import { QueuedController, type WorkloadContext } from './queued-controller';
import {
  controllerRef,
  createToleratingExisting,
  deleteToleratingMissing,
  controlledBy,
  ownerReference,
  podFromTemplate,
  splitKey,
} from './shared';

export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export class StatefulSetController extends QueuedController {
  constructor(ctx: WorkloadContext) {
    super('sim.statefulset', ctx);
    ctx.statefulSets.onChange((_type, ss) => this.enqueue(objectKey(ss)));
    ctx.pods.onChange((_type, pod) => {
      const owner = controllerRef(pod);
      if (owner?.kind === 'StatefulSet') this.enqueue(`${pod.metadata.namespace}/${owner.name}`);
    });
  }

  protected resyncKeys(): string[] {
    return this.ctx.statefulSets.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const ss = this.ctx.statefulSets.get(...splitKey(key));
    if (!ss || ss.metadata.deletionTimestamp) return;
    const want = ss.spec.replicas ?? 1;
    const byOrdinal = new Map<number, Pod>();
    for (const pod of controlledBy(this.ctx.pods, ss)) {
      const ordinal = ordinalOf(nameOf(ss), nameOf(pod));
      if (ordinal !== undefined) byOrdinal.set(ordinal, pod);
    }
    // Ordinals come up in order: ordinal n+1 is created only once ordinal n exists and is not terminating.
    for (let ordinal = 0; ordinal < want; ordinal++) {
      const pod = byOrdinal.get(ordinal);
      if (pod?.metadata.deletionTimestamp) return;
      if (pod && isTerminalPod(pod)) {
        // A finished pod is replaced under the same name once it is gone.
        await deleteToleratingMissing(this.ctx.api, Kinds.Pod, pod);
        return;
      }
      if (!pod && !(await createToleratingExisting(this.ctx.api, Kinds.Pod, statefulPod(ss, ordinal))))
        return;
    }
    // Scale down from the top, one pod at a time: the next goes only once the previous one is gone.
    const surplus = [...byOrdinal].filter(([ordinal]) => ordinal >= want).sort(([a], [b]) => b - a);
    if (surplus.some(([, pod]) => pod.metadata.deletionTimestamp)) return;
    const highest = surplus[0];
    if (highest) await deleteToleratingMissing(this.ctx.api, Kinds.Pod, highest[1]);
  }
}

function statefulPod(ss: StatefulSet, ordinal: number): Pod {
  const name = `${ss.metadata.name}-${ordinal}`;
  return podFromTemplate(ss.spec.template, {
    name,
    namespace: ss.metadata.namespace,
    labels: { [STATEFULSET_POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
    ownerReferences: [ownerReference(Kinds.StatefulSet, ss)],
  });
}

function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}
