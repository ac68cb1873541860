/**
 * Instance-type options with their prices under some requirements, cheapest first, and the scans the scheduler
 * runs over them (the cheapest that fits, the affordable prefix).
 */
import type { InstanceType } from './instance-types';
import { fits, fitsWith, type Resources } from './resources';

/** String.prototype.localeCompare's order (the same collation), without building a collator per comparison. */
export const compareText = new Intl.Collator().compare;

export interface PricedOptions {
  types: InstanceType[];
  /** prices[i] is the cheapest offering of types[i] under the claim's requirements; ascending. */
  prices: number[];
}

/** Each instance type's cheapest offering under some requirements, or null when it is incompatible with them. */
export type PriceOf = (it: InstanceType) => number | null;

export function sortByPrice(types: InstanceType[], priceOf: PriceOf): PricedOptions {
  const priced = types.map((it) => ({ it, price: priceOf(it) ?? Infinity }));
  priced.sort((a, b) => a.price - b.price || compareText(a.it.name, b.it.name));
  return { types: priced.map((p) => p.it), prices: priced.map((p) => p.price) };
}

/** Some option priced within budget can hold base + extra (options are in price order: stop at the budget). */
export function affordableFit(
  options: PricedOptions,
  from: number,
  base: Resources,
  extra: Resources,
  budget: number,
): boolean {
  for (let i = from; i < options.types.length && (options.prices[i] as number) <= budget; i++) {
    if (fitsWith(base, extra, (options.types[i] as InstanceType).allocatable)) return true;
  }
  return false;
}

/** The options from index `from` that pass `keep`, with their prices, in the same order. */
export function filterOptions(
  options: PricedOptions,
  from: number,
  keep: (it: InstanceType) => boolean,
): PricedOptions {
  const out: PricedOptions = { types: [], prices: [] };
  for (let i = from; i < options.types.length; i++) {
    const it = options.types[i] as InstanceType;
    if (!keep(it)) continue;
    out.types.push(it);
    out.prices.push(options.prices[i] as number);
  }
  return out;
}

/** Index of the cheapest option from `from` on that holds `total`, or -1. */
export function firstFitting(options: PricedOptions, from: number, total: Resources): number {
  for (let i = from; i < options.types.length; i++) {
    if (fits(total, (options.types[i] as InstanceType).allocatable)) return i;
  }
  return -1;
}
