import type { Pod, PodTemplate } from '../../kube/objects';
import type { SchedulingResult } from '../../scheduling/scheduler';
import { node, pod } from '../../scheduling/testing';
import {
  bufferKeyOf,
  buildVirtualPods,
  isVirtualPod,
  placements,
  provisioningConditions,
} from './virtual-pods';
import { testCapacityBuffer } from './testing';

const buffer = testCapacityBuffer({ name: 'headroom', namespace: 'team', uid: 'uid-b' }, { replicas: 2 });

const template: PodTemplate = {
  metadata: { labels: { app: 'web' }, annotations: { 'example.com/x': 'y' } },
  spec: {
    nodeName: 'pinned',
    nodeSelector: { pool: 'a' },
    containers: [
      {
        name: 'web',
        resources: { requests: { cpu: '1' } },
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'config', mountPath: '/etc/app' },
        ],
      },
    ],
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'config' }],
  },
};

describe('buildVirtualPods', () => {
  it('makes one placeholder per chunk, as upstream: named, labelled, lowest priority, annotated', () => {
    const pods = buildVirtualPods(buffer, template, 2);
    expect(pods.map((p) => [p.metadata.name, p.metadata.uid, p.metadata.namespace])).toEqual([
      ['capacity-buffer-headroom-1', 'uid-b-1', 'team'],
      ['capacity-buffer-headroom-2', 'uid-b-2', 'team'],
    ]);
    const [first] = pods as [Pod];
    expect(first.metadata.labels).toEqual({ app: 'web' });
    expect(first.metadata.annotations).toEqual({
      'karpenter.sh/capacity-buffer-fake-pod': 'true',
      'karpenter.sh/capacity-buffer-name': 'headroom',
      'karpenter.sh/capacity-buffer-namespace': 'team',
    });
    expect(first.spec.priority).toBe(-2147483648);
    expect(first.status?.conditions).toEqual([
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' },
    ]);
    expect(isVirtualPod(first)).toBe(true);
    expect(bufferKeyOf(first)).toBe('team/headroom');
    expect(buildVirtualPods(buffer, template, 0)).toEqual([]);
  });

  it('keeps the scheduling constraints but drops the node name and claim-backed volumes', () => {
    const [first] = buildVirtualPods(buffer, template, 1) as [Pod];
    expect(first.spec.nodeName).toBeUndefined();
    expect(first.spec.nodeSelector).toEqual({ pool: 'a' });
    expect(first.spec.volumes).toEqual([{ name: 'config' }]);
    expect(first.spec.containers[0]?.volumeMounts).toEqual([{ name: 'config', mountPath: '/etc/app' }]);
    // The template itself is left as it was.
    expect(template.spec.volumes).toHaveLength(2);
  });

  it('tells virtual pods from real ones', () => {
    expect(isVirtualPod(pod('real'))).toBe(false);
    expect(bufferKeyOf(pod('real'))).toBeUndefined();
  });
});

describe('placements and the Provisioning condition', () => {
  const [a, b] = buildVirtualPods(buffer, template, 2) as [Pod, Pod];
  const now = Date.parse('2026-01-01T00:00:00Z');
  const ready = {
    replicas: 2,
    conditions: [{ type: 'ReadyForProvisioning', status: 'True' as const, reason: 'Resolved' }],
  };
  const result = (existing: Pod[], claim: Pod[], failed: Pod[]): SchedulingResult => ({
    existing: new Map([[node('n1').name, [pod('real'), ...existing]]]),
    newNodeClaims: claim.length
      ? [
          {
            nodePoolName: 'p',
            requirements: undefined as never,
            taints: [],
            pods: claim,
            requests: {},
            instanceTypeOptions: [],
          },
        ]
      : [],
    unschedulable: new Map(
      failed.map((p) => [p.metadata.name as string, { pod: p, reasons: ['over the limit'] }]),
    ),
  });

  it('counts each buffer’s pods on existing nodes, new claims and nowhere', () => {
    expect([...placements(result([a], [b], []))]).toEqual([
      ['team/headroom', { existing: 1, newCapacity: 1, failed: 0 }],
    ]);
    expect(placements(result([], [], [a, b])).get('team/headroom')).toEqual({
      existing: 0,
      newCapacity: 0,
      failed: 2,
      firstFailure: 'over the limit',
    });
    expect(placements(result([], [], [])).size).toBe(0);
  });

  it('is True FitsExistingCapacity only when every chunk fits on capacity that exists', () => {
    const fits = provisioningConditions(ready, { existing: 2, newCapacity: 0, failed: 0 }, now);
    expect(fits?.find((c) => c.type === 'Provisioning')).toMatchObject({
      status: 'True',
      reason: 'FitsExistingCapacity',
      message: 'All 2 virtual pods fit on existing capacity',
    });
    const needs = provisioningConditions(ready, { existing: 1, newCapacity: 1, failed: 0 }, now);
    expect(needs?.find((c) => c.type === 'Provisioning')).toMatchObject({
      status: 'False',
      reason: 'RequiresNewCapacity',
      message: '1/2 virtual pods required new capacity, 0 failed',
    });
    const failed = provisioningConditions(
      ready,
      { existing: 0, newCapacity: 0, failed: 2, firstFailure: 'limits' },
      now,
    );
    expect(failed?.find((c) => c.type === 'Provisioning')?.message).toBe(
      '0/2 virtual pods required new capacity, 2 failed (limits)',
    );
    expect(provisioningConditions(ready, undefined, now)).toBeUndefined();
  });

  it('is False NotReadyForProvisioning or BufferEmpty whatever the round did', () => {
    const notReady = provisioningConditions({ replicas: 2 }, undefined, now);
    expect(notReady?.find((c) => c.type === 'Provisioning')).toMatchObject({
      status: 'False',
      reason: 'NotReadyForProvisioning',
    });
    const empty = provisioningConditions({ ...ready, replicas: 0 }, undefined, now);
    expect(empty?.find((c) => c.type === 'Provisioning')).toMatchObject({
      status: 'False',
      reason: 'BufferEmpty',
    });
  });
});
