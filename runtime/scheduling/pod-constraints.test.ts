import { constraintLevels } from './pod-constraints';
import { pod } from './testing';

/** A pod preferring zone a and asking for a ScheduleAnyway spread over zones. */
function choosy() {
  const p = pod('choosy');
  p.spec.affinity = {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 10,
          preference: {
            matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a'] }],
          },
        },
      ],
    },
  };
  p.spec.topologySpreadConstraints = [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
  ];
  return p;
}

describe('constraintLevels and PREFERENCE_POLICY', () => {
  it('Respect: tries the preferences as requirements first, then relaxes them one at a time', () => {
    const levels = constraintLevels(choosy());
    expect(levels.map((l) => l.relaxed.length)).toEqual([0, 1, 2]);
    expect(levels[0]?.terms).toHaveLength(1);
    expect(levels[0]?.alternatives[0]?.get('topology.kubernetes.io/zone')?.has('a')).toBe(true);
  });

  it('Ignore: one level, as if the pod had no preferences at all', () => {
    const levels = constraintLevels(choosy(), { ignorePreferences: true });
    expect(levels).toHaveLength(1);
    expect(levels[0]?.terms).toEqual([]);
    expect(levels[0]?.alternatives[0]?.get('topology.kubernetes.io/zone')).toBeUndefined();
  });

  it('Ignore still tolerates PreferNoSchedule taints only as the last resort', () => {
    const levels = constraintLevels(choosy(), { ignorePreferences: true, preferNoScheduleTaints: true });
    expect(levels.map((l) => l.relaxed)).toEqual([[], ['PreferNoSchedule taints']]);
  });
});
