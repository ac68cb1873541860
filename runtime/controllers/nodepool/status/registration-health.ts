/**
 * NodeRegistrationHealthy, upstream's per-NodePool memory of recent launch outcomes (core pkg/state/nodepoolhealth):
 * the last 4 NodeClaims of the pool either registered (healthy) or failed to launch or register within the liveness
 * timeouts (unhealthy). With none recorded the condition is Unknown; 2 or more failures among them (half the buffer)
 * turn it False, with the failed launch's reason and message, or RegistrationFailed for a node that never joined; a
 * registration that leaves fewer turns it True. The condition only moves on the outcome that justifies it: a single
 * failure after a reset leaves it Unknown, a success while failures still dominate leaves it False.
 *
 * It resets to Unknown, forgetting every outcome, when the NodePool's spec or its node class's spec changes
 * (generation), because the user may have fixed what made launches fail. It informs; it gates nothing (upstream's
 * NodePool Ready depends on ValidationSucceeded and NodeClassReady only, and provisioning ignores it).
 *
 * Pure state, keyed by NodePool uid (a pool recreated under the same name starts afresh): the lifecycle controller
 * records outcomes, the NodePool status controller resets it and writes the condition.
 */
import type { Condition } from '../../../../sdk';
import { setCondition } from '../../../kube/conditions';
import type { EC2NodeClass, NodePool } from '../../../kube/objects';

export const REGISTRATION_HEALTHY = 'NodeRegistrationHealthy';
/** Launch outcomes remembered per NodePool (upstream's BufferSize). */
export const BUFFER_SIZE = 4;
/** Share of BUFFER_SIZE that must be failures for False (upstream's ThresholdFalse). */
export const THRESHOLD_FALSE = 0.5;
/** Reason and message of a condition reset to Unknown, as upstream's status library writes them. */
export const UNKNOWN_REASON = 'AwaitingReconciliation';
export const UNKNOWN_MESSAGE = 'object is awaiting reconciliation';
/** A NodeClaim that launched but whose Node never registered. */
export const REGISTRATION_FAILED_REASON = 'RegistrationFailed';
export const REGISTRATION_FAILED_MESSAGE = 'Failed to register node';

export type Verdict =
  { status: 'Unknown' } | { status: 'True' } | { status: 'False'; reason: string; message: string };

/** A NodeClaim's end: registered, or given up on (the Launched condition's reason, or RegistrationFailed). */
export type Outcome = { registered: true } | { registered: false; reason: string; message: string };

interface PoolRecord {
  /** Oldest first; at most BUFFER_SIZE. */
  outcomes: boolean[];
  verdict: Verdict;
}

/** Upstream's tracker status: Unknown without outcomes, else unhealthy once failures reach the threshold. */
export function bufferStatus(outcomes: readonly boolean[]): Verdict['status'] {
  if (outcomes.length === 0) return 'Unknown';
  const failures = outcomes.filter((ok) => !ok).length;
  // Counted against the buffer's size, not its fill: 2 failures are enough even among 2 outcomes.
  return failures / BUFFER_SIZE >= THRESHOLD_FALSE ? 'False' : 'True';
}

/**
 * Whether the condition must go back to Unknown: it was never written, the node class's generation differs from the
 * one last observed, or the NodePool's generation differs from the one the condition was written at.
 */
export function needsReset(pool: NodePool, nodeClass: EC2NodeClass): boolean {
  const condition = pool.status?.conditions?.find((c) => c.type === REGISTRATION_HEALTHY);
  return (
    !condition ||
    pool.status?.nodeClassObservedGeneration !== (nodeClass.metadata.generation ?? 0) ||
    condition.observedGeneration !== (pool.metadata.generation ?? 0)
  );
}

export class RegistrationHealth {
  private readonly pools = new Map<string, PoolRecord>();
  private readonly listeners: ((nodePoolName: string) => void)[] = [];

  /** Called with the NodePool's name whenever its verdict changes. */
  onChange(listener: (nodePoolName: string) => void): void {
    this.listeners.push(listener);
  }

  verdict(poolUid: string): Verdict {
    return this.pools.get(poolUid)?.verdict ?? { status: 'Unknown' };
  }

  outcomes(poolUid: string): readonly boolean[] {
    return this.pools.get(poolUid)?.outcomes ?? [];
  }

  record(pool: { name: string; uid: string }, outcome: Outcome): void {
    const rec = this.recordFor(pool.uid);
    const outcomes = [...rec.outcomes, outcome.registered].slice(-BUFFER_SIZE);
    const before = rec.verdict;
    if (outcome.registered && bufferStatus(outcomes) === 'True') rec.verdict = { status: 'True' };
    // An existing False keeps the reason of the failure that set it.
    if (!outcome.registered && bufferStatus(outcomes) === 'False' && before.status !== 'False')
      rec.verdict = { status: 'False', reason: outcome.reason, message: outcome.message };
    rec.outcomes = outcomes;
    if (rec.verdict.status !== before.status) this.notify(pool.name);
  }

  /** Forget every outcome: the condition is Unknown until launches tell again. */
  reset(poolUid: string): void {
    this.pools.set(poolUid, { outcomes: [], verdict: { status: 'Unknown' } });
  }

  /**
   * After a restart (nothing recorded), take the condition the NodePool shows as the starting point, as upstream
   * pre-fills its buffer: one success behind True, just enough failures behind False.
   */
  hydrate(poolUid: string, condition: Condition | undefined): void {
    if (this.outcomes(poolUid).length > 0 || !condition) return;
    if (condition.status === 'True')
      this.pools.set(poolUid, { outcomes: [true], verdict: { status: 'True' } });
    if (condition.status === 'False') {
      this.pools.set(poolUid, {
        outcomes: Array<boolean>(BUFFER_SIZE * THRESHOLD_FALSE).fill(false),
        verdict: {
          status: 'False',
          reason: condition.reason ?? REGISTRATION_FAILED_REASON,
          message: condition.message ?? '',
        },
      });
    }
  }

  /** Drop a deleted NodePool's record. */
  forget(poolUid: string): void {
    this.pools.delete(poolUid);
  }

  private recordFor(poolUid: string): PoolRecord {
    let rec = this.pools.get(poolUid);
    if (!rec) {
      rec = { outcomes: [], verdict: { status: 'Unknown' } };
      this.pools.set(poolUid, rec);
    }
    return rec;
  }

  private notify(name: string): void {
    for (const l of this.listeners) l(name);
  }
}

/** The condition for a verdict, written at the NodePool's generation (what needsReset compares). */
export function registrationCondition(
  conditions: Condition[] | undefined,
  verdict: Verdict,
  generation: number,
  now: number,
): Condition[] {
  const [reason, message] =
    verdict.status === 'Unknown'
      ? [UNKNOWN_REASON, UNKNOWN_MESSAGE]
      : verdict.status === 'False'
        ? [verdict.reason, verdict.message]
        : [REGISTRATION_HEALTHY, ''];
  return setCondition(conditions, REGISTRATION_HEALTHY, verdict.status, now, reason, message).map((c) =>
    c.type === REGISTRATION_HEALTHY ? { ...c, observedGeneration: generation } : c,
  );
}
