import type { NodeSelectorRequirement } from '../kube/objects';
import type { InstanceType } from './instance-types';
import type { PlannedNodeClaim } from './plan';
import { Requirement } from './requirements';
import { instanceTypes, plannedClaim } from './testing';
import { balanceZones } from './zone-balance';

const ZONE = 'topology.kubernetes.io/zone';

function plan(
  cpu: number,
  capacityType = 'on-demand',
  extra: NodeSelectorRequirement[] = [],
): PlannedNodeClaim {
  const claim = plannedClaim(instanceTypes(['c5.12xlarge', 'c5.4xlarge']), {
    capacityTypes: [capacityType],
    requests: { cpu },
  });
  for (const r of extra) claim.requirements.add(Requirement.fromSelector(r));
  return claim;
}

const zoneOf = (p: PlannedNodeClaim) => p.requirements.get(ZONE)?.single;

describe('zones for the claims a plan leaves free', () => {
  it('spreads free on-demand claims over the zones, largest first, where each costs the same', () => {
    const out = balanceZones([plan(40_000), plan(40_000), plan(40_000), plan(10_000)], new Map());
    expect(out.slice(0, 3).map(zoneOf).sort()).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(zoneOf(out[3] as PlannedNodeClaim)).toBeDefined();
  });

  it('counts the claims already pinned and the CPU already running in each zone', () => {
    const pinnedA = plan(40_000, 'on-demand', [{ key: ZONE, operator: 'In', values: ['us-east-1a'] }]);
    const out = balanceZones([pinnedA, plan(40_000), plan(40_000)], new Map([['us-east-1c', 1_000]]));
    expect(out[0]).toBe(pinnedA);
    expect(out.slice(1).map(zoneOf).sort()).toEqual(['us-east-1b', 'us-east-1c']);
    const busy = new Map([
      ['us-east-1a', 0],
      ['us-east-1b', 100_000],
      ['us-east-1c', 100_000],
    ]);
    expect(balanceZones([plan(8_000)], busy).map(zoneOf)).toEqual(['us-east-1a']);
  });

  it('never pins a claim to a dearer zone: spot, priced per zone, is left to the cheapest', () => {
    const spot = plan(8_000, 'spot');
    expect(balanceZones([spot, spot], new Map())).toEqual([spot, spot]);
  });

  it('keeps only the options offered in the chosen zone', () => {
    const [big, small] = instanceTypes(['c5.12xlarge', 'c5.4xlarge']) as [InstanceType, InstanceType];
    const onlyB: InstanceType = {
      ...small,
      offerings: small.offerings.filter((o) => o.zone === 'us-east-1b'),
    };
    const p = { ...plan(8_000), instanceTypeOptions: [big, onlyB] };
    const [out] = balanceZones([p], new Map([['us-east-1b', 1]]));
    expect(zoneOf(out as PlannedNodeClaim)).toBe('us-east-1a');
    expect(out?.instanceTypeOptions.map((it) => it.name)).toEqual(['c5.12xlarge']);
    // The input plan is left as it was.
    expect(p.requirements.get(ZONE)).toBeUndefined();
  });
});
