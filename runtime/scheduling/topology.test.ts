/**
 * Topology in the scheduling simulation: spread, pod affinity and anti-affinity (including the inverse
 * anti-affinity of running pods), and the relaxation of preferences.
 */
import type { Pod, PodAffinityTerm, TopologySpreadConstraint } from '../kube/objects';
import { schedule, type SchedulingResult } from './scheduler';
import { instanceTypes, node, nodePool, pod, schedulingPool } from './testing';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const pool = () =>
  schedulingPool(
    nodePool('default', {
      requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }],
    }),
    instanceTypes(['m5.large', 'm5.xlarge', 'm5.2xlarge']),
  );

function labelled(p: Pod, labels: Record<string, string>): Pod {
  p.metadata.labels = { ...p.metadata.labels, ...labels };
  return p;
}

function spread(
  p: Pod,
  key: string,
  labels: Record<string, string>,
  extra: Partial<TopologySpreadConstraint> = {},
): Pod {
  labelled(p, labels);
  p.spec.topologySpreadConstraints = [
    {
      maxSkew: 1,
      topologyKey: key,
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: labels },
      ...extra,
    },
  ];
  return p;
}

function term(key: string, labels: Record<string, string>): PodAffinityTerm {
  return { topologyKey: key, labelSelector: { matchLabels: labels } };
}

function podsPerZone(result: SchedulingResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of result.newNodeClaims) {
    const zone = [...(c.requirements.get(ZONE)?.values ?? [])].join('|');
    out[zone] = (out[zone] ?? 0) + c.pods.length;
  }
  return out;
}

function zonesOf(result: SchedulingResult): string[] {
  return result.newNodeClaims.map((c) => [...(c.requirements.get(ZONE)?.values ?? [])].join('|')).sort();
}

describe('topology spread', () => {
  it('spreads across the three zones with maxSkew 1', () => {
    const ps = Array.from({ length: 6 }, (_, i) =>
      spread(pod(`web-${i}`, { cpu: '1500m' }), ZONE, { app: 'web' }),
    );
    const result = schedule({ pods: ps, nodes: [], nodePools: [pool()] });
    expect(result.unschedulable.size).toBe(0);
    expect(podsPerZone(result)).toEqual({ 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });
  });

  it('counts pods already running in a zone', () => {
    const running = labelled(pod('old', { cpu: '100m' }), { app: 'web' });
    const existing = {
      ...node('n-a', {
        labels: { [ZONE]: 'us-east-1a' },
        allocatable: { cpu: 200, memory: 2 ** 30, pods: 10 },
      }),
      pods: [running],
    };
    const ps = [
      spread(pod('new-1', { cpu: '1500m' }), ZONE, { app: 'web' }),
      spread(pod('new-2', { cpu: '1500m' }), ZONE, { app: 'web' }),
    ];
    const result = schedule({ pods: ps, nodes: [existing], nodePools: [pool()] });
    // us-east-1a already has one: the two new pods go to b and c.
    expect(zonesOf(result)).toEqual(['us-east-1b', 'us-east-1c']);
  });

  it('puts at most one pod per node under hostname spread with maxSkew 1', () => {
    const ps = Array.from({ length: 4 }, (_, i) =>
      spread(pod(`w-${i}`, { cpu: '100m' }), HOST, { app: 'w' }),
    );
    const result = schedule({ pods: ps, nodes: [], nodePools: [pool()] });
    expect(result.newNodeClaims.map((c) => c.pods.length)).toEqual([1, 1, 1, 1]);
  });

  it('honours the pod node affinity when counting domains (nodeAffinityPolicy Honor)', () => {
    const ps = Array.from({ length: 4 }, (_, i) =>
      spread(
        pod(`z-${i}`, {
          cpu: '1500m',
          affinityTerms: [[{ key: ZONE, operator: 'In', values: ['us-east-1a', 'us-east-1b'] }]],
        }),
        ZONE,
        { app: 'z' },
      ),
    );
    const result = schedule({ pods: ps, nodes: [], nodePools: [pool()] });
    expect(result.unschedulable.size).toBe(0);
    expect(podsPerZone(result)).toEqual({ 'us-east-1a': 2, 'us-east-1b': 2 });
  });

  it('relaxes a ScheduleAnyway spread when it cannot be met, but never a DoNotSchedule one', () => {
    const fixed = (name: string, when: 'DoNotSchedule' | 'ScheduleAnyway') =>
      spread(
        pod(name, { cpu: '100m', nodeSelector: { [ZONE]: 'us-east-1a' } }),
        ZONE,
        { app: name.split('-')[0] as string },
        {
          whenUnsatisfiable: when,
          nodeAffinityPolicy: 'Ignore',
        },
      );
    const soft = schedule({
      pods: [fixed('soft-1', 'ScheduleAnyway'), fixed('soft-2', 'ScheduleAnyway')],
      nodes: [],
      nodePools: [pool()],
    });
    expect(soft.unschedulable.size).toBe(0);
    const hard = schedule({
      pods: [fixed('hard-1', 'DoNotSchedule'), fixed('hard-2', 'DoNotSchedule')],
      nodes: [],
      nodePools: [pool()],
    });
    expect(hard.unschedulable.size).toBe(1);
    expect([...hard.unschedulable.values()][0]?.reasons.join('; ')).toMatch(
      /topology spread on topology.kubernetes.io\/zone would exceed maxSkew 1/,
    );
  });
});

describe('pod affinity and anti-affinity', () => {
  it('co-locates pods with required hostname affinity to their group', () => {
    const ps = Array.from({ length: 3 }, (_, i) => {
      const p = labelled(pod(`db-${i}`, { cpu: '200m' }), { team: 'db' });
      p.spec.affinity = {
        podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(HOST, { team: 'db' })] },
      };
      return p;
    });
    const result = schedule({ pods: ps, nodes: [], nodePools: [pool()] });
    expect(result.newNodeClaims.map((c) => c.pods.length)).toEqual([3]);
  });

  it('places a pod in the zone of the pods it is affine to, and fails with the reason when there are none', () => {
    const target = labelled(pod('cache', { cpu: '100m' }), { app: 'cache' });
    const existing = {
      ...node('n-b', {
        labels: { [ZONE]: 'us-east-1b' },
        allocatable: { cpu: 150, memory: 2 ** 30, pods: 10 },
      }),
      pods: [target],
    };
    const follower = pod('follower', { cpu: '1500m' });
    follower.spec.affinity = {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(ZONE, { app: 'cache' })] },
    };
    const placed = schedule({ pods: [follower], nodes: [existing], nodePools: [pool()] });
    expect(zonesOf(placed)).toEqual(['us-east-1b']);
    const lonely = schedule({ pods: [follower], nodes: [], nodePools: [pool()] });
    expect([...lonely.unschedulable.values()][0]?.reasons.join('; ')).toMatch(
      /required pod affinity on topology.kubernetes.io\/zone: no matching pod there/,
    );
  });

  it('places a pod whose affinity peers sort after it in the same batch', () => {
    // The follower is bigger, so it is tried first, before any cache pod exists; the retry pass places it.
    const follower = pod('follower', { cpu: '1500m' });
    follower.spec.affinity = {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(HOST, { app: 'cache' })] },
    };
    const cache = labelled(pod('cache', { cpu: '100m' }), { app: 'cache' });
    const result = schedule({ pods: [follower, cache], nodes: [], nodePools: [pool()] });
    expect(result.unschedulable.size).toBe(0);
    expect(result.newNodeClaims.map((c) => c.pods.map((p) => p.metadata.name).sort())).toEqual([
      ['cache', 'follower'],
    ]);
  });

  it('keeps anti-affine pods on separate nodes', () => {
    const ps = Array.from({ length: 3 }, (_, i) => {
      const p = labelled(pod(`nginx-${i}`, { cpu: '100m' }), { app: 'nginx' });
      p.spec.affinity = {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(HOST, { app: 'nginx' })] },
      };
      return p;
    });
    const result = schedule({ pods: ps, nodes: [node('roomy')], nodePools: [pool()] });
    expect(result.existing.get('roomy')).toHaveLength(1);
    expect(result.newNodeClaims.map((c) => c.pods.length)).toEqual([1, 1]);
  });

  it('keeps a pod away from the nodes running pods it is anti-affine to', () => {
    const db = labelled(pod('db', { cpu: '100m' }), { app: 'db' });
    const busy = { ...node('busy'), pods: [db] };
    const web = pod('web', { cpu: '100m' });
    web.spec.affinity = {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(HOST, { app: 'db' })] },
    };
    const result = schedule({ pods: [web], nodes: [busy, node('free')], nodePools: [] });
    expect([...result.existing.keys()]).toEqual(['free']);
  });

  it("respects a running pod's anti-affinity against an incoming pod (inverse anti-affinity)", () => {
    const loner = labelled(pod('loner', { cpu: '100m' }), { app: 'loner' });
    loner.spec.affinity = {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(HOST, { app: 'web' })] },
    };
    const busy = { ...node('busy'), pods: [loner] };
    const web = labelled(pod('web', { cpu: '100m' }), { app: 'web' });
    const result = schedule({ pods: [web], nodes: [busy], nodePools: [pool()] });
    expect(result.existing.size).toBe(0);
    expect(result.newNodeClaims).toHaveLength(1);
  });

  it('relaxes preferred anti-affinity when it cannot be honoured', () => {
    const ps = Array.from({ length: 2 }, (_, i) => {
      const p = labelled(pod(`p-${i}`, { cpu: '100m' }), { app: 'p' });
      p.spec.affinity = {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, podAffinityTerm: term(HOST, { app: 'p' }) },
          ],
        },
      };
      return p;
    });
    // No NodePool: only the one existing node, so the preference has to give.
    const result = schedule({ pods: ps, nodes: [node('only')], nodePools: [] });
    expect(result.existing.get('only')).toHaveLength(2);
  });
});
