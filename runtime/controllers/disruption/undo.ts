/**
 * Consolidation must not undo itself. When the provisioner launches capacity, soon after a consolidation, for
 * pods of the same workloads that consolidation evicted, that consolidation was undone: its simulation was
 * wrong about where the pods would go. Deciding the same thing again would loop (delete, launch, delete, ...),
 * so consolidating nodes of that NodePool and instance type waits for a cool-down, and each such node says why.
 * `holdingUnderKubeScheduler` keeps most such decisions from being made at all; this catches whatever it misses.
 * Pure: time and events come in as arguments.
 */
import { Labels } from '../../../sdk/api/well-known';
import type { Pod } from '../../kube/objects';
import type { Candidate } from './candidates';

/** A launch this soon after a consolidation, for the pods it evicted, undoes it. */
export const UNDO_WINDOW_MS = 10 * 60_000;
/** How long consolidating the same NodePool and instance type then waits. */
export const UNDO_COOLDOWN_MS = 60 * 60_000;

/** Who a pod belongs to: its controller (a recreated pod keeps it), else the pod itself. */
export function workloadOf(pod: Pod): string {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  return owner?.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
}

interface Consolidation {
  at: number;
  /** `nodePool/instanceType` of each node removed. */
  removed: string[];
  nodes: string[];
  workloads: Set<string>;
  undone: boolean;
}

export interface Undone {
  /** The nodes the consolidation removed. */
  nodes: string[];
  consolidatedAt: number;
  /** The NodeClaim launched for their pods. */
  nodeClaim: string;
  launchedAt: number;
  until: number;
}

function keyOf(c: Candidate): string {
  return `${c.nodePool.metadata.name}/${c.stateNode.labels[Labels.instanceType] ?? '?'}`;
}

export class UndoGuard {
  private readonly recent: Consolidation[] = [];
  private readonly coolingDown = new Map<string, Undone>();

  /** A consolidation was carried out. */
  consolidated(candidates: Candidate[], at: number): void {
    this.recent.push({
      at,
      removed: candidates.map(keyOf),
      nodes: candidates.map((c) => c.stateNode.name),
      workloads: new Set(candidates.flatMap((c) => c.reschedulablePods.map(workloadOf))),
      undone: false,
    });
  }

  /**
   * The provisioner launched a NodeClaim for these pods. Returns the consolidation this undoes, if any (once
   * per consolidation), after which consolidating its NodePool and instance types cools down.
   */
  provisioned(nodeClaim: string, pods: Pod[], at: number): Undone | undefined {
    this.forget(at);
    const workloads = new Set(pods.map(workloadOf));
    // The latest consolidation that moved these workloads is the one whose placement failed: the pods of an
    // earlier one have long found their nodes (blaming the oldest would cool down types it never touched again).
    const undone = [...this.recent]
      .reverse()
      .find(
        (c) => !c.undone && at - c.at <= UNDO_WINDOW_MS && [...c.workloads].some((w) => workloads.has(w)),
      );
    if (!undone) return undefined;
    undone.undone = true;
    const verdict: Undone = {
      nodes: undone.nodes,
      consolidatedAt: undone.at,
      nodeClaim,
      launchedAt: at,
      until: at + UNDO_COOLDOWN_MS,
    };
    for (const key of undone.removed) this.coolingDown.set(key, verdict);
    return verdict;
  }

  /** Why this candidate may not be consolidated now, or undefined. */
  blocked(c: Candidate, now: number): string | undefined {
    const undone = this.coolingDown.get(keyOf(c));
    if (!undone || undone.until <= now) return undefined;
    const [pool, type] = keyOf(c).split('/');
    const seconds = Math.round((undone.launchedAt - undone.consolidatedAt) / 1000);
    return (
      `consolidating a ${type} of NodePool "${pool}" was undone: nodeclaim/${undone.nodeClaim} was launched ` +
      `for the pods evicted from ${undone.nodes.join(', ')} ${seconds}s later; not consolidating such nodes ` +
      `until ${new Date(undone.until).toISOString()}`
    );
  }

  private forget(now: number): void {
    for (let i = this.recent.length - 1; i >= 0; i--) {
      if (now - (this.recent[i] as Consolidation).at > UNDO_WINDOW_MS) this.recent.splice(i, 1);
    }
    for (const [key, u] of this.coolingDown) if (u.until <= now) this.coolingDown.delete(key);
  }
}
