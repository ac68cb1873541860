/**
 * The viewer's prices: the bundled catalog's list prices, through the cluster's NodeOverlays for the nodes of a
 * NodePool, so a negotiated price or a discount shows as the controller counts it. Only overlays the controller
 * has evaluated and found Ready count (with the NodeOverlay gate off it evaluates none, and prices nothing
 * differently); they are applied by the controller's own rules (evaluateOverlays: weight order, conflicts).
 */
import { hasCondition } from '../kube/conditions';
import { isNotFound, type KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import type { NodeOverlay, NodePool } from '../kube/objects';
import { evaluateOverlays } from '../controllers/nodeoverlay/overlays';
import { priceOf, toInstanceType, type Catalog } from '../cloudprovider/simulated/catalog';
import { DEFAULT_CAPACITY_SETTINGS } from '../scheduling/allocatable';
import type { InstanceType } from '../scheduling/instance-types';
import type { PriceLookup } from './model';

/** The catalog's list prices. */
export function catalogPrices(catalog: Catalog): PriceLookup {
  return (instanceType, capacityType, zone) => priceOf(catalog, instanceType, capacityType, zone);
}

/** The catalog's prices with these overlays applied to the nodes of these pools (list prices for the rest). */
export function overlaidPrices(
  catalog: Catalog,
  overlays: NodeOverlay[],
  nodePools: NodePool[],
): PriceLookup {
  const base = catalogPrices(catalog);
  const ready = overlays.filter((o) => hasCondition(o, 'Ready'));
  if (ready.length === 0) return base;
  // Prices do not depend on the node class: one set of types serves every pool.
  const types = catalog.specs.map((spec) =>
    toInstanceType(spec, catalog.region, {}, DEFAULT_CAPACITY_SETTINGS),
  );
  const { store } = evaluateOverlays(
    ready,
    nodePools.map((nodePool) => ({ nodePool, instanceTypes: types })),
  );
  const byPool = new Map<string, Map<string, InstanceType>>();
  const poolTypes = (pool: string): Map<string, InstanceType> | undefined => {
    if (!nodePools.some((p) => p.metadata.name === pool)) return undefined;
    let byName = byPool.get(pool);
    if (!byName) byPool.set(pool, (byName = new Map(store.apply(pool, types).map((it) => [it.name, it]))));
    return byName;
  };
  return (instanceType, capacityType, zone, nodePool) => {
    const offering = (nodePool === undefined ? undefined : poolTypes(nodePool))
      ?.get(instanceType)
      ?.offerings.find((o) => o.capacityType === capacityType && o.zone === zone);
    return offering?.priceOverlaid ? offering.price : base(instanceType, capacityType, zone);
  };
}

/**
 * The cluster's prices now: its NodeOverlays and NodePools listed and applied to the catalog. A cluster that does
 * not serve NodeOverlays (their CRD not installed) gets list prices.
 */
export async function clusterPrices(api: KubeApi, catalog: Catalog): Promise<PriceLookup> {
  let overlays: NodeOverlay[];
  try {
    overlays = (await api.list(Kinds.NodeOverlay)).items;
  } catch (err) {
    if (isNotFound(err)) return catalogPrices(catalog);
    throw err;
  }
  if (overlays.length === 0) return catalogPrices(catalog);
  return overlaidPrices(catalog, overlays, (await api.list(Kinds.NodePool)).items);
}
