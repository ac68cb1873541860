/**
 * The cloud provider as the scheduler sees it with the NodeOverlay gate on (upstream's cloudprovider/overlay
 * decorator): `getInstanceTypes` returns the pool's instance types with the controller's current overlays applied,
 * so provisioning, consolidation (savings, spot-to-spot), the offering price metrics and everything else that asks
 * for instance types sees the same prices and capacity. A pool the controller has not evaluated yet throws
 * UnevaluatedNodePoolError: its instance types are held back until its overlays are known.
 */
import type { CloudProvider } from '../../cloudprovider/types';
import type { NodePool } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import type { OverlayStore } from './overlays';

export function withNodeOverlays(cloud: CloudProvider, store: () => OverlayStore): CloudProvider {
  // The same input array and store give the same output array, so callers' caches keyed by it keep working.
  const memo = new WeakMap<InstanceType[], Map<string, { store: OverlayStore; out: InstanceType[] }>>();
  const getInstanceTypes = async (nodePool: NodePool): Promise<InstanceType[]> => {
    const types = await cloud.getInstanceTypes(nodePool);
    const current = store();
    const name = nodePool.metadata.name ?? '';
    let byPool = memo.get(types);
    if (!byPool) memo.set(types, (byPool = new Map()));
    const hit = byPool.get(name);
    if (hit && hit.store === current) return hit.out;
    const out = current.apply(name, types);
    byPool.set(name, { store: current, out });
    return out;
  };
  return new Proxy(cloud, {
    get(target, prop) {
      if (prop === 'getInstanceTypes') return getInstanceTypes;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
