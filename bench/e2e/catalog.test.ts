import pino from 'pino';
import { SimClock } from '../../runtime/clock/sim-clock';
import { defaultCatalog } from '../../runtime/cloudprovider/simulated/catalog';
import { KwokCloudProvider } from '../../runtime/cloudprovider/kwok';
import { capacitySettingsOf } from '../../runtime/cloudprovider/registry';
import { Kinds } from '../../runtime/kube/kinds';
import { MemoryApiServer } from '../../runtime/kube/memory/memory-api-server';
import { fromResourceList } from '../../runtime/scheduling/resources';
import { nodePool as testNodePool } from '../../runtime/scheduling/testing';
import { loadSettings } from '../../runtime/settings';
import { BENCH_CAPACITY, nodeHourlyCost, upstreamInstanceTypes } from './catalog';
import { ec2NodeClass } from './workload';

const MiB = 2 ** 20;

/** karpenter-ts's kwok provider as the bench runs it: its settings from the env controllers.ts sets. */
async function karpenterTsTypes() {
  const settings = loadSettings({
    CLOUD_PROVIDER: 'kwok',
    VM_MEMORY_OVERHEAD_PERCENT: String(BENCH_CAPACITY.vmMemoryOverheadPercent),
    RESERVED_ENIS: String(BENCH_CAPACITY.reservedENIs),
  });
  const clock = new SimClock(0);
  const api = new MemoryApiServer({ clock });
  await api.create(Kinds.EC2NodeClass, ec2NodeClass());
  const cloud = new KwokCloudProvider({
    api,
    clock,
    logger: pino({ level: 'silent' }),
    capacity: capacitySettingsOf(settings),
  });
  return cloud.getInstanceTypes(testNodePool('default'));
}

describe('the catalog both controllers get', () => {
  it("leaves upstream exactly the allocatable karpenter-ts's kwok provider sees, after its fixed 100m/10Mi", async () => {
    const exported = upstreamInstanceTypes();
    const ours = await karpenterTsTypes();
    expect(exported).toHaveLength(defaultCatalog.specs.length);
    for (const spec of defaultCatalog.specs) {
      const mine = ours.find((t) => t.name === spec.name)?.allocatable;
      const theirs = exported.find((e) => e.name === spec.name);
      expect(theirs).toBeDefined();
      const r = fromResourceList(theirs?.resources);
      expect((r.cpu ?? 0) - 100).toBe(mine?.cpu);
      expect((r.memory ?? 0) - 10 * MiB).toBe(mine?.memory);
      expect(r.pods).toBe(mine?.pods);
      expect(theirs?.offerings.filter((o) => o.Requirements[0]?.values[0] === 'on-demand')).toHaveLength(
        spec.zones.length,
      );
    }
  });

  it('exports memory less the VM overhead (upstream kwok subtracts none of its own)', () => {
    const t3a = fromResourceList(upstreamInstanceTypes().find((e) => e.name === 't3a.medium')?.resources);
    // 4096 − ceil(307.2) = 3788; − (11 × 17 + 255) − 100 eviction; + upstream's 10Mi.
    expect(t3a.memory).toBe((3788 - 442 - 100 + 10) * MiB);
    const none = upstreamInstanceTypes({ vmMemoryOverheadPercent: 0, reservedENIs: 1 });
    const t3aNone = fromResourceList(none.find((e) => e.name === 't3a.medium')?.resources);
    expect(t3aNone.memory).toBe((4096 - 442 - 100 + 10) * MiB);
    expect(t3aNone.pods).toBe(12); // 2 usable ENIs × 5 + 2
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
