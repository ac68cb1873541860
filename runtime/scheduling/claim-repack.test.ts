import { Labels } from '../../sdk/api/well-known';
import { cheapestOffering, type InstanceType } from './instance-types';
import type { NodeSelectorRequirement, Pod } from '../kube/objects';
import { withNodePrice } from './node-price';
import { fits } from './resources';
import { schedule, type SchedulingInput, type SchedulingResult } from './scheduler';
import { instanceTypes, nodePool, pods, schedulingPool } from './testing';
import { balanceZones } from './zone-balance';

const onDemand: NodeSelectorRequirement = { key: Labels.capacityType, operator: 'In', values: ['on-demand'] };
const TYPES = ['t3a.xlarge', 't3a.2xlarge', 'c5.2xlarge', 'c5.4xlarge', 'c6i.8xlarge'];
/** Prices with a per-node cost, as the provisioner gives them: one larger node beats two smaller ones. */
const pool = (perNode = 0.15, requirements: NodeSelectorRequirement[] = [onDemand]) =>
  schedulingPool(nodePool('default', { requirements }), withNodePrice(instanceTypes(TYPES), perNode), {
    daemonOverhead: { cpu: 225, memory: 304 * 2 ** 20, pods: 3 },
  });

function zoneSpread(prefix: string, n: number, cpu: string, memory: string): Pod[] {
  return pods(prefix, n, { cpu, memory }).map((p) => ({
    ...p,
    metadata: { ...p.metadata, labels: { app: prefix } },
    spec: {
      ...p.spec,
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: Labels.zone,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: prefix } },
        },
      ],
    },
  }));
}

const cost = (r: SchedulingResult) =>
  r.newNodeClaims.reduce(
    (sum, c) =>
      sum + (cheapestOffering(c.instanceTypeOptions[0] as InstanceType, c.requirements)?.price ?? 0),
    0,
  );
const zoneOf = (r: SchedulingResult, pod: Pod) =>
  r.newNodeClaims.find((c) => c.pods.includes(pod))?.requirements.get(Labels.zone)?.single;
const perZone = (r: SchedulingResult, group: Pod[]) => {
  const counts: Record<string, number> = {};
  for (const p of group) {
    const zone = zoneOf(r, p) ?? 'none';
    counts[zone] = (counts[zone] ?? 0) + 1;
  }
  return counts;
};

function bothPasses(input: SchedulingInput) {
  return { first: schedule({ ...input, repack: false }), repacked: schedule(input) };
}

const web = (n: number, affinity?: NodeSelectorRequirement[]) =>
  pods('web', n, { cpu: '250m', memory: '256Mi', ...(affinity ? { affinityTerms: [affinity] } : {}) });
const batch = (n: number) => pods('batch', n, { cpu: '1', memory: '2Gi' });

describe('repacking claims pinned to a zone', () => {
  it('repacks zone-spread pods within their zone: cheaper, no more claims, the same count per zone', () => {
    // First pass: six t3a.2xlarge, the spread pods' claims pinned one zone each; two c5.4xlarge hold two zones' pods.
    const api = zoneSpread('api', 30, '500m', '1Gi');
    const input = { pods: [...api, ...web(60), ...batch(10)], nodes: [], nodePools: [pool()] };
    const { first, repacked } = bothPasses(input);
    expect(cost(repacked)).toBeLessThan(cost(first) - 0.1);
    expect(repacked.newNodeClaims.length).toBeLessThan(first.newNodeClaims.length);
    // Spread pods moved only between claims of their zone: each zone holds as many as the first pass put there.
    expect(perZone(repacked, api)).toEqual(perZone(first, api));
    expect(Object.values(perZone(repacked, api)).sort()).toEqual([10, 10, 10]);
    const placed = repacked.newNodeClaims.flatMap((c) => c.pods);
    expect(new Set(placed).size).toBe(input.pods.length);
    expect(placed.length).toBe(input.pods.length);
    for (const claim of repacked.newNodeClaims)
      expect(claim.instanceTypeOptions.every((it) => fits(claim.requests, it.allocatable))).toBe(true);
  });

  it('lets the pods of a claim pinned to no zone join the claims of a zone when that is cheaper', () => {
    const api = zoneSpread('api', 30, '500m', '1Gi');
    const input = { pods: [...api, ...web(80), ...batch(10)], nodes: [], nodePools: [pool()] };
    const { first, repacked } = bothPasses(input);
    expect(first.newNodeClaims.some((c) => !c.requirements.get(Labels.zone)?.single)).toBe(true);
    expect(repacked.newNodeClaims.every((c) => c.requirements.get(Labels.zone)?.single)).toBe(true);
    expect(cost(repacked)).toBeLessThan(cost(first) - 0.1);
    expect(perZone(repacked, api)).toEqual(perZone(first, api));
    expect(repacked.newNodeClaims.flatMap((c) => c.pods).length).toBe(input.pods.length);
  });

  it('leaves a claim free of the zone when it ends up holding only pods that were free of it', () => {
    // Enough web pods for whole nodes of their own: pinned with the api pods' zone they would all land there.
    const api = zoneSpread('api', 30, '500m', '1Gi');
    const input = { pods: [...api, ...web(600), ...batch(10)], nodes: [], nodePools: [pool()] };
    const { first, repacked } = bothPasses(input);
    expect(cost(repacked)).toBeLessThanOrEqual(cost(first) + 1e-9);
    const webOnly = repacked.newNodeClaims.filter((c) =>
      c.pods.every((p) => p.metadata.name?.startsWith('web')),
    );
    const mixed = repacked.newNodeClaims.filter((c) => !webOnly.includes(c));
    expect(webOnly.length).toBeGreaterThan(1);
    for (const claim of webOnly) expect(claim.requirements.get(Labels.zone)?.single).toBeUndefined();
    for (const claim of mixed) expect(claim.requirements.get(Labels.zone)?.single).toBeDefined();
    expect(perZone(repacked, api)).toEqual(perZone(first, api));
    // Free, zone balancing spreads them over the zones.
    const zones = balanceZones(repacked.newNodeClaims, new Map()).map(
      (c) => c.requirements.get(Labels.zone)?.single,
    );
    expect(
      new Set(zones.filter((_, i) => webOnly.includes(repacked.newNodeClaims[i] as never))).size,
    ).toBeGreaterThan(1);
  });

  it('never moves pods to a zone their own requirements exclude', () => {
    const api = zoneSpread('api', 30, '500m', '1Gi');
    const twoZones = { key: Labels.zone, operator: 'In' as const, values: ['us-east-1a', 'us-east-1b'] };
    const restricted = web(80, [twoZones]);
    const input = { pods: [...api, ...restricted, ...batch(10)], nodes: [], nodePools: [pool()] };
    const { first, repacked } = bothPasses(input);
    expect(cost(repacked)).toBeLessThanOrEqual(cost(first) + 1e-9);
    for (const p of restricted)
      expect(['us-east-1a', 'us-east-1b', undefined]).toContain(zoneOf(repacked, p));
    for (const claim of repacked.newNodeClaims)
      if (claim.pods.some((p) => restricted.includes(p)))
        expect(claim.requirements.get(Labels.zone)?.has('us-east-1c')).not.toBe(true);
  });
});

describe('oneNewClaim (a consolidation that can launch one replacement)', () => {
  const spreadPerHost = (p: Pod): Pod => ({
    ...p,
    metadata: { ...p.metadata, labels: { app: 'spread' } },
    spec: {
      ...p.spec,
      topologySpreadConstraints: [
        {
          maxSkew: 2,
          topologyKey: Labels.hostname,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'spread' } },
        },
      ],
    },
  });

  it('puts the pods of two cheaper claims on one type that holds them all', () => {
    // 9.5 vCPU: an 8-vCPU and a 4-vCPU node are cheaper than one 16-vCPU node without a per-node cost.
    const input = {
      pods: pods('app', 19, { cpu: '500m', memory: '512Mi' }),
      nodes: [],
      nodePools: [pool(0)],
    };
    const cheapest = schedule(input);
    expect(cheapest.newNodeClaims).toHaveLength(2);
    const one = schedule({ ...input, oneNewClaim: true });
    expect(one.newNodeClaims).toHaveLength(1);
    expect(one.newNodeClaims[0]?.pods).toHaveLength(19);
    expect(cost(one)).toBeGreaterThan(cost(cheapest));
    for (const it of one.newNodeClaims[0]?.instanceTypeOptions ?? [])
      expect(fits(one.newNodeClaims[0]?.requests ?? {}, it.allocatable)).toBe(true);
  });

  it('leaves claims whose pods a hostname term counts, or that no type holds together', () => {
    const counted = pods('spread', 19, { cpu: '500m', memory: '512Mi' }).map(spreadPerHost);
    const spread = schedule({ pods: counted, nodes: [], nodePools: [pool(0)], oneNewClaim: true });
    expect(spread.newNodeClaims.length).toBeGreaterThan(1);
    // 40 vCPU: more than the largest type (c6i.8xlarge, 32 vCPU) holds.
    const big = pods('big', 40, { cpu: '1', memory: '1Gi' });
    const tooBig = schedule({ pods: big, nodes: [], nodePools: [pool(0)], oneNewClaim: true });
    expect(tooBig.newNodeClaims.length).toBeGreaterThan(1);
    expect(tooBig.unschedulable.size).toBe(0);
  });
});
