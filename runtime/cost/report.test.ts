import { Labels } from '../../sdk/api/well-known';
import type { Node, Pod } from '../kube/objects';
import { instanceTypes, nodePool, pod } from '../scheduling/testing';
import { costReport, renderCostReport, UNMANAGED } from './report';

function node(name: string, pool: string | undefined, type: string, capacityType = 'on-demand'): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        [Labels.instanceType]: type,
        [Labels.capacityType]: capacityType,
        [Labels.zone]: 'us-east-1a',
        ...(pool ? { [Labels.nodePool]: pool } : {}),
      },
    },
  };
}
const on = (p: Pod, nodeName: string): Pod => ({ ...p, spec: { ...p.spec, nodeName } });
const PRICES: Record<string, number> = { 'm5.large': 0.096, 'm5.xlarge': 0.192, 't3a.medium': 0.0376 };
const priceOf = (t: string) => PRICES[t];

describe('cost report', () => {
  const types = instanceTypes(['m5.large', 'm5.xlarge', 'c5.large']);
  const pools = [
    nodePool('web', {
      requirements: [
        { key: Labels.instanceFamily, operator: 'In', values: ['m5'] },
        { key: Labels.capacityType, operator: 'In', values: ['on-demand'] },
      ],
    }),
    nodePool('idle'),
  ];

  it('counts the nodes a Savings Plan covers at what they bill, and bounds at its rate; never the unmanaged', () => {
    const input = {
      nodes: [
        node('a', 'web', 'm5.xlarge'),
        node('b', 'web', 'm5.large'),
        node('sys', undefined, 'm5.large'),
      ],
      pods: [
        on(pod('w1', { cpu: '1', memory: '1Gi' }), 'a'),
        on(pod('w2', { cpu: '1', memory: '1Gi' }), 'b'),
      ],
      nodePools: pools,
      priceOf,
      instanceTypes: new Map([['web', types]]),
    };
    const list = costReport(input);
    // $0.10/h at 50 % off covers $0.20/h of list usage: a (0.192) whole, then 0.008 of b's 0.096 at the rate.
    const plans = [{ name: 'm5', commitmentPerHour: 0.1, discountPercent: 50, instanceFamilies: ['m5'] }];
    const covered = costReport({ ...input, savingsPlans: plans });
    const web = (r: typeof list) => r.pools.find((p) => p.nodePool === 'web');
    expect(web(list)?.dollarsPerHour).toBeCloseTo(0.288, 6);
    expect(web(covered)?.dollarsPerHour).toBeCloseTo(0.096 + 0.004 + (1 - 0.004 / 0.048) * 0.096, 6);
    expect(covered.pools.find((p) => p.nodePool === UNMANAGED)?.dollarsPerHour).toBeCloseTo(0.096, 6);
    expect(web(covered)?.bound?.dollarsPerHour).toBeCloseTo((web(list)?.bound?.dollarsPerHour ?? 0) / 2, 6);
  });

  it('prices each pool and bounds it by the cheapest its pods could cost on its own instance types', () => {
    const report = costReport({
      nodes: [
        node('a', 'web', 'm5.xlarge'),
        node('b', 'web', 'm5.large'),
        node('sys', undefined, 't3a.medium'),
      ],
      pods: [
        on(pod('w1', { cpu: '1', memory: '1Gi' }), 'a'),
        on(pod('w2', { cpu: '1', memory: '1Gi' }), 'b'),
        on(pod('ds', { cpu: '1', ownerKind: 'DaemonSet' }), 'a'),
        on(pod('s1'), 'sys'),
        pod('pending'),
      ],
      nodePools: pools,
      priceOf,
      instanceTypes: new Map([
        ['web', types],
        ['idle', types],
      ]),
    });
    const web = report.pools.find((p) => p.nodePool === 'web');
    expect(web).toMatchObject({ nodes: 2, pods: 2, unpriced: 0 });
    expect(web?.dollarsPerHour).toBeCloseTo(0.288, 6);
    // 2 vCPU of pods on on-demand m5 only (not c5, not spot): at least an m5.large's worth, less than running.
    expect(web?.bound?.mix).toMatch(/m5\./);
    expect(web?.bound?.dollarsPerHour).toBeGreaterThan(0.09);
    expect(web?.bound?.dollarsPerHour).toBeLessThan(web?.dollarsPerHour ?? 0);
    expect(report.pools.find((p) => p.nodePool === UNMANAGED)).toMatchObject({ nodes: 1, pods: 1 });
    expect(report.pools.find((p) => p.nodePool === UNMANAGED)?.bound).toBeUndefined();
    expect(report.pools.find((p) => p.nodePool === 'idle')).toMatchObject({
      nodes: 0,
      dollarsPerHour: 0,
      bound: { dollarsPerHour: 0 },
    });
    expect(report.dollarsPerHour).toBeCloseTo(0.288 + 0.0376, 6);
    expect(report.boundDollarsPerHour).toBeCloseTo(web?.bound?.dollarsPerHour ?? NaN, 9);
    const text = renderCostReport(report);
    expect(text.split('\n')[0]).toMatch(/^NodePool\s+nodes\s+pods\s+\$\/hour\s+lower bound/);
    expect(text).toMatch(/^web\s+2\s+2\s+\$0\.288\s+\$0\.\d{3} \(.*m5\..*\)\s+\d\.\d\d$/m);
    expect(text).toMatch(/^total\s+3\s+3\s+\$0\.326/m);
  });

  it('counts a node the catalog cannot price, and leaves out a pool with no instance types', () => {
    const report = costReport({
      nodes: [node('x', 'web', 'z9.mystery')],
      pods: [],
      nodePools: pools,
      priceOf,
      instanceTypes: new Map(),
    });
    expect(report.pools.find((p) => p.nodePool === 'web')).toMatchObject({ unpriced: 1, dollarsPerHour: 0 });
    expect(report.pools.find((p) => p.nodePool === 'web')?.bound).toBeUndefined();
    expect(renderCostReport(report)).toMatch(/\$0\.000 \(\+1 unpriced\)/);
  });
});
