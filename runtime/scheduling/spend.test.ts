import { Labels } from '../../sdk/api/well-known';
import type { NodeSelectorRequirement } from '../kube/objects';
import { cheapestOffering, type InstanceType } from './instance-types';
import { remainingLimits } from './limits';
import { withNodePrice } from './node-price';
import { Requirements } from './requirements';
import { schedule, type SchedulingResult } from './scheduler';
import {
  affordableOptions,
  cappedOptions,
  claimReservation,
  CostPerHourLimit,
  nodeSpend,
  poolSpend,
  spendCap,
  type SpendNode,
} from './spend';
import { instanceType, instanceTypes, nodePool, pod, pods, schedulingPool } from './testing';

const onDemand: NodeSelectorRequirement = { key: Labels.capacityType, operator: 'In', values: ['on-demand'] };
const onDemandPrice = (it: InstanceType) =>
  cheapestOffering(it, Requirements.fromSelectors([onDemand]))?.price as number;
const reasonsOf = (result: SchedulingResult, key: string) => result.unschedulable.get(key)?.reasons;

function launched(pool: string, type: string, zone = 'us-east-1a', capacityType = 'on-demand'): SpendNode {
  return {
    nodePoolName: pool,
    labels: { [Labels.instanceType]: type, [Labels.zone]: zone, [Labels.capacityType]: capacityType },
    nodeClaim: { apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', metadata: { name: 'x' } } as never,
  };
}

function unlaunched(pool: string, types: string[]): SpendNode {
  return {
    nodePoolName: pool,
    labels: {},
    nodeClaim: {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: { name: 'y' },
      spec: {
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        requirements: [onDemand, { key: Labels.instanceType, operator: 'In', values: types }],
      },
    } as never,
  };
}

describe('spend caps: pricing nodes and claims', () => {
  const types = instanceTypes(['t3a.medium', 't3a.large', 't3a.xlarge']);
  const [medium, large, xlarge] = types as [InstanceType, InstanceType, InstanceType];

  it('reads the cap from spec.limits as a quantity in USD/hour', () => {
    expect(spendCap(nodePool('a', { limits: { [CostPerHourLimit]: '50' } }))).toBe(50);
    expect(spendCap(nodePool('a', { limits: { [CostPerHourLimit]: '500m' } }))).toBe(0.5);
    expect(spendCap(nodePool('a', { limits: { cpu: '10' } }))).toBeUndefined();
    // Not rounded to whole units as resource quantities are, and kept apart from the resources.
    const np = nodePool('a', { limits: { cpu: '10', [CostPerHourLimit]: '0.4' } });
    expect(remainingLimits(np, { cpu: 2000 }, 1, 0.15)).toEqual({ cpu: 8000, [CostPerHourLimit]: 0.25 });
  });

  it('prices a launched node by its offering and a claim not yet launched by its dearest type', () => {
    expect(nodeSpend(launched('a', 't3a.large'), types)).toBeCloseTo(onDemandPrice(large), 6);
    // PER_NODE_COST is in every offering the scheduler sees, but not billed: taken off again.
    const priced = withNodePrice(types, 0.15);
    expect(nodeSpend(launched('a', 't3a.large'), priced, 0.15)).toBeCloseTo(onDemandPrice(large), 6);
    expect(nodeSpend(unlaunched('a', ['t3a.medium', 't3a.large']), types)).toBeCloseTo(
      onDemandPrice(large),
      6,
    );
    expect(nodeSpend(launched('a', 'm7i.48xlarge'), types)).toBeUndefined();
    const nodes = [
      launched('a', 't3a.medium'),
      launched('a', 't3a.xlarge'),
      launched('b', 't3a.xlarge'),
      unlaunched('a', ['t3a.medium']),
    ];
    expect(poolSpend(nodes, 'a', types)).toBeCloseTo(2 * onDemandPrice(medium) + onDemandPrice(xlarge), 6);
  });

  it('keeps the affordable prefix of the options, reserves the cheapest and offers only that price', () => {
    const options = { types, prices: types.map(onDemandPrice) };
    expect(affordableOptions(options, onDemandPrice(large), 0).types).toEqual([medium, large]);
    expect(affordableOptions(options, 0.01, 0).types).toEqual([]);
    expect(claimReservation(options, 0)).toBeCloseTo(onDemandPrice(medium), 6);
    expect(claimReservation(options, 0.01)).toBeCloseTo(onDemandPrice(medium) - 0.01, 6);
    const reqs = Requirements.fromSelectors([onDemand]);
    expect(cappedOptions(types, reqs)).toEqual([medium]);
    // Types of the same price are all offered (t3a.large and m5a.large cost the same? compared, not assumed).
    const pair = instanceTypes(['t3a.large', 't3.large']);
    const samePrice = onDemandPrice(pair[0] as InstanceType) === onDemandPrice(pair[1] as InstanceType);
    expect(cappedOptions(pair, reqs)).toHaveLength(samePrice ? 2 : 1);
  });
});

describe('spend caps in the scheduler', () => {
  const capped = (cap: string, spend = 0) => {
    const np = nodePool('default', { requirements: [onDemand], limits: { [CostPerHourLimit]: cap } });
    return schedulingPool(np, instanceTypes(['t3a.medium', 't3a.large', 't3a.xlarge']), {
      remaining: remainingLimits(np, {}, 0, spend),
    });
  };
  const medium = onDemandPrice(instanceType('t3a.medium'));
  const xlarge = onDemandPrice(instanceType('t3a.xlarge'));

  it('launches within the cap and names the cap for the pods past it', () => {
    // Each 1.5-cpu pod needs its own t3a.medium when zones keep them apart; the cap pays for two of them.
    const zoned = ['a', 'b', 'c'].map((z) =>
      pod(`p-${z}`, { cpu: '1500m', nodeSelector: { [Labels.zone]: `us-east-1${z}` } }),
    );
    const cap = (2 * medium + medium / 2).toFixed(4);
    const result = schedule({ pods: zoned, nodes: [], nodePools: [capped(cap)] });
    expect(result.newNodeClaims).toHaveLength(2);
    for (const c of result.newNodeClaims)
      expect(cappedOptions(c.instanceTypeOptions, c.requirements).map((t) => t.name)).toEqual(['t3a.medium']);
    const [reason] = reasonsOf(result, 'default/p-c') ?? [];
    expect(reason).toMatch(
      new RegExp(
        `^NodePool "default": NodePool limit karpenter-ts.sh/cost-per-hour=${cap} reached \\(remaining \\$0\\.01`,
      ),
    );
    expect(reason).toContain(`the cheapest fitting instance type costs $${medium.toFixed(4)}/h`);
  });

  it('counts what the pool already spends', () => {
    const result = schedule({ pods: [pod('p')], nodes: [], nodePools: [capped('1', 1 - medium / 2)] });
    expect(result.newNodeClaims).toHaveLength(0);
    expect(reasonsOf(result, 'default/p')?.[0]).toContain(
      'NodePool limit karpenter-ts.sh/cost-per-hour=1 reached',
    );
    const room = schedule({ pods: [pod('p')], nodes: [], nodePools: [capped('1', 1 - medium)] });
    expect(room.newNodeClaims).toHaveLength(1);
  });

  it('lets a claim grow onto larger types only while the cap covers them', () => {
    // Eight 1-cpu pods in one zone (one per t3a.medium, three per t3a.xlarge): a cap of one t3a.xlarge bounds
    // what the claims may launch, whichever sizes the scheduler picks.
    const many = pods('p', 8, { cpu: '1', nodeSelector: { [Labels.zone]: 'us-east-1a' } });
    const result = schedule({ pods: many, nodes: [], nodePools: [capped(xlarge.toFixed(4))] });
    const worst = result.newNodeClaims.reduce(
      (sum, c) => sum + Math.max(...cappedOptions(c.instanceTypeOptions, c.requirements).map(onDemandPrice)),
      0,
    );
    expect(result.newNodeClaims.length).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(xlarge + 1e-9);
    const placed = result.newNodeClaims.reduce((n, c) => n + c.pods.length, 0);
    expect(placed).toBeLessThan(8);
    expect(placed + result.unschedulable.size).toBe(8);
  });

  it('falls through to the next NodePool once the first is at its cap', () => {
    const second = schedulingPool(nodePool('fallback', { requirements: [onDemand] }), [
      instanceType('t3a.medium'),
    ]);
    const first = capped('0');
    first.nodePool.spec.weight = 10;
    const result = schedule({ pods: [pod('p')], nodes: [], nodePools: [first, second] });
    expect(result.newNodeClaims.map((c) => c.nodePoolName)).toEqual(['fallback']);
  });
});

describe('cluster-wide caps in the scheduler', () => {
  const medium = onDemandPrice(instanceType('t3a.medium'));
  const zoned = (prefix: string, n: number) =>
    ['a', 'b', 'c', 'd', 'f']
      .slice(0, n)
      .map((z) => pod(`${prefix}-${z}`, { cpu: '1500m', nodeSelector: { [Labels.zone]: `us-east-1${z}` } }));
  const pools = (cluster: Record<string, number>) => {
    const a = nodePool('a', { requirements: [onDemand], weight: 10 });
    const b = nodePool('b', { requirements: [onDemand] });
    return [a, b].map((np) => ({ ...schedulingPool(np, [instanceType('t3a.medium')]), cluster }));
  };

  it('holds a USD/hour cap across two NodePools, naming the setting', () => {
    // b-only (first by name) opens a claim on b; one p pod fits on a; the cap leaves nothing for the other.
    const onlyB = pod('b-only', { cpu: '1500m', nodeSelector: { [Labels.nodePool]: 'b' } });
    const cluster = { [CostPerHourLimit]: 2.5 * medium };
    const result = schedule({ pods: [...zoned('p', 2), onlyB], nodes: [], nodePools: pools(cluster) });
    expect(result.newNodeClaims.map((c) => c.nodePoolName).sort()).toEqual(['a', 'b']);
    const [pending] = [...result.unschedulable.values()];
    expect(result.unschedulable.size).toBe(1);
    expect(pending?.reasons.join()).toContain(
      'cluster limit CLUSTER_MAX_COST_PER_HOUR reached (remaining $0.0188/h',
    );
    // The round worked on a copy: the shared input is untouched for the next round.
    expect(cluster[CostPerHourLimit]).toBeCloseTo(2.5 * medium, 9);
    expect(result.newNodeClaims.every((c) => c.spendCapped)).toBe(true);
  });

  it('holds node and cpu caps across pools too', () => {
    const byNodes = schedule({ pods: zoned('p', 3), nodes: [], nodePools: pools({ nodes: 2 }) });
    expect(byNodes.newNodeClaims).toHaveLength(2);
    expect(reasonsOf(byNodes, 'default/p-c')?.join()).toContain(
      'cluster limit CLUSTER_MAX_NODES reached (remaining nodes=0',
    );
    const byCpu = schedule({ pods: zoned('p', 3), nodes: [], nodePools: pools({ cpu: 5000 }) });
    expect(byCpu.newNodeClaims).toHaveLength(2);
    expect(reasonsOf(byCpu, 'default/p-c')?.join()).toContain('cluster limit CLUSTER_MAX_CPU reached');
    // Without caps every pod gets a node.
    const free = schedule({ pods: zoned('p', 3), nodes: [], nodePools: pools({}) });
    expect(free.newNodeClaims).toHaveLength(3);
  });
});
