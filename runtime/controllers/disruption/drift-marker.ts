/**
 * Drift as one decision sees it: whether each candidate drifted from its NodePool or node class (or the cloud says
 * its instance no longer fits), keeping the NodeClaim's Drifted condition current so `kubectl get nodeclaims`
 * shows it. One per decision: the static checks are hashed once per NodePool and node class, not per node.
 */
import { setCondition } from '../../kube/conditions';
import { Kinds } from '../../kube/kinds';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../kube/objects';
import { updateStatusFromCache } from '../../kube/retry';
import type { ControllerContext } from '../context';
import type { Candidate } from './candidates';
import { driftCheck } from './drift';
import type { ShiftedZones } from '../../cloudprovider/zonal-shift';
import { zonalShiftDrift } from '../zonal-shift/shifts';

export class DriftMarker {
  private readonly checks = new Map<
    NodePool,
    { nodeClass: EC2NodeClass | undefined; check: ReturnType<typeof driftCheck> }
  >();

  /** Read once per decision: every candidate is judged against the same shifted zones. */
  private shifted: ReadonlySet<string> | undefined;

  constructor(private readonly opts: ControllerContext & { shiftedZones?: ShiftedZones }) {}

  /** Whether the candidate drifted; writes or clears its Drifted condition when that changed. */
  async mark(candidate: Candidate): Promise<boolean> {
    const claim = candidate.stateNode.nodeClaim as NodeClaim;
    const nodeClass = this.opts.state.nodeClasses.get(
      candidate.nodePool.spec.template.spec.nodeClassRef.name,
    );
    let memo = this.checks.get(candidate.nodePool);
    if (!memo || memo.nodeClass !== nodeClass) {
      memo = { nodeClass, check: driftCheck(candidate.nodePool, nodeClass) };
      this.checks.set(candidate.nodePool, memo);
    }
    this.shifted ??= this.opts.shiftedZones?.() ?? new Set();
    // A node in a zone under a zonal shift is replaced like a drifted one: within the Drifted budget, its
    // replacement launched (elsewhere) first; the condition clears if the shift ends before that.
    const reason =
      memo.check(claim) ?? zonalShiftDrift(claim, this.shifted) ?? (await this.opts.cloud.isDrifted(claim));
    const current = claim.status?.conditions?.find((c) => c.type === 'Drifted');
    const wanted = reason ? 'True' : undefined;
    if ((current?.status === 'True' ? 'True' : undefined) !== wanted) {
      const written = await updateStatusFromCache(this.opts.api, Kinds.NodeClaim, claim, (latest) => {
        const conditions = reason
          ? setCondition(latest.status?.conditions, 'Drifted', 'True', this.opts.clock.now(), reason)
          : (latest.status?.conditions ?? []).filter((c) => c.type !== 'Drifted');
        return { ...latest, status: { ...latest.status, conditions } };
      });
      if (written && reason) this.opts.recorder.normal(written, 'Drifted', `NodeClaim drifted: ${reason}`);
    }
    return reason !== undefined;
  }
}
