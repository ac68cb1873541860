/**
 * Times every CloudProvider call and counts its errors, without touching the providers: the operator is handed
 * the wrapped provider instead.
 */
import { Gauge } from 'prom-client';
import { Labels } from '../../sdk/api/well-known';
import type { CloudProvider } from '../cloudprovider/types';
import type { NodePool } from '../kube/objects';
import type { InstanceType } from '../scheduling/instance-types';
import { cloudProviderDurationSeconds, cloudProviderErrorsTotal, registers } from './metrics';
import type { PriceLookup } from './nodepools';

const OFFERING_LABELS = ['instance_type', 'capacity_type', 'zone'] as const;

export const instanceTypeOfferingAvailable = new Gauge({
  name: 'karpenter_cloudprovider_instance_type_offering_available',
  help: 'Instance type offering availability, based on instance type, capacity type, and zone',
  labelNames: OFFERING_LABELS,
  registers,
});

export const instanceTypeOfferingPriceEstimate = new Gauge({
  name: 'karpenter_cloudprovider_instance_type_offering_price_estimate',
  help: 'Instance type offering estimated hourly price used when making informed decisions on node cost calculation, based on instance type, capacity type, and zone.',
  labelNames: OFFERING_LABELS,
  registers,
});

export const instanceTypeCpuCores = new Gauge({
  name: 'karpenter_cloudprovider_instance_type_cpu_cores',
  help: 'VCPUs cores for a given instance type.',
  labelNames: ['instance_type'] as const,
  registers,
});

export const instanceTypeMemoryBytes = new Gauge({
  name: 'karpenter_cloudprovider_instance_type_memory_bytes',
  help: 'Memory, in bytes, for a given instance type.',
  labelNames: ['instance_type'] as const,
  registers,
});

/** Error categories Karpenter reports; anything else is counted as "UnknownError" to keep the label bounded. */
const KNOWN_ERRORS = new Set([
  'NodeClaimNotFoundError',
  'InsufficientCapacityError',
  'NodeClassNotReadyError',
]);

const METHODS = ['create', 'delete', 'get', 'list', 'getInstanceTypes', 'isDrifted'] as const;
type Method = (typeof METHODS)[number];

/** Karpenter's method label values: "Create", "GetInstanceTypes"... */
function methodLabel(m: Method): string {
  return m.charAt(0).toUpperCase() + m.slice(1);
}

export function errorCategory(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  return KNOWN_ERRORS.has(name) ? name : 'UnknownError';
}

/** The NodePool a call is about: a NodePool's name, or a NodeClaim's pool label; "" for the others. */
function nodePoolOf(arg: unknown): string {
  const obj = arg as
    { kind?: string; metadata?: { name?: string; labels?: Record<string, string> } } | undefined;
  if (!obj || typeof obj !== 'object') return '';
  if (obj.kind === 'NodePool') return obj.metadata?.name ?? '';
  return obj.metadata?.labels?.[Labels.nodePool] ?? '';
}

export interface InstrumentOptions {
  /** The `controller` label. @default "karpenter" */
  controller?: string;
}

export function instrumentCloudProvider<T extends CloudProvider>(cp: T, opts: InstrumentOptions = {}): T {
  const controller = opts.controller ?? 'karpenter';
  const timed =
    <A extends unknown[], R>(method: Method, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const labels = { controller, method: methodLabel(method), provider: cp.name };
      const end = cloudProviderDurationSeconds.startTimer(labels);
      try {
        return await fn(...args);
      } catch (err) {
        cloudProviderErrorsTotal.inc({ ...labels, error: errorCategory(err), nodepool: nodePoolOf(args[0]) });
        throw err;
      } finally {
        end();
      }
    };
  // A proxy keeps every other member (markUnavailable, catalog...) of the concrete provider reachable.
  return new Proxy(cp, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value === 'function' && (METHODS as readonly (string | symbol)[]).includes(prop)) {
        return timed(prop as Method, (value as (...a: unknown[]) => Promise<unknown>).bind(target));
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

interface OfferingRow {
  labels: Record<(typeof OFFERING_LABELS)[number], string>;
  available: boolean;
  price: number;
}

/**
 * Every offering of every instance type the pools can use, once per (instance type, capacity type, zone): available
 * when any pool sees it available. Bounded by the catalog, not by the cluster.
 */
export function offeringRows(instanceTypes: InstanceType[]): OfferingRow[] {
  const rows = new Map<string, OfferingRow>();
  for (const it of instanceTypes) {
    for (const o of it.offerings) {
      const key = `${it.name}/${o.capacityType}/${o.zone}`;
      const row = rows.get(key);
      if (row) row.available ||= o.available;
      else
        rows.set(key, {
          labels: { instance_type: it.name, capacity_type: o.capacityType, zone: o.zone },
          available: o.available,
          price: o.price,
        });
    }
  }
  return [...rows.values()];
}

/** A price lookup over the rows, for the NodePool cost gauge. */
export function priceLookup(rows: OfferingRow[]): PriceLookup {
  const byKey = new Map(
    rows.map((r) => [`${r.labels.instance_type}/${r.labels.capacity_type}/${r.labels.zone}`, r.price]),
  );
  return (instanceType, capacityType, zone) => byKey.get(`${instanceType}/${capacityType}/${zone}`);
}

/**
 * Rewrite the offering gauges from the cloud provider's catalog for these pools; returns the rows. A pool whose
 * instance types cannot be read leaves the gauges of the others (its error is counted by the instrumented provider).
 */
export async function refreshOfferingGauges(
  cloud: CloudProvider,
  nodePools: NodePool[],
): Promise<OfferingRow[]> {
  const instanceTypes: InstanceType[] = [];
  for (const np of nodePools) {
    try {
      instanceTypes.push(...(await cloud.getInstanceTypes(np)));
    } catch {
      // Counted in karpenter_cloudprovider_errors_total{method="GetInstanceTypes",nodepool=...}.
    }
  }
  const rows = offeringRows(instanceTypes);
  instanceTypeOfferingAvailable.reset();
  instanceTypeOfferingPriceEstimate.reset();
  instanceTypeCpuCores.reset();
  instanceTypeMemoryBytes.reset();
  for (const r of rows) {
    instanceTypeOfferingAvailable.set(r.labels, r.available ? 1 : 0);
    instanceTypeOfferingPriceEstimate.set(r.labels, r.price);
  }
  for (const it of instanceTypes) {
    if (it.capacity.cpu !== undefined)
      instanceTypeCpuCores.set({ instance_type: it.name }, it.capacity.cpu / 1000);
    if (it.capacity.memory !== undefined)
      instanceTypeMemoryBytes.set({ instance_type: it.name }, it.capacity.memory);
  }
  return rows;
}
