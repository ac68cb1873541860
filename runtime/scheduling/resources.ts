/**
 * Resource arithmetic. Quantities are parsed once into plain numbers: cpu in millicores, memory and storage in
 * bytes, everything else (pods, nvidia.com/gpu) as counts. Plain numbers keep the scheduler's inner loop cheap.
 */
import type { Container, Pod, ResourceList } from '../kube/objects';

export type Resources = Record<string, number>;

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Parse a Kubernetes quantity ("1.5", "250m", "4Gi", "1e3") to its value in base units. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m)
    throw new Error(`invalid quantity "${q}": expected a number with an optional suffix such as 250m or 4Gi`);
  const num = Number(m[1]);
  const suffix = m[2] as string;
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  if (factor === undefined || Number.isNaN(num)) {
    throw new Error(`invalid quantity "${q}": unknown suffix "${suffix}"`);
  }
  return num * factor;
}

/** Convert a resource list to runtime units (cpu → millicores). */
export function fromResourceList(list: Record<string, string | number> | undefined): Resources {
  const out: Resources = {};
  if (!list) return out;
  for (const [name, q] of Object.entries(list)) {
    const v = parseQuantity(q);
    out[name] = name === 'cpu' ? Math.round(v * 1000) : Math.round(v);
  }
  return out;
}

/** Render runtime units back to Kubernetes quantities. */
export function toResourceList(r: Resources): ResourceList {
  const out: ResourceList = {};
  for (const [name, v] of Object.entries(r)) {
    if (name === 'cpu') out[name] = v % 1000 === 0 ? String(v / 1000) : `${v}m`;
    else if (name === 'memory' || name === 'ephemeral-storage') out[name] = formatBytes(v);
    else out[name] = String(v);
  }
  return out;
}

function formatBytes(v: number): string {
  for (const [suffix, f] of [
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (v % f === 0 && v >= f) return `${v / f}${suffix}`;
  }
  return String(v);
}

export function add(a: Resources, b: Resources): Resources {
  const out: Resources = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function subtract(a: Resources, b: Resources): Resources {
  const out: Resources = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) - v;
  return out;
}

/** In-place accumulate, for hot loops. */
export function addInto(target: Resources, b: Resources): void {
  for (const k in b) target[k] = (target[k] ?? 0) + (b[k] as number);
}

/** True when every requested resource fits within the available amount. */
export function fits(request: Resources, available: Resources): boolean {
  for (const k in request) {
    const want = request[k] as number;
    if (want > 0 && want > (available[k] ?? 0)) return false;
  }
  return true;
}

/** fits(add(base, extra), available) without allocating: the scheduler's hottest test. */
export function fitsWith(base: Resources, extra: Resources, available: Resources): boolean {
  for (const k in extra) {
    const want = (base[k] ?? 0) + (extra[k] as number);
    if (want > 0 && want > (available[k] ?? 0)) return false;
  }
  for (const k in base) {
    if (k in extra) continue;
    const want = base[k] as number;
    if (want > 0 && want > (available[k] ?? 0)) return false;
  }
  return true;
}

/** The resources a request exceeds, for explanations: ["cpu", "memory"]. */
export function exceeded(request: Resources, available: Resources): string[] {
  const out: string[] = [];
  for (const k in request) {
    const want = request[k] as number;
    if (want > 0 && want > (available[k] ?? 0)) out.push(k);
  }
  return out;
}

function containerRequests(c: Container): Resources {
  // A resource with a limit and no request is requested at its limit, as Kubernetes defaults it (per resource).
  return fromResourceList({ ...c.resources?.limits, ...c.resources?.requests });
}

/**
 * A pod's effective request, as the kube-scheduler computes it: the sum of its containers, or the largest init
 * container if that is bigger, per resource; plus one pod slot.
 */
export function podRequests(pod: Pod): Resources {
  const total: Resources = {};
  for (const c of pod.spec.containers) addInto(total, containerRequests(c));
  for (const c of pod.spec.initContainers ?? []) {
    const r = containerRequests(c);
    for (const k in r) total[k] = Math.max(total[k] ?? 0, r[k] as number);
  }
  total.pods = 1;
  return total;
}

/** Format millicores the way kubectl and eks-node-viewer do: "200m", "2". */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Normalise a resource list that may hold numbers (NodeClaim status) to the string form nodes carry. */
export function stringifyResourceList(list: Record<string, string | number> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(list ?? {})) out[k] = String(v);
  return out;
}

/** Per resource, the least any pod requests (0 when some pod requests none of it): a lower bound of every pod. */
export function smallestRequests(requests: Resources[]): Resources {
  const out: Resources = {};
  const first = requests[0];
  if (!first) return out;
  for (const k of Object.keys(first)) {
    let min = Infinity;
    for (const r of requests) min = Math.min(min, r[k] ?? 0);
    if (min > 0) out[k] = min;
  }
  return out;
}
