import { Labels } from '../../../sdk/api/well-known';
import type { EC2NodeClass, NodeClaim } from '../../kube/objects';
import { instanceTypes, nodePool } from '../../scheduling/testing';
import { ZonalShiftOfferings, type ZonalShiftRecord } from '../../cloudprovider/zonal-shift';
import {
  activeShifts,
  claimsInShiftedZones,
  nodeClassZones,
  poolReachesZone,
  zonalShiftDrift,
  zonalShiftEvents,
} from './shifts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const shift = (zone: string, zoneId: string, over: Partial<ZonalShiftRecord> = {}): ZonalShiftRecord => ({
  zone,
  zoneId,
  appliedStatus: 'APPLIED',
  expiresAt: NOW + 60_000,
  ...over,
});

function claim(name: string, zone?: string): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, ...(zone ? { labels: { [Labels.zone]: zone } } : {}) },
    spec: {
      requirements: [],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
    },
  } as unknown as NodeClaim;
}

describe('activeShifts', () => {
  it('counts a shift only while it is APPLIED and its expiry is ahead', () => {
    const records = [
      shift('us-east-1a', 'use1-az1'),
      shift('us-east-1b', 'use1-az2', { appliedStatus: 'NOT_APPLIED' }),
      shift('us-east-1c', 'use1-az3', { expiresAt: NOW }),
    ];
    expect([...activeShifts(records, NOW)]).toEqual([['us-east-1a', 'use1-az1']]);
    // The same records a minute later: the first one has expired.
    expect(activeShifts(records, NOW + 60_000).size).toBe(0);
    expect([...activeShifts(records, NOW - 1)].map(([z]) => z)).toEqual(['us-east-1a', 'us-east-1c']);
  });
});

describe('zonalShiftEvents', () => {
  const everywhere = nodePool('everywhere');
  const onlyB = nodePool('only-b', {
    requirements: [{ key: Labels.zone, operator: 'In', values: ['us-east-1b'] }],
  });
  const notAz1 = nodePool('not-az1', {
    requirements: [{ key: Labels.zoneId, operator: 'NotIn', values: ['use1-az1'] }],
  });
  const pools = [everywhere, onlyB, notAz1].map((p) => ({ nodePool: p, classZones: undefined }));

  it('warns each NodePool that can launch in a newly shifted zone, and clears it when the shift ends', () => {
    const shifted = new Map([['us-east-1a', 'use1-az1']]);
    const active = zonalShiftEvents(new Map(), shifted, pools);
    expect(active.map((e) => [e.nodePool.metadata.name, e.type, e.reason])).toEqual([
      ['everywhere', 'Warning', 'ZonalShiftActive'],
    ]);
    expect(active[0]?.message).toBe(
      'Zonal shift detected: offerings in zone us-east-1a (use1-az1) are unavailable for this NodePool',
    );
    const cleared = zonalShiftEvents(shifted, new Map(), pools);
    expect(cleared.map((e) => [e.nodePool.metadata.name, e.type, e.reason])).toEqual([
      ['everywhere', 'Normal', 'ZonalShiftCleared'],
    ]);
    expect(cleared[0]?.message).toBe(
      'Zonal shift cleared: offerings in zone us-east-1a (use1-az1) are restored for this NodePool',
    );
    expect(zonalShiftEvents(shifted, new Map(shifted), pools)).toEqual([]);
  });

  it('leaves out NodePools whose node class has no subnet in the zone', () => {
    const nodeClass = { status: { subnets: [{ id: 'subnet-b', zone: 'us-east-1b' }] } } as EC2NodeClass;
    const zones = nodeClassZones(nodeClass);
    expect(poolReachesZone(everywhere, zones, 'us-east-1a', 'use1-az1')).toBe(false);
    expect(poolReachesZone(everywhere, zones, 'us-east-1b', 'use1-az2')).toBe(true);
    expect(nodeClassZones(undefined)).toBeUndefined();
    expect(poolReachesZone(notAz1, undefined, 'us-east-1b', 'use1-az2')).toBe(true);
  });
});

describe('zonal shift drift', () => {
  it('drifts claims in a shifted zone only', () => {
    const shifted = new Set(['us-east-1a']);
    expect(zonalShiftDrift(claim('a', 'us-east-1a'), shifted)).toBe('ZonalShift');
    expect(zonalShiftDrift(claim('b', 'us-east-1b'), shifted)).toBeUndefined();
    expect(zonalShiftDrift(claim('unlaunched'), shifted)).toBeUndefined();
    const claims = [claim('a', 'us-east-1a'), claim('b', 'us-east-1b'), claim('a2', 'us-east-1a')];
    expect(claimsInShiftedZones(claims, shifted).map((c) => c.metadata.name)).toEqual(['a', 'a2']);
  });
});

describe('ZonalShiftOfferings', () => {
  it('makes offerings in shifted zones unavailable, keeping untouched types and repeated answers identical', () => {
    const types = instanceTypes(['m5.large', 'c5.large']);
    let shifted: ReadonlySet<string> = new Set();
    const offerings = new ZonalShiftOfferings();
    offerings.use(() => shifted);
    expect(offerings.apply(types)).toBe(types);
    shifted = new Set(['us-east-1a']);
    const out = offerings.apply(types);
    for (const it of out) {
      for (const o of it.offerings) {
        expect(o.available).toBe(o.zone !== 'us-east-1a');
        expect(o.zonalShift === true).toBe(o.zone === 'us-east-1a');
      }
    }
    // The input is left as it was, and the same shifted set gives the same objects.
    expect(types.every((it) => it.offerings.every((o) => o.available && !o.zonalShift))).toBe(true);
    expect(offerings.apply(types)[0]).toBe(out[0]);
  });
});
