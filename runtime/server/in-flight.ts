/**
 * Counts the KubeApi calls under way, so a shutting-down controller can let the writes it already started finish
 * (a half-done launch or drain is worse than a slightly later exit).
 */
import type { KubeApi } from '../kube/api';

export interface TrackedApi {
  api: KubeApi;
  /** Calls started and not yet settled. */
  readonly pending: number;
  /** Resolves once no call is pending, or after timeoutMs; true if it drained. */
  drain(timeoutMs: number): Promise<boolean>;
}

export function trackInFlight(inner: KubeApi): TrackedApi {
  let pending = 0;
  let waiters: (() => void)[] = [];
  const settle = () => {
    pending--;
    if (pending === 0) {
      for (const w of waiters) w();
      waiters = [];
    }
  };
  const api = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        pending++;
        return result.finally(settle);
      };
    },
  });
  return {
    api,
    get pending() {
      return pending;
    },
    drain(timeoutMs) {
      if (pending === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
