/** Topology spread with a zone under a zonal shift: the zone is no domain, so it does not hold pods back. */
import { Labels } from '../../sdk/api/well-known';
import type { Pod } from '../kube/objects';
import type { InstanceType } from './instance-types';
import { schedule } from './scheduler';
import { instanceTypes, nodePool, pods, schedulingPool } from './testing';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

/** The types with zone a's offerings unavailable: under a zonal shift, or only out of capacity. */
function withZoneA(types: InstanceType[], how: 'shifted' | 'out of capacity'): InstanceType[] {
  return types.map((it) => ({
    ...it,
    offerings: it.offerings.map((o) =>
      o.zone === 'us-east-1a'
        ? { ...o, available: false, ...(how === 'shifted' ? { zonalShift: true } : {}) }
        : o,
    ),
  }));
}

const spreadPods = (): Pod[] =>
  // 1.5 cpu each: one pod per claim, so each pod shows its zone.
  pods('web', 4, { cpu: '1500m' }).map((p) => {
    p.metadata.labels = { app: 'web' };
    p.spec.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: Labels.zone,
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'web' } },
      },
    ];
    return p;
  });

describe('topology spread and zonal shift', () => {
  const pool = nodePool('default', {
    requirements: [
      { key: Labels.capacityType, operator: 'In', values: ['on-demand'] },
      { key: Labels.zone, operator: 'In', values: ZONES },
    ],
  });

  it('spreads over the zones left when one is shifted, placing every pod', () => {
    const types = withZoneA(instanceTypes(['t3a.medium']), 'shifted');
    const result = schedule({ pods: spreadPods(), nodes: [], nodePools: [schedulingPool(pool, types)] });
    expect(result.unschedulable.size).toBe(0);
    const zones = result.newNodeClaims.map((c) => c.requirements.get(Labels.zone)?.single).sort();
    expect(zones).toEqual(['us-east-1b', 'us-east-1b', 'us-east-1c', 'us-east-1c']);
  });

  it('still counts a zone that is only out of capacity (as upstream): pods are pinned to it and wait', () => {
    const types = withZoneA(instanceTypes(['t3a.medium']), 'out of capacity');
    const result = schedule({ pods: spreadPods(), nodes: [], nodePools: [schedulingPool(pool, types)] });
    expect(result.newNodeClaims).toHaveLength(0);
    for (const { reasons } of result.unschedulable.values())
      expect(reasons[0]).toMatch(/topology\.kubernetes\.io\/zone In \[us-east-1a\]/);
  });
});
