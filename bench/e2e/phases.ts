/**
 * Where a pod's startup time goes, read from the objects the API server holds after the scale-up (the same for
 * both controllers: upstream's NodeClaims carry the same conditions). Only pods that waited for a node launched
 * for them are counted: for those, startup splits into the controller's planning (pod created → NodeClaim
 * created), the launch (→ Node object), the kubelet coming up (→ Node Ready), registration and initialization by
 * the controller (→ NodeClaim Initialized, taints lifted), the kube-scheduler (→ pod bound) and the kubelet
 * (→ pod Ready). Kubernetes timestamps have one-second resolution, so each phase is a median of whole seconds.
 */
import type { KubeObject, Node, NodeClaim, Pod } from '../../runtime/kube/objects';

export const PHASES = ['plan', 'launch', 'node ready', 'initialized', 'bound', 'running'] as const;
export type Phase = (typeof PHASES)[number];
export type StartupPhases = Record<Phase, number>;

function conditionTime(obj: KubeObject, type: string): number | undefined {
  const conditions = (
    obj as { status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } }
  ).status?.conditions;
  const c = conditions?.find((x) => x.type === type && x.status === 'True');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

function created(obj: KubeObject): number {
  return Date.parse(obj.metadata.creationTimestamp as string);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** Median seconds per phase over the pods that waited for a new node; undefined when none did. */
export function startupPhases(pods: Pod[], nodes: Node[], claims: NodeClaim[]): StartupPhases | undefined {
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name as string, n]));
  const claimByNode = new Map<string, NodeClaim>();
  for (const c of claims) if (c.status?.nodeName) claimByNode.set(c.status.nodeName, c);
  const samples: Record<Phase, number[]> = {
    plan: [],
    launch: [],
    'node ready': [],
    initialized: [],
    bound: [],
    running: [],
  };
  for (const pod of pods) {
    const nodeName = pod.spec.nodeName;
    const node = nodeName ? nodeByName.get(nodeName) : undefined;
    const claim = nodeName ? claimByNode.get(nodeName) : undefined;
    if (!node || !claim) continue;
    const t = [
      created(pod),
      created(claim),
      created(node),
      conditionTime(node, 'Ready'),
      conditionTime(claim, 'Initialized'),
      conditionTime(pod, 'PodScheduled'),
      conditionTime(pod, 'Ready'),
    ];
    // A pod that found room on a node launched before it did not wait for that node.
    if (t.some((x) => x === undefined || Number.isNaN(x)) || (t[1] as number) < (t[0] as number)) continue;
    PHASES.forEach((phase, i) => {
      samples[phase].push(Math.max(0, ((t[i + 1] as number) - (t[i] as number)) / 1000));
    });
  }
  if (samples.plan.length === 0) return undefined;
  return Object.fromEntries(PHASES.map((p) => [p, median(samples[p])])) as StartupPhases;
}
