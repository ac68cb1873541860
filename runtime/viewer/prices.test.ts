import { nodeOverlaySchema, type NodeOverlayInput } from '../../sdk/api/nodeoverlay';
import { defaultCatalog, priceOf } from '../cloudprovider/simulated/catalog';
import { SimClock } from '../clock/sim-clock';
import { ApiError, type KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import type { Node, NodeOverlay } from '../kube/objects';
import { withOverrides } from '../kube/testing';
import { nodePool } from '../scheduling/testing';
import { buildViewerModel } from './model';
import { catalogPrices, clusterPrices, overlaidPrices } from './prices';

function overlay(name: string, spec: NodeOverlayInput['spec'], ready = true): NodeOverlay {
  const parsed = nodeOverlaySchema.parse({
    apiVersion: 'karpenter.sh/v1alpha1',
    kind: 'NodeOverlay',
    metadata: { name },
    spec,
  });
  return ready
    ? {
        ...parsed,
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Ready',
              message: '',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      }
    : parsed;
}

const ZONE = 'us-east-1a';
const listed = (type: string) => priceOf(defaultCatalog, type, 'on-demand', ZONE) as number;
/** Half price for m5 in the general pool only. */
const discount = overlay('m5-general', {
  requirements: [
    { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5'] },
    { key: 'karpenter.sh/nodepool', operator: 'In', values: ['general'] },
  ],
  priceAdjustment: '-50%',
});

describe('viewer prices through NodeOverlays', () => {
  it("prices a pool's nodes as its Ready overlays do, and every other node at list price", () => {
    const prices = overlaidPrices(defaultCatalog, [discount], [nodePool('general'), nodePool('batch')]);
    expect(prices('m5.large', 'on-demand', ZONE, 'general')).toBeCloseTo(listed('m5.large') / 2, 6);
    expect(prices('c5.large', 'on-demand', ZONE, 'general')).toBe(listed('c5.large'));
    expect(prices('m5.large', 'on-demand', ZONE, 'batch')).toBe(listed('m5.large'));
    // Not a Karpenter node (no pool), or a pool that no longer exists: list price.
    expect(prices('m5.large', 'on-demand', ZONE)).toBe(listed('m5.large'));
    expect(prices('m5.large', 'on-demand', ZONE, 'gone')).toBe(listed('m5.large'));
    // An overlay the controller has not found Ready (the gate off, invalid, in conflict) changes nothing.
    const pending = overlaidPrices(defaultCatalog, [{ ...discount, status: {} }], [nodePool('general')]);
    expect(pending('m5.large', 'on-demand', ZONE, 'general')).toBe(listed('m5.large'));
  });

  it('shows the overlaid price on the node row', () => {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'n1',
        labels: {
          'node.kubernetes.io/instance-type': 'm5.large',
          'karpenter.sh/capacity-type': 'on-demand',
          'topology.kubernetes.io/zone': ZONE,
          'karpenter.sh/nodepool': 'general',
        },
      },
    };
    const withOverlay = buildViewerModel(
      [node],
      [],
      overlaidPrices(defaultCatalog, [discount], [nodePool('general')]),
    );
    const plain = buildViewerModel([node], [], catalogPrices(defaultCatalog));
    expect(withOverlay.nodes[0]?.price).toBeCloseTo(listed('m5.large') / 2, 6);
    expect(plain.nodes[0]?.price).toBe(listed('m5.large'));
  });

  it('shows the Karpenter nodes a Savings Plan covers at what they bill, oldest first', () => {
    const at = (name: string, created: string, pool?: string): Node => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        creationTimestamp: created,
        labels: {
          'node.kubernetes.io/instance-type': 'm5.large',
          'karpenter.sh/capacity-type': 'on-demand',
          'topology.kubernetes.io/zone': ZONE,
          ...(pool ? { 'karpenter.sh/nodepool': pool } : {}),
        },
      },
    });
    const nodes = [
      at('new', '2026-01-02T00:00:00Z', 'general'),
      at('old', '2026-01-01T00:00:00Z', 'general'),
      at('sys', '2025-01-01T00:00:00Z'),
    ];
    // Room for exactly one m5.large at 25 % off: the older Karpenter node; never the unmanaged one.
    const plans = [{ name: 'sp', commitmentPerHour: listed('m5.large') * 0.75, discountPercent: 25 }];
    const model = buildViewerModel(nodes, [], catalogPrices(defaultCatalog), {
      savingsPlans: plans,
      sort: 'name',
    });
    expect(model.nodes.map((n) => [n.name, n.price])).toEqual([
      ['new', listed('m5.large')],
      ['old', expect.closeTo(listed('m5.large') * 0.75, 6)],
      ['sys', listed('m5.large')],
    ]);
  });

  it("reads the cluster's overlays and pools, and list prices where NodeOverlays are not served", async () => {
    const memory = new MemoryApiServer({ clock: new SimClock() });
    await memory.create(Kinds.NodePool, nodePool('general'));
    await memory.create(Kinds.NodeOverlay, discount);
    const fromCluster = await clusterPrices(memory, defaultCatalog);
    expect(fromCluster('m5.large', 'on-demand', ZONE, 'general')).toBeCloseTo(listed('m5.large') / 2, 6);
    const noCrd = withOverrides(memory, {
      list: async (kind: { kind: string }) => {
        if (kind.kind === 'NodeOverlay')
          throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return memory.list(kind as typeof Kinds.NodePool);
      },
    } as Partial<KubeApi>);
    const listOnly = await clusterPrices(noCrd, defaultCatalog);
    expect(listOnly('m5.large', 'on-demand', ZONE, 'general')).toBe(listed('m5.large'));
  });
});
