/**
 * What instance types cost under a claim's requirements, cached for one scheduling round: compatibility and the
 * cheapest offering per distinct requirements, each pool's compatible options in price order, and what a node
 * of its own would cost a pod. Claims pinned to the same zone (or to nothing) share the entries, so placements
 * and new claims skip the offering scans.
 */
import type { Taint } from '../kube/objects';
import { cheapestOffering, instanceTypeCompatible, type InstanceType } from './instance-types';
import type { SchedulingNodePool } from './plan';
import { sortByPrice, type PriceOf, type PricedOptions } from './priced-options';
import type { Requirements } from './requirements';
import { add, fits, type Resources } from './resources';

/** A NodePool as one round sees it: its requirements and taints, and what its limits still allow. */
export interface PoolState {
  input: SchedulingNodePool;
  name: string;
  requirements: Requirements;
  taints: Taint[];
  remaining: Resources | undefined;
}

export class OptionPricing {
  /** Per requirements (by their text, which fixes compatibility and prices): see priceUnder. */
  private readonly prices = new Map<string, Map<InstanceType, number | null>>();
  private readonly poolOptions = new Map<string, PricedOptions>();
  private readonly standalone = new Map<string, number>();

  /** Compatibility and cheapest offering of instance types under `reqs`, computed once per distinct requirements. */
  priceUnder(reqs: Requirements): PriceOf {
    const key = reqs.toString();
    let known = this.prices.get(key);
    if (!known) this.prices.set(key, (known = new Map()));
    const cache = known;
    return (it) => {
      let price = cache.get(it);
      if (price === undefined) {
        price = instanceTypeCompatible(it, reqs) ? (cheapestOffering(it, reqs)?.price ?? Infinity) : null;
        cache.set(it, price);
      }
      return price;
    };
  }

  /** The pool's instance types compatible with `merged`, cheapest first (cached per pool and requirements). */
  compatibleOptions(pool: PoolState, merged: Requirements): PricedOptions {
    const key = `${pool.name}|${merged.toString()}`;
    let options = this.poolOptions.get(key);
    if (!options) {
      const priceOf = this.priceUnder(merged);
      options = sortByPrice(
        pool.input.instanceTypes.filter((it) => priceOf(it) !== null),
        priceOf,
      );
      this.poolOptions.set(key, options);
    }
    return options;
  }

  /** $/hour of the cheapest node the pool could launch for this pod alone (cached per pool, shape and needs). */
  standalonePrice(pool: PoolState, podReqs: Requirements, req: Resources): number {
    const key = `${pool.name}|${podReqs.toString()}|${JSON.stringify(req)}`;
    let price = this.standalone.get(key);
    if (price === undefined) {
      const merged = pool.requirements.intersect(podReqs);
      const total = add(pool.input.daemonOverhead, req);
      price = Infinity;
      for (const it of pool.input.instanceTypes) {
        if (!fits(total, it.allocatable) || !instanceTypeCompatible(it, merged)) continue;
        price = Math.min(price, cheapestOffering(it, merged)?.price ?? Infinity);
      }
      this.standalone.set(key, price);
    }
    return price;
  }
}
