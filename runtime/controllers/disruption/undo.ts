/**
 * Consolidation must not undo itself. When the provisioner launches capacity, soon after a consolidation, for
 * pods of the same workloads that consolidation evicted, that consolidation was undone: its simulation was
 * wrong about where the pods would go. Deciding the same thing again would loop (delete, launch, delete, ...),
 * so consolidating nodes of that NodePool and instance type waits for a cool-down, and each such node says why.
 * The cool-down starts short and doubles with each undo of the same pool and type: one misplaced batch of pods
 * in a large fleet of one type must not freeze its consolidation for an hour, but a real loop slows to a stop.
 * `holdingUnderKubeScheduler` keeps most such decisions from being made at all; this catches whatever it misses.
 * Pure: time and events come in as arguments.
 */
import { Labels } from '../../../sdk/api/well-known';
import type { Pod } from '../../kube/objects';
import type { Candidate } from './candidates';

/** A launch this soon after a consolidation, for the pods it evicted, undoes it. */
export const UNDO_WINDOW_MS = 10 * 60_000;
/** How long consolidating the same NodePool and instance type then waits, the first time. */
export const UNDO_COOLDOWN_MS = 5 * 60_000;
/** The longest cool-down, after repeated undos. */
export const UNDO_COOLDOWN_MAX_MS = 60 * 60_000;
/** An undo this long after the last one of the same pool and type starts the cool-downs over. */
const UNDO_STRIKES_FORGOTTEN_MS = 2 * UNDO_COOLDOWN_MAX_MS;

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
  /** Undos so far of each pool and type, and the time of the last. */
  private readonly strikes = new Map<string, { count: number; at: number }>();

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
    const base = { nodes: undone.nodes, consolidatedAt: undone.at, nodeClaim, launchedAt: at };
    let until = at;
    for (const key of new Set(undone.removed)) {
      const last = this.strikes.get(key);
      const count = last && at - last.at < UNDO_STRIKES_FORGOTTEN_MS ? last.count + 1 : 1;
      this.strikes.set(key, { count, at });
      const verdict = { ...base, until: at + cooldownFor(count) };
      this.coolingDown.set(key, verdict);
      until = Math.max(until, verdict.until);
    }
    return { ...base, until };
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
    for (const [key, s] of this.strikes)
      if (now - s.at >= UNDO_STRIKES_FORGOTTEN_MS) this.strikes.delete(key);
  }
}

/** The cool-down after the count-th undo in a row: doubling from UNDO_COOLDOWN_MS up to UNDO_COOLDOWN_MAX_MS. */
export function cooldownFor(count: number): number {
  return Math.min(UNDO_COOLDOWN_MAX_MS, UNDO_COOLDOWN_MS * 2 ** Math.min(Math.max(count - 1, 0), 16));
}
