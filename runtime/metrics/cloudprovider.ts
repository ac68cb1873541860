/**
 * Times every CloudProvider call and counts its errors, without touching the providers: the operator is handed
 * the wrapped provider instead.
 */
import type { CloudProvider } from '../cloudprovider/types';
import { cloudProviderDurationSeconds, cloudProviderErrorsTotal } from './metrics';

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
        cloudProviderErrorsTotal.inc({ ...labels, error: errorCategory(err) });
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
