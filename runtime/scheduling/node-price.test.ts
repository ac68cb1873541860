import { defaultCatalog, toInstanceType } from '../cloudprovider/simulated/catalog';
import { DEFAULT_CAPACITY_SETTINGS } from './allocatable';
import { withNodePrice } from './node-price';
import { schedule } from './scheduler';
import { nodePool, pods, schedulingPool } from './testing';

const catalog = defaultCatalog.specs.map((s) =>
  toInstanceType(s, defaultCatalog.region, {}, DEFAULT_CAPACITY_SETTINGS),
);
const pool = nodePool('default', {
  requirements: [
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
    { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
  ],
});
const daemonOverhead = { cpu: 225, memory: 304 * 2 ** 20, pods: 3 };

function plan(extra: number) {
  const types = withNodePrice(catalog, extra);
  const result = schedule({
    pods: [
      ...pods('web', 120, { cpu: '250m', memory: '256Mi' }),
      ...pods('batch', 20, { cpu: '1', memory: '2Gi' }),
    ],
    nodes: [],
    nodePools: [schedulingPool(pool, types, { daemonOverhead })],
  });
  expect(result.unschedulable.size).toBe(0);
  const instancePrice = result.newNodeClaims.reduce(
    (sum, c) => sum + Math.min(...(c.instanceTypeOptions[0]?.offerings ?? []).map((o) => o.price)) - extra,
    0,
  );
  return { nodes: result.newNodeClaims.length, instancePrice };
}

describe('the price of a node', () => {
  it('adds the extra to every offering of every type, and is the same array when there is none', () => {
    expect(withNodePrice(catalog, 0)).toBe(catalog);
    const priced = withNodePrice(catalog, 0.25);
    expect(withNodePrice(catalog, 0.25)).toBe(priced);
    priced.forEach((it, i) =>
      it.offerings.forEach((o, j) =>
        expect(o.price).toBeCloseTo((catalog[i]?.offerings[j]?.price ?? 0) + 0.25, 9),
      ),
    );
    expect(catalog[0]?.offerings[0]?.price).toBe(defaultCatalog.specs[0]?.onDemandPrice);
  });

  it('makes the scheduler trade instance dollars for fewer nodes as each node costs more', () => {
    const free = plan(0);
    const costly = plan(0.15);
    // Per-node cost on: far fewer nodes, for instance spend that grows by less than the nodes' cost it saves.
    expect(costly.nodes).toBeLessThan(free.nodes / 2);
    expect(costly.instancePrice - free.instancePrice).toBeLessThan((free.nodes - costly.nodes) * 0.15);
    expect(costly.instancePrice).toBeGreaterThanOrEqual(free.instancePrice - 1e-9);
  });
});
