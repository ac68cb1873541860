/**
 * Price-aware bin packing of interchangeable pods: the scheduler's first pass fills claims one at a time with pods
 * in size order, which leaves nodes full on one resource and empty on the other. Given pods that may go on any of
 * a set of equivalent claims, this packs them again, one node at a time, choosing for each node the instance type
 * whose packed pods cost least per unit of what they request, and filling it with the pods that best match the
 * room left (the dot product of a pod's requests and the node's free capacity, both relative to the node's size).
 * Pure: it knows nothing of topology or requirements; the caller decides which pods are interchangeable.
 */
import type { Resources } from './resources';

export interface PackOption {
  /** What a node of this type can hold, before the per-node overhead. */
  allocatable: Resources;
  /** $/hour of its cheapest offering. */
  price: number;
}

export interface PackItem<T> {
  item: T;
  req: Resources;
}

export interface PackedBin<T> {
  /** Index into the options the bin was packed for (not necessarily the cheapest that holds its items). */
  option: number;
  items: T[];
  /** Σ requests of the items (without the overhead). */
  requests: Resources;
}

export interface PackSettings {
  /**
   * How many instance types, ranked by price per unit of the remaining demand they could hold, are tried with a
   * real fill for each node. More is slower and rarely cheaper.
   * @default 8
   */
  candidates?: number;
}

/** How many of the best node what is left may fill for a node choice to look ahead (see lookahead). */
const LOOKAHEAD_NODES = 3;

interface Shape<T> {
  vec: number[];
  req: Resources;
  items: T[];
}

interface Candidate {
  index: number;
  price: number;
  avail: number[];
}

/**
 * Pack the items into nodes chosen from `options`, each node also holding `overhead`; undefined when some item
 * fits no option. Deterministic for a given input order.
 */
export function packByPrice<T>(
  items: PackItem<T>[],
  options: PackOption[],
  overhead: Resources,
  settings: PackSettings = {},
): PackedBin<T>[] | undefined {
  // Trading (see fillNode) finds mixes the plain greedy fill misses, but can also trade a few large nodes for more,
  // fuller small ones that save next to nothing and mix more workloads per node (a scale-down then leaves more
  // nodes partly full): both are packed, and the traded plan kept only when it saves TRADE_MIN_SAVING.
  const plain = packWith(items, options, overhead, settings, false);
  const traded = packWith(items, options, overhead, settings, true);
  if (!plain || !traded) return plain ?? traded;
  const cost = (bins: PackedBin<T>[]) =>
    bins.reduce((sum, b) => sum + (options[b.option] as PackOption).price, 0);
  return cost(traded) < cost(plain) * (1 - TRADE_MIN_SAVING) ? traded : plain;
}

/** The share of the plain plan's price a traded plan must save to be kept. */
const TRADE_MIN_SAVING = 0.02;

function packWith<T>(
  items: PackItem<T>[],
  options: PackOption[],
  overhead: Resources,
  settings: PackSettings,
  trade: boolean,
): PackedBin<T>[] | undefined {
  const wanted = settings.candidates ?? 8;
  const dims = dimensionsOf(items, overhead);
  const shapes = shapesOf(items, dims);
  // How full a node is counts every resource but its pod slots: they are not what a node is bought for.
  const sized = dims.map((d) => d !== 'pods');
  const fill = (avail: number[], counts: number[]) =>
    trade
      ? fillNode(avail, shapes, counts, sized)
      : greedyFill(avail, shapes, counts, new Array<number>(shapes.length).fill(0));
  const candidates = paretoOptions(options, dims, overhead);
  // The least any option charges per unit of each resource: a packed set is worth at least this much.
  const unit = dims.map((_, d) => {
    let best = Infinity;
    for (const c of candidates)
      if ((c.avail[d] as number) > 0) best = Math.min(best, c.price / (c.avail[d] as number));
    return best === Infinity ? 0 : best;
  });
  const worth = (v: number[]) => v.reduce((m, x, d) => Math.max(m, x * (unit[d] as number)), 0);

  type Pick = { c: Candidate; taken: number[] };
  /** The node that packs the items left (`counts` per shape) at the least cost per unit packed. */
  const bestNode = (counts: number[]): Pick | undefined => {
    const ranked = rankByDemand(candidates, demandOf(shapes, counts, dims.length));
    let best: (Pick & { score: number; value: number }) | undefined;
    let tried = 0;
    for (const c of ranked) {
      // Beyond the wanted few, only keep looking while nothing packs at all (an item only large types hold).
      if (tried >= wanted && best) break;
      const { taken, packed } = fill(c.avail, counts);
      tried++;
      if (!packed) continue;
      const value = worth(packed);
      const score = c.price / Math.max(value, 1e-12);
      // At equal cost per unit, the node that packs more: fewer, larger nodes.
      const better =
        !best || score < best.score * (1 - 1e-9) || (score <= best.score * (1 + 1e-9) && value > best.value);
      if (better) best = { c, taken, score, value };
    }
    return best;
  };
  /** $/hour of packing the items left node by node with bestNode alone. */
  const greedyCost = (counts: number[]): number => {
    const left = [...counts];
    let total = 0;
    while (left.some((n) => n > 0)) {
      const pick = bestNode(left);
      if (!pick) return Infinity;
      total += pick.c.price;
      pick.taken.forEach((n, i) => (left[i] = (left[i] as number) - n));
    }
    return total;
  };

  /**
   * Near the end (what is left would fill a few of the best node), the best node by cost per unit can leave a
   * remainder that costs more than it saved: there, each of the candidates is judged by its price plus what
   * packing the rest then costs.
   */
  const lookahead = (counts: number[], best: Pick): Pick => {
    const demand = demandOf(shapes, counts, dims.length);
    const fewNodes = dims.every(
      (_, d) => (demand[d] as number) <= LOOKAHEAD_NODES * (best.c.avail[d] as number),
    );
    if (!fewNodes) return best;
    // The best node by cost per unit stays unless another is strictly cheaper in all.
    const rest = (pick: Pick) => greedyCost(counts.map((n, i) => n - (pick.taken[i] as number)));
    let chosen = best;
    let chosenCost = best.c.price + rest(best);
    let tried = 0;
    for (const c of rankByDemand(candidates, demand)) {
      if (tried++ >= wanted) break;
      const { taken, packed } = fill(c.avail, counts);
      if (!packed) continue;
      const cost = c.price + rest({ c, taken });
      if (cost < chosenCost * (1 - 1e-9)) {
        chosen = { c, taken };
        chosenCost = cost;
      }
    }
    return chosen;
  };

  const counts = shapes.map((s) => s.items.length);
  let left = items.length;
  const bins: PackedBin<T>[] = [];
  while (left > 0) {
    let best: Pick | undefined = bestNode(counts);
    if (!best) return undefined;
    best = lookahead(counts, best);
    // Once one node can take everything left, it may beat the best partial node plus what then packs the rest.
    const whole = wholeFill(candidates, counts, demandOf(shapes, counts, dims.length), fill);
    if (whole && whole.c !== best.c) {
      const after = counts.map((n, i) => n - (best?.taken[i] as number));
      if (whole.c.price <= (best.c.price + greedyCost(after)) * (1 + 1e-9)) best = whole;
    }
    const bin: PackedBin<T> = { option: best.c.index, items: [], requests: {} };
    best.taken.forEach((n, i) => {
      if (n === 0) return;
      const shape = shapes[i] as Shape<T>;
      const start = shape.items.length - (counts[i] as number);
      bin.items.push(...shape.items.slice(start, start + n));
      for (const [k, v] of Object.entries(shape.req)) bin.requests[k] = (bin.requests[k] ?? 0) + v * n;
      counts[i] = (counts[i] as number) - n;
      left -= n;
    });
    bins.push(bin);
  }
  return bins;
}

/** Σ requests of the items left, per dimension. */
function demandOf<T>(shapes: Shape<T>[], counts: number[], dims: number): number[] {
  const demand = new Array<number>(dims).fill(0);
  shapes.forEach((s, i) => {
    for (let d = 0; d < dims; d++)
      demand[d] = (demand[d] as number) + (s.vec[d] as number) * (counts[i] as number);
  });
  return demand;
}

/**
 * The cheapest option whose fill takes every item left, or undefined: a binary search over the options (by
 * price) with room for the whole demand, as a larger node rarely takes fewer items.
 */
function wholeFill(
  candidates: Candidate[],
  counts: number[],
  demand: number[],
  fill: (avail: number[], counts: number[]) => Filled,
): { c: Candidate; taken: number[] } | undefined {
  const roomy = candidates.filter((c) => c.avail.every((a, d) => a >= (demand[d] as number)));
  const takesAll = (c: Candidate) => {
    const { taken } = fill(c.avail, counts);
    return taken.every((n, i) => n === counts[i]) ? taken : undefined;
  };
  let lo = 0;
  let hi = roomy.length - 1;
  let found: { c: Candidate; taken: number[] } | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = roomy[mid] as Candidate;
    const taken = takesAll(c);
    if (taken) {
      found = { c, taken };
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return found;
}

/** Every resource some item or the overhead asks for. */
function dimensionsOf<T>(items: PackItem<T>[], overhead: Resources): string[] {
  const keys = new Set<string>();
  for (const r of [overhead, ...items.map((i) => i.req)])
    for (const [k, v] of Object.entries(r)) if (v > 0) keys.add(k);
  return [...keys].sort();
}

/** Items grouped by identical requests, largest first, each group keeping its items' input order. */
function shapesOf<T>(items: PackItem<T>[], dims: string[]): Shape<T>[] {
  const byKey = new Map<string, Shape<T>>();
  for (const { item, req } of items) {
    const vec = dims.map((d) => req[d] ?? 0);
    const key = vec.join(',');
    let shape = byKey.get(key);
    if (!shape) byKey.set(key, (shape = { vec, req, items: [] }));
    shape.items.push(item);
  }
  return [...byKey.values()].sort((a, b) => {
    for (let d = 0; d < a.vec.length; d++) {
      const diff = (b.vec[d] as number) - (a.vec[d] as number);
      if (diff) return diff;
    }
    return 0;
  });
}

/**
 * The options worth considering: room left after the overhead, without those another option beats on price while
 * holding at least as much of every resource.
 */
function paretoOptions(options: PackOption[], dims: string[], overhead: Resources): Candidate[] {
  const all: Candidate[] = [];
  options.forEach((o, index) => {
    if (!Number.isFinite(o.price)) return;
    const avail = dims.map((d) => (o.allocatable[d] ?? 0) - (overhead[d] ?? 0));
    if (avail.some((a) => a < 0)) return;
    all.push({ index, price: o.price, avail });
  });
  all.sort((a, b) => a.price - b.price || a.index - b.index);
  const kept: Candidate[] = [];
  for (const c of all) {
    const dominated = kept.some(
      (k) => k.price <= c.price && k.avail.every((a, d) => a >= (c.avail[d] as number)),
    );
    if (!dominated) kept.push(c);
  }
  return kept;
}

/**
 * Options by price per share of the remaining demand they could hold if packing were perfect (a share above 1
 * counts as 1, so once one node holds everything the cheapest such node ranks first).
 */
function rankByDemand(candidates: Candidate[], demand: number[]): Candidate[] {
  const ranked = candidates.map((c) => ({ c, rank: costPerDemand(c, demand) }));
  ranked.sort((a, b) => a.rank - b.rank || a.c.price - b.c.price || a.c.index - b.c.index);
  return ranked.filter((r) => r.rank < Infinity).map((r) => r.c);
}

/** What serving the whole demand with this option would cost if packing were perfect (at most one node's price). */
function costPerDemand(c: Candidate, demand: number[]): number {
  let share = 1;
  demand.forEach((want, d) => {
    if (want > 0) share = Math.min(share, (c.avail[d] as number) / want);
  });
  return share > 0 ? c.price / share : Infinity;
}

/** How many of each shape a node takes, and their Σ requests (absent when it takes nothing). */
interface Filled {
  taken: number[];
  packed?: number[];
}

/** The most items of one shape a trade puts back (see fillNode). */
const MAX_TRADE = 3;
/** Trading rounds per node: each keeps the best trade of the round. */
const TRADE_ROUNDS = 4;

/**
 * Fill one node greedily (greedyFill), then trade: put back up to MAX_TRADE items of one shape and fill the room
 * again with the other shapes, kept when the node ends fuller (Σ of the share used of each `sized` resource).
 * The greedy fill takes the item that best matches the room at each step, which can leave a gap only smaller items
 * close: a 2-CPU/8-GiB pod where three 1-CPU/2-GiB and three 250m/512Mi pods fit, the small pods then each
 * taking a node of their own.
 */
function fillNode<T>(avail: number[], shapes: Shape<T>[], counts: number[], sized: boolean[]): Filled {
  let best = greedyFill(avail, shapes, counts, new Array<number>(shapes.length).fill(0));
  if (!best.packed) return best;
  let fullest = fullness(avail, best.packed, sized);
  for (let round = 0; round < TRADE_ROUNDS; round++) {
    const from = best;
    for (let i = 0; i < shapes.length; i++) {
      const had = from.taken[i] as number;
      for (let k = 1; k <= Math.min(had, MAX_TRADE); k++) {
        const start = [...from.taken];
        start[i] = had - k;
        // The shape traded away stays at what is left of it, so the refill takes the others.
        const tried = greedyFill(
          avail,
          shapes,
          counts.map((n, j) => (j === i ? had - k : n)),
          start,
        );
        const score = tried.packed ? fullness(avail, tried.packed, sized) : -1;
        if (score > fullest + 1e-9) {
          best = tried;
          fullest = score;
        }
      }
    }
    if (best === from) break;
  }
  return best;
}

/** Σ over the sized resources of the share of the node's room the packed items use. */
function fullness(avail: number[], packed: number[], sized: boolean[]): number {
  let sum = 0;
  for (let d = 0; d < avail.length; d++)
    if (sized[d] && (avail[d] as number) > 0) sum += (packed[d] as number) / (avail[d] as number);
  return sum;
}

/**
 * Fill one node from `start` (items already on it): repeatedly add the remaining item whose requests best match
 * the free room (largest dot product of the two, each relative to the node's size), up to `counts` of each shape.
 */
function greedyFill<T>(avail: number[], shapes: Shape<T>[], counts: number[], start: number[]): Filled {
  const room = [...avail];
  const taken = [...start];
  shapes.forEach((shape, i) =>
    shape.vec.forEach((v, d) => (room[d] = (room[d] as number) - v * (start[i] as number))),
  );
  const weight = avail.map((a) => (a > 0 ? 1 / (a * a) : 0));
  let any = start.some((n) => n > 0);
  for (;;) {
    let pick = -1;
    let bestScore = -1;
    for (let i = 0; i < shapes.length; i++) {
      if ((taken[i] as number) >= (counts[i] as number)) continue;
      const vec = (shapes[i] as Shape<T>).vec;
      let score = 0;
      let ok = true;
      for (let d = 0; d < vec.length; d++) {
        const v = vec[d] as number;
        if (v > (room[d] as number)) {
          ok = false;
          break;
        }
        score += v * (room[d] as number) * (weight[d] as number);
      }
      if (ok && score > bestScore) {
        bestScore = score;
        pick = i;
      }
    }
    if (pick < 0) break;
    const vec = (shapes[pick] as Shape<T>).vec;
    for (let d = 0; d < vec.length; d++) room[d] = (room[d] as number) - (vec[d] as number);
    taken[pick] = (taken[pick] as number) + 1;
    any = true;
  }
  if (!any) return { taken };
  return { taken, packed: avail.map((a, d) => a - (room[d] as number)) };
}
