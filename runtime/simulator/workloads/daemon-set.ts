/**
 * The DaemonSet controller: one pod on every node whose labels and taints admit it, bound directly to the node;
 * pods on nodes that no longer admit them (or no longer exist) and duplicates are removed.
 */
import { hasCondition } from '../../kube/conditions';
import { objectKey } from '../../kube/informer';
import { Kinds } from '../../kube/kinds';
import { nameOf, type DaemonSet, type Node, type Pod, type Taint, type Toleration } from '../../kube/objects';
import { podRequirementAlternatives } from '../../scheduling/pod-requirements';
import { podFitsNode, type NodeView } from '../../scheduling/predicates';
import { Expectations } from './expectations';
import { QueuedController, type WorkloadContext } from './queued-controller';
import {
  compareStrings,
  controllerRef,
  deleteToleratingMissing,
  isActivePod,
  controlledBy,
  ownerReference,
  podFromTemplate,
  splitKey,
} from './shared';

export class DaemonSetController extends QueuedController {
  private readonly expectations: Expectations;

  constructor(ctx: WorkloadContext) {
    super('sim.daemonset', ctx);
    this.expectations = new Expectations(ctx.clock);
    ctx.daemonSets.onChange((_type, ds) => this.enqueue(objectKey(ds)));
    // Any node change (new, gone, Ready, relabelled, tainted) can change where the daemons belong.
    ctx.nodes.onChange(() => {
      for (const ds of ctx.daemonSets.list()) this.enqueue(objectKey(ds));
    });
    ctx.pods.onChange((type, pod, old) => {
      const owner = controllerRef(pod);
      if (owner?.kind !== 'DaemonSet') return;
      const key = `${pod.metadata.namespace}/${owner.name}`;
      this.expectations.observe(key, type, pod, old);
      this.enqueue(key);
    });
  }

  protected resyncKeys(): string[] {
    return this.ctx.daemonSets.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const ds = this.ctx.daemonSets.get(...splitKey(key));
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    if (ds.metadata.deletionTimestamp || !this.expectations.satisfied(key)) return;
    const probe = daemonPod(ds, undefined);
    const alternatives = podRequirementAlternatives(probe);
    const byNode = new Map<string, Pod[]>();
    const pods = controlledBy(this.ctx.pods, ds).filter(isActivePod).sort(olderFirst);
    for (const pod of pods) {
      const list = byNode.get(pod.spec.nodeName ?? '') ?? [];
      list.push(pod);
      byNode.set(pod.spec.nodeName ?? '', list);
    }
    const create: string[] = [];
    const remove: Pod[] = [];
    const nodes = this.ctx.nodes.list().sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
    for (const node of nodes) {
      const name = nameOf(node);
      const here = byNode.get(name) ?? [];
      byNode.delete(name);
      if (here.length === 0) {
        if (daemonMayStart(probe, alternatives, node)) create.push(name);
      } else if (!daemonMayStay(probe, alternatives, node)) {
        remove.push(...here);
      } else {
        remove.push(...here.slice(1));
      }
    }
    // What is left sits on nodes that no longer exist.
    for (const orphans of byNode.values()) remove.push(...orphans);
    if (create.length === 0 && remove.length === 0) return;
    this.expectations.expect(key, create.length, remove.map(objectKey));
    try {
      for (const nodeName of create) {
        await this.ctx.beforePodWrite?.();
        await this.ctx.api.create(Kinds.Pod, daemonPod(ds, nodeName));
      }
      for (const pod of remove) {
        if (!(await deleteToleratingMissing(this.ctx.api, Kinds.Pod, pod))) {
          this.expectations.deletionSeen(key, objectKey(pod));
        }
      }
    } catch (err) {
      this.expectations.forget(key);
      throw err;
    }
  }
}

/**
 * The tolerations the DaemonSet controller adds to every daemon pod, so daemons keep running through node
 * conditions that would evict or repel ordinary pods.
 */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function daemonPod(ds: DaemonSet, nodeName: string | undefined): Pod {
  const pod = podFromTemplate(ds.spec.template, {
    generateName: `${ds.metadata.name}-`,
    namespace: ds.metadata.namespace,
    ownerReferences: [ownerReference(Kinds.DaemonSet, ds)],
  });
  const tolerations = pod.spec.tolerations ?? [];
  for (const t of DAEMON_TOLERATIONS) {
    if (!tolerations.some((have) => have.key === t.key && have.effect === t.effect))
      tolerations.push({ ...t });
  }
  pod.spec.tolerations = tolerations;
  if (nodeName) pod.spec.nodeName = nodeName;
  return pod;
}

type Alternatives = ReturnType<typeof podRequirementAlternatives>;

/** Whether a daemon pod should be placed on the node: Ready, not going away, labels and taints admit it. */
function daemonMayStart(pod: Pod, alternatives: Alternatives, node: Node): boolean {
  if (node.metadata.deletionTimestamp || !hasCondition(node, 'Ready')) return false;
  return admits(pod, alternatives, node, node.spec?.taints ?? []);
}

/** Whether a running daemon pod may stay: only NoExecute taints evict, as they do for any running pod. */
function daemonMayStay(pod: Pod, alternatives: Alternatives, node: Node): boolean {
  const evicting = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  return admits(pod, alternatives, node, evicting);
}

function admits(pod: Pod, alternatives: Alternatives, node: Node, taints: Taint[]): boolean {
  // Capacity does not hold daemons back: empty requests against an empty node always fit.
  const view: NodeView = {
    name: nameOf(node),
    labels: node.metadata.labels ?? {},
    taints,
    allocatable: {},
    requested: {},
  };
  return podFitsNode(pod, {}, view, alternatives) === undefined;
}

function olderFirst(a: Pod, b: Pod): number {
  return (
    compareStrings(a.metadata.creationTimestamp, b.metadata.creationTimestamp) ||
    compareStrings(a.metadata.name, b.metadata.name)
  );
}
