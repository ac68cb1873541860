import type { NodeClaim, Pod } from '../../kube/objects';
import { testNodeClaim } from '../../kube/testing';
import {
  drainReason,
  drainTiers,
  FORCEFUL_TERMINATION_REASON,
  forcedDeletions,
  nextForcedDeletionInMs,
  terminationDeadline,
} from './drain';

function pod(name: string, grace?: number, extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...extra },
    spec: { containers: [], ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}) },
  };
}

function claim(period: string | undefined, deleted: string | undefined): NodeClaim {
  return testNodeClaim('c', {
    metadata: deleted ? { deletionTimestamp: deleted } : {},
    spec: period ? { terminationGracePeriod: period } : {},
  });
}

describe('terminationDeadline', () => {
  it('is the deletion time plus the period', () => {
    expect(terminationDeadline(claim('1h30m', '2026-01-01T00:00:00Z'))).toBe(
      Date.parse('2026-01-01T01:30:00Z'),
    );
  });
  it('is undefined without a period or before deletion', () => {
    expect(terminationDeadline(claim(undefined, '2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(terminationDeadline(claim('1h', undefined))).toBeUndefined();
  });
});

describe('forcedDeletions', () => {
  const deadline = 1_000_000;
  const pods = [pod('default-grace'), pod('long', 120), pod('zero', 0)];

  it('deletes each pod once the deadline is closer than its grace, with what remains as grace', () => {
    expect(forcedDeletions(pods, deadline, deadline - 121_000)).toEqual([]);
    expect(forcedDeletions(pods, deadline, deadline - 120_000)).toEqual([
      { pod: pods[1], gracePeriodSeconds: 120 },
    ]);
    const at30 = forcedDeletions(pods, deadline, deadline - 30_000);
    expect(at30.map((d) => [d.pod.metadata.name, d.gracePeriodSeconds])).toEqual([
      ['default-grace', 30],
      ['long', 30],
    ]);
    expect(forcedDeletions(pods, deadline, deadline + 5_000).map((d) => d.gracePeriodSeconds)).toEqual([
      0, 0, 0,
    ]);
  });

  it('leaves pods that are already terminating or mirror pods alone', () => {
    const gone = [
      pod('terminating', undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      pod('mirror', undefined, { annotations: { 'kubernetes.io/config.mirror': 'x' } }),
    ];
    expect(forcedDeletions(gone, deadline, deadline)).toEqual([]);
  });

  it('knows when the next pod falls due', () => {
    expect(nextForcedDeletionInMs(pods, deadline, deadline - 200_000)).toBe(80_000);
    expect(nextForcedDeletionInMs(pods, deadline, deadline - 30_000)).toBe(30_000);
    expect(nextForcedDeletionInMs(pods, deadline, deadline)).toBeUndefined();
  });
});

describe('drainTiers', () => {
  const ds = { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u' }] };
  const withTolerations = (p: Pod, tolerations: NonNullable<Pod['spec']['tolerations']>): Pod => ({
    ...p,
    spec: { ...p.spec, tolerations },
  });

  it('orders workloads before DaemonSet pods and leaves out pods that tolerate the disrupted taint', () => {
    const web = pod('web');
    const agent = pod('agent', undefined, ds);
    const everywhere = withTolerations(pod('cni', undefined, ds), [{ operator: 'Exists' }]);
    const disruptedOnly = withTolerations(pod('stays'), [
      { key: 'karpenter.sh/disrupted', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const otherTaint = withTolerations(pod('goes'), [{ key: 'dedicated', operator: 'Exists' }]);
    expect(drainTiers([agent, everywhere, web, disruptedOnly, otherTaint])).toEqual([
      [web, otherTaint],
      [agent],
    ]);
  });
});

describe('drainReason', () => {
  it("is the claim's disruption reason as written, else forceful termination", () => {
    const disrupted = testNodeClaim('c', {
      status: {
        conditions: [
          {
            type: 'DisruptionReason',
            status: 'True',
            reason: 'Drifted',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
    });
    expect(drainReason(disrupted)).toBe('Drifted');
    expect(drainReason(testNodeClaim('expired'))).toBe(FORCEFUL_TERMINATION_REASON);
    expect(FORCEFUL_TERMINATION_REASON).toBe('Forceful Termination');
  });
});
