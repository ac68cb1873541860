/**
 * A requirement's minValues: the launch must keep that many distinct values of its key among the instance-type
 * options. Strict refuses a plan that falls short; BestEffort lowers minValues to what is left.
 */
import { Labels } from '../../sdk/api/well-known';
import type { InstanceType } from './instance-types';
import { Requirements, type Requirement } from './requirements';

/**
 * Why the options cannot honour a requirement's minValues (the launch must keep that many distinct values of the
 * key open), or undefined when they can. Karpenter's Strict policy: a plan that would fall short is refused.
 * `keep` picks the options that count, when the list holds some that no longer fit.
 */
export function minValuesShortfall(
  options: InstanceType[],
  reqs: Requirements,
  keep?: (it: InstanceType) => boolean,
): string | undefined {
  for (const r of reqs.values()) {
    if (!r.minValues) continue;
    const distinct = distinctValues(options, r, r.minValues, keep);
    if (distinct < r.minValues) {
      return `minValues ${r.minValues} for ${r.key} cannot be met (${distinct} value(s) left)`;
    }
  }
  return undefined;
}

/** minValues BestEffort: each minValues the options cannot meet lowered to the distinct values they still offer. */
export function relaxMinValues(
  options: InstanceType[],
  reqs: Requirements,
  keep?: (it: InstanceType) => boolean,
): Requirements {
  return new Requirements(
    reqs.values().map((r) => {
      if (!r.minValues) return r;
      const n = distinctValues(options, r, r.minValues, keep);
      return n >= r.minValues ? r : r.withMinValues(n > 0 ? n : undefined);
    }),
  );
}

/**
 * How many distinct values of the requirement's key the options (those `keep` accepts) offer; counting stops at
 * `enough`.
 */
function distinctValues(
  options: InstanceType[],
  r: Requirement,
  enough: number,
  keep?: (it: InstanceType) => boolean,
): number {
  const distinct = new Set<string>();
  for (const it of options) {
    if (keep && !keep(it)) continue;
    if (r.key === Labels.instanceType) distinct.add(it.name);
    else for (const v of it.requirements.get(r.key)?.values ?? []) if (r.has(v)) distinct.add(v);
    if (distinct.size >= enough) break;
  }
  return distinct.size;
}

const minValuesCache = new WeakMap<Requirements, boolean>();
/** Some requirement carries minValues (cached: claims keep the same requirements object for many attempts). */
export function hasMinValues(reqs: Requirements): boolean {
  let has = minValuesCache.get(reqs);
  if (has === undefined) minValuesCache.set(reqs, (has = reqs.values().some((r) => r.minValues)));
  return has;
}
