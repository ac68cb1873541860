/**
 * Lower bounds on what a set of pods can cost per hour, whatever the plan: shared by the scheduling benchmark
 * (how far a plan is from the best possible) and `karpenter-ts cost` (how far a running fleet is from it).
 */
import type { Pod } from '../kube/objects';
import type { InstanceType } from '../scheduling/instance-types';
import { podRequests } from '../scheduling/resources';

export interface CostLowerBound {
  /** max(Σcpu × cheapest $/vCPU, Σmemory × cheapest $/GiB) over the allowed offerings. */
  dollarsPerHour: number;
  cheapestPerVcpu: { instanceType: string; capacityType: string; zone: string; dollars: number };
  cheapestPerGiB: { instanceType: string; capacityType: string; zone: string; dollars: number };
  vcpus: number;
  gib: number;
}

/**
 * A bound no plan can beat: even with perfect packing, the cpu (or memory) the pods request must be bought at no
 * less than the cheapest price per unit any allowed offering sells. Per unit of capacity, not allocatable, so the
 * bound stays a bound whatever the kubelet reserves.
 */
export function costLowerBound(
  pods: Pod[],
  types: InstanceType[],
  capacityTypes: readonly string[],
): CostLowerBound {
  let vcpus = 0;
  let gib = 0;
  for (const p of pods) {
    const r = podRequests(p);
    vcpus += (r.cpu ?? 0) / 1000;
    gib += (r.memory ?? 0) / 2 ** 30;
  }
  let perVcpu: CostLowerBound['cheapestPerVcpu'] | undefined;
  let perGiB: CostLowerBound['cheapestPerGiB'] | undefined;
  for (const it of types) {
    const cpu = (it.capacity.cpu ?? 0) / 1000;
    const mem = (it.capacity.memory ?? 0) / 2 ** 30;
    for (const o of it.offerings) {
      if (!o.available || !capacityTypes.includes(o.capacityType)) continue;
      const at = { instanceType: it.name, capacityType: o.capacityType, zone: o.zone };
      if (cpu > 0 && (!perVcpu || o.price / cpu < perVcpu.dollars))
        perVcpu = { ...at, dollars: o.price / cpu };
      if (mem > 0 && (!perGiB || o.price / mem < perGiB.dollars)) perGiB = { ...at, dollars: o.price / mem };
    }
  }
  if (!perVcpu || !perGiB) throw new Error('no allowed offering to bound the cost with');
  return {
    dollarsPerHour: Math.max(vcpus * perVcpu.dollars, gib * perGiB.dollars),
    cheapestPerVcpu: perVcpu,
    cheapestPerGiB: perGiB,
    vcpus,
    gib,
  };
}

/**
 * A tighter bound than costLowerBound, still one no plan can beat: the cheapest fractional mix of instance types
 * (each at its cheapest allowed offering) whose allocatable covers Σcpu and Σmemory, where a node's usable memory
 * is capped at its cpu times the largest GiB/vCPU any pod asks for, and its usable cpu at its memory over the
 * smallest (pods are indivisible, so no node holds more memory per vCPU than its most memory-heavy pod). With two
 * covering constraints an optimal mix uses at most two types, so every pair is tried.
 */
export function ratioAwareLowerBound(
  pods: Pod[],
  types: InstanceType[],
  capacityTypes: readonly string[],
): { dollarsPerHour: number; mix: string } {
  let cpu = 0;
  let gib = 0;
  let maxRatio = 0;
  let minRatio = Infinity;
  for (const p of pods) {
    const r = podRequests(p);
    const c = (r.cpu ?? 0) / 1000;
    const m = (r.memory ?? 0) / 2 ** 30;
    cpu += c;
    gib += m;
    const ratio = c > 0 ? m / c : Infinity;
    maxRatio = Math.max(maxRatio, ratio);
    minRatio = Math.min(minRatio, ratio);
  }
  const rows = types.flatMap((it) => {
    const prices = it.offerings
      .filter((o) => o.available && capacityTypes.includes(o.capacityType))
      .map((o) => o.price);
    if (prices.length === 0) return [];
    const c = (it.allocatable.cpu ?? 0) / 1000;
    const m = (it.allocatable.memory ?? 0) / 2 ** 30;
    return [
      {
        name: it.name,
        price: Math.min(...prices),
        cpu: Math.min(c, m / minRatio),
        gib: Math.min(m, c * maxRatio),
      },
    ];
  });
  let best = { dollarsPerHour: Infinity, mix: '' };
  const consider = (cost: number, mix: string) => {
    if (cost < best.dollarsPerHour) best = { dollarsPerHour: cost, mix };
  };
  for (const a of rows) {
    if (a.cpu > 0 && a.gib > 0) {
      const n = Math.max(cpu / a.cpu, gib / a.gib);
      consider(n * a.price, `${n.toFixed(1)} × ${a.name}`);
    }
    for (const b of rows) {
      const det = a.cpu * b.gib - b.cpu * a.gib;
      if (Math.abs(det) < 1e-12) continue;
      const x = (cpu * b.gib - b.cpu * gib) / det;
      const y = (a.cpu * gib - cpu * a.gib) / det;
      if (x >= 0 && y >= 0)
        consider(x * a.price + y * b.price, `${x.toFixed(1)} × ${a.name} + ${y.toFixed(1)} × ${b.name}`);
    }
  }
  return best;
}
