import type { Pod } from '../../kube/objects';
import { disruptionCost, evictionCost, podDoNotDisrupt } from './candidates';
import { nodePoolSchema } from '../../../sdk/api/nodepool';

function pod(
  annotations: Record<string, string> = {},
  priority?: number,
  created = '2026-01-01T00:00:00Z',
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'd', annotations, creationTimestamp: created },
    spec: { containers: [{ name: 'c' }], ...(priority !== undefined ? { priority } : {}) },
  };
}

describe('disruption candidates', () => {
  it('eviction cost grows with deletion cost and priority and is clamped to [-10, 10]', () => {
    expect(evictionCost(pod())).toBe(1);
    expect(evictionCost(pod({ 'controller.kubernetes.io/pod-deletion-cost': String(2 ** 27) }))).toBe(2);
    expect(evictionCost(pod({}, 2 ** 25))).toBe(2);
    expect(evictionCost(pod({}, 2 ** 30))).toBe(10);
    expect(evictionCost(pod({ 'controller.kubernetes.io/pod-deletion-cost': String(-(2 ** 31)) }))).toBe(-10);
  });

  it('weights disruption cost by the lifetime the node has left', () => {
    const np = nodePoolSchema.parse({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: 'p' },
      spec: {
        template: {
          spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' }, expireAfter: '100h' },
        },
      },
    });
    const created = Date.parse('2026-01-01T00:00:00Z');
    expect(disruptionCost([pod(), pod()], np, created, created)).toBe(2);
    expect(disruptionCost([pod(), pod()], np, created, created + 75 * 3_600_000)).toBeCloseTo(0.5);
  });

  it('honours do-not-disrupt "true" and durations measured from the pod start', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    expect(podDoNotDisrupt(pod({ 'karpenter.sh/do-not-disrupt': 'true' }), start)).toBe(true);
    expect(podDoNotDisrupt(pod({ 'karpenter.sh/do-not-disrupt': '1h' }), start + 30 * 60_000)).toBe(true);
    expect(podDoNotDisrupt(pod({ 'karpenter.sh/do-not-disrupt': '1h' }), start + 61 * 60_000)).toBe(false);
    expect(podDoNotDisrupt(pod(), start)).toBe(false);
  });
});
