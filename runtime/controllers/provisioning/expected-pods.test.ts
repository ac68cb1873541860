import type { Pod, ReplicaSet } from '../../kube/objects';
import { pod } from '../../scheduling/testing';
import {
  MAX_EXPECTED_PODS,
  PROGRESS_WINDOW_MS,
  expectedPods,
  isExpectedPod,
  missingReplicas,
  notExpectedReason,
  type ReplicaSetPods,
} from './expected-pods';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function replicaSet(name: string, replicas: number, createdAgoMs = 0): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, creationTimestamp: ago(createdAgoMs) },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { team: 'checkout' } },
        spec: {
          containers: [{ name: 'app', resources: { requests: { cpu: '500m', memory: '1Gi' } } }],
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: name } },
            },
          ],
        },
      },
    },
  };
}

function owned(rs: ReplicaSet, n: number, createdAgoMs = 0, extra: Partial<Pod['metadata']> = {}): Pod[] {
  return Array.from({ length: n }, (_, i) => {
    const p = pod(`${rs.metadata.name}-${i}`, { namespace: 'shop' });
    p.metadata = { ...p.metadata, creationTimestamp: ago(createdAgoMs), ...extra };
    return p;
  });
}

describe('the pods a ReplicaSet is still to create', () => {
  it('are its replicas less the pods it has that count (not terminating, not finished)', () => {
    const rs = replicaSet('web', 10);
    const pods = owned(rs, 6);
    (pods[0] as Pod).metadata.deletionTimestamp = ago(0);
    (pods[1] as Pod).status = { phase: 'Succeeded' };
    (pods[2] as Pod).status = { phase: 'Failed' };
    expect(missingReplicas({ replicaSet: rs, pods })).toBe(7);
    expect(missingReplicas({ replicaSet: rs, pods: owned(rs, 12) })).toBe(0);
    const expected = expectedPods([{ replicaSet: rs, pods }], NOW);
    expect(expected).toHaveLength(7);
  });

  it('look like the pods the ReplicaSet will create, and say they are not real', () => {
    const rs = replicaSet('web', 3);
    const [first] = expectedPods([{ replicaSet: rs, pods: [] }], NOW);
    expect(first).toBeDefined();
    const p = first as Pod;
    expect(isExpectedPod(p)).toBe(true);
    expect(isExpectedPod(pod('real'))).toBe(false);
    expect(p.metadata.namespace).toBe('shop');
    expect(p.metadata.labels).toEqual({ app: 'web' });
    expect(p.metadata.annotations?.team).toBe('checkout');
    expect(p.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ReplicaSet', name: 'web', uid: 'uid-web', controller: true }),
    ]);
    // The template's constraints carry over, so a zone spread counts them with their siblings.
    expect(p.spec.topologySpreadConstraints?.[0]?.topologyKey).toBe('topology.kubernetes.io/zone');
    const names = expectedPods([{ replicaSet: rs, pods: [] }], NOW).map((e) => e.metadata.name);
    expect(new Set(names).size).toBe(3);
  });

  it('are planned for only while the ReplicaSet is visibly creating pods', () => {
    const fresh = replicaSet('web', 10, 5_000);
    expect(notExpectedReason({ replicaSet: fresh, pods: [] }, NOW)).toBeUndefined();
    // Old, but a pod of its own is new: a scale-up in progress.
    const old = replicaSet('web', 10, 3_600_000);
    expect(notExpectedReason({ replicaSet: old, pods: owned(old, 2, 1_000) }, NOW)).toBeUndefined();
    // Old, and nothing created lately: it cannot create them (or is not trying).
    const stalled: ReplicaSetPods = { replicaSet: old, pods: owned(old, 2, PROGRESS_WINDOW_MS + 1) };
    expect(notExpectedReason(stalled, NOW)).toBe('the ReplicaSet has created no pod recently');
    expect(expectedPods([stalled], NOW)).toEqual([]);
  });

  it('are not planned for a ReplicaSet that reports ReplicaFailure, is deleted, or needs a volume per pod', () => {
    const quota = replicaSet('web', 10);
    quota.status = {
      replicas: 2,
      conditions: [
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota' },
      ],
    };
    expect(notExpectedReason({ replicaSet: quota, pods: [] }, NOW)).toBe(
      'the ReplicaSet reports ReplicaFailure',
    );
    const deleting = replicaSet('web', 10);
    deleting.metadata.deletionTimestamp = ago(0);
    expect(notExpectedReason({ replicaSet: deleting, pods: [] }, NOW)).toBe(
      'the ReplicaSet is being deleted',
    );
    const ephemeral = replicaSet('web', 10);
    ephemeral.spec.template.spec.volumes = [
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } },
    ];
    expect(notExpectedReason({ replicaSet: ephemeral, pods: [] }, NOW)).toMatch(/ephemeral volume/);
    expect(
      expectedPods(
        [quota, deleting, ephemeral].map((rs) => ({ replicaSet: rs, pods: [] })),
        NOW,
      ),
    ).toEqual([]);
  });

  it('are capped per round, the ReplicaSets furthest from their replicas first', () => {
    const sets = [replicaSet('small', 5), replicaSet('large', 50)].map((rs) => ({
      replicaSet: rs,
      pods: [],
    }));
    const capped = expectedPods(sets, NOW, 20);
    expect(capped).toHaveLength(20);
    expect(capped.every((p) => p.metadata.labels?.app === 'large')).toBe(true);
    expect(expectedPods(sets, NOW)).toHaveLength(55);
    expect(MAX_EXPECTED_PODS).toBeGreaterThanOrEqual(1_000);
  });
});
