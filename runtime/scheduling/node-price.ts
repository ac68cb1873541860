/**
 * The price the scheduler and consolidation minimise is per node, not per instance: every node also pays for its
 * volumes and for what any node costs (Settings.perNodeCost). Adding that to each offering makes one larger node
 * beat several small ones whenever it saves more than the difference in instance prices, with no cap on counts.
 */
import type { InstanceType } from './instance-types';

/** Copies keyed by the provider's (cached) array and the extra price, so each round reuses the same objects. */
const priced = new WeakMap<readonly InstanceType[], Map<number, InstanceType[]>>();

/** The instance types with `extra` USD/hour added to every offering; the same array when extra is 0. */
export function withNodePrice(types: InstanceType[], extra: number): InstanceType[] {
  if (extra === 0) return types;
  let byExtra = priced.get(types);
  if (!byExtra) priced.set(types, (byExtra = new Map()));
  let out = byExtra.get(extra);
  if (!out) {
    out = types.map((it) => ({
      ...it,
      offerings: it.offerings.map((o) => ({ ...o, price: o.price + extra })),
    }));
    // A few extras per array at most (one per node class's volumes); keep the map from growing regardless.
    if (byExtra.size >= 8) byExtra.clear();
    byExtra.set(extra, out);
  }
  return out;
}
