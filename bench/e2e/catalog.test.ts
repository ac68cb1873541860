import { defaultCatalog, toInstanceType } from '../../runtime/cloudprovider/simulated/catalog';
import { fromResourceList } from '../../runtime/scheduling/resources';
import { nodeHourlyCost, upstreamInstanceTypes } from './catalog';

describe('the catalog both controllers get', () => {
  it('leaves upstream exactly our allocatable after its fixed 100m/10Mi, max pods included', () => {
    const exported = upstreamInstanceTypes();
    expect(exported).toHaveLength(defaultCatalog.specs.length);
    for (const spec of defaultCatalog.specs) {
      const ours = toInstanceType(spec, defaultCatalog.region, undefined).allocatable;
      const theirs = exported.find((e) => e.name === spec.name);
      expect(theirs).toBeDefined();
      const r = fromResourceList(theirs?.resources);
      expect((r.cpu ?? 0) - 100).toBe(ours.cpu);
      expect((r.memory ?? 0) - 10 * 2 ** 20).toBe(ours.memory);
      expect(r.pods).toBe(ours.pods);
      expect(theirs?.offerings.filter((o) => o.Requirements[0]?.values[0] === 'on-demand')).toHaveLength(
        spec.zones.length,
      );
    }
  });

  it('costs a node as its offering plus its root volume', () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node' as const,
      metadata: {
        name: 'n',
        labels: {
          'node.kubernetes.io/instance-type': 'c5.large',
          'karpenter.sh/capacity-type': 'on-demand',
          'topology.kubernetes.io/zone': 'us-east-1a',
        },
      },
    };
    const spec = defaultCatalog.specs.find((s) => s.name === 'c5.large');
    expect(nodeHourlyCost(node, 20)).toBeCloseTo((spec?.onDemandPrice ?? 0) + (20 * 0.08) / 730, 9);
  });
});
