import { Labels } from '../../sdk/api/well-known';
import { instanceTypeCompatible, type InstanceType } from './instance-types';
import { Requirement, type Requirements } from './requirements';
import type { Taint } from '../kube/objects';
import type { SchedulableNode } from './plan';
import type { PoolState } from './pricing';
import type { Domain, DomainsOf, KeyDomains } from './topology';

/**
 * Every domain of a topology key: existing nodes' labels, plus the zones and labels the NodePools offer; and the
 * taints of whatever offers each domain. Worked out per key on first use: most simulations ask for a key or two,
 * or none, and reading every label of thousands of nodes in every consolidation simulation was a large share of
 * its time. Per key, domains and taints come in the same order an eager pass over every key would give.
 */
export function topologyDomains(nodes: SchedulableNode[], pools: PoolState[]): DomainsOf {
  const known = new Map<string, KeyDomains>();
  // Taint lists are only read for what they contain: one shared list per distinct content keeps a domain that
  // thousands of nodes offer at a few entries (an `includes` per node would be quadratic).
  const interned = new Map<string, Taint[]>();
  const intern = (taints: Taint[]): Taint[] => {
    const key = taints.length === 0 ? '' : JSON.stringify(taints);
    const shared = interned.get(key) ?? taints;
    interned.set(key, shared);
    return shared;
  };
  let compatible: Map<PoolState, InstanceType[]> | undefined;
  return (key) => {
    const cached = known.get(key);
    if (cached) return cached;
    const domains = new Set<Domain>();
    const sources = new Map<Domain, Taint[][]>();
    const add = (value: string, taints: Taint[]) => {
      domains.add(value);
      const list = sources.get(value);
      if (!list) sources.set(value, [taints]);
      else if (!list.includes(taints)) list.push(taints);
    };
    for (const node of nodes) {
      if (Object.hasOwn(node.labels, key)) add(node.labels[key] as string, intern(node.taints));
    }
    compatible ??= new Map(
      pools.map((pool) => [
        pool,
        pool.input.instanceTypes.filter((it) => instanceTypeCompatible(it, pool.requirements)),
      ]),
    );
    for (const pool of pools) {
      const allowed = pool.requirements.get(key);
      // A zone under a zonal shift can get no node: counted as an empty domain, a spread would send pods there.
      const shifted = new Set<string>();
      for (const it of compatible.get(pool) ?? []) {
        if (key === Labels.zone) {
          for (const o of it.offerings) {
            if (o.zonalShift) shifted.add(o.zone);
            else if (allowed?.has(o.zone) ?? true) add(o.zone, pool.taints);
          }
          continue;
        }
        const r = it.requirements.get(key);
        if (r && !r.complement) for (const v of r.values) if (allowed?.has(v) ?? true) add(v, pool.taints);
      }
      if (allowed && !allowed.complement)
        for (const v of allowed.values) if (!shifted.has(v)) add(v, pool.taints);
    }
    const out = { domains, sources };
    known.set(key, out);
    return out;
  };
}

/** The zones where the types offer something and every such offering is under a zonal shift. */
export function shiftedZonesOf(types: readonly InstanceType[]): string[] {
  const shifted = new Set<string>();
  const open = new Set<string>();
  for (const it of types) for (const o of it.offerings) (o.zonalShift ? shifted : open).add(o.zone);
  return [...shifted].filter((z) => !open.has(z)).sort();
}

/**
 * A NodePool's requirements for one round without its zones under a zonal shift, so a new claim is never pinned
 * there: a spread whose smallest domain is such a zone (it still has nodes) would otherwise choose it and find no
 * offering. Unchanged when no zone is shifted.
 */
export function avoidShiftedZones(reqs: Requirements, types: readonly InstanceType[]): Requirements {
  const shifted = shiftedZonesOf(types);
  if (shifted.length === 0) return reqs;
  return reqs.add(Requirement.fromSelector({ key: Labels.zone, operator: 'NotIn', values: shifted }));
}
