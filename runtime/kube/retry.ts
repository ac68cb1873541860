import type { Clock } from '../clock/clock';
import { isConflict, isTransient, type KubeApi } from './api';
import type { ResourceKind } from './kinds';
import { nameOf, type KubeObject } from './objects';

/**
 * Run an idempotent call again after a transient failure (and a conflict, for calls that re-read what they
 * write), a few times with a short doubling pause on the clock. Anything else, or the last failure, is thrown.
 */
export async function retrying<T>(
  clock: Clock,
  call: () => Promise<T>,
  opts: { attempts?: number; retryConflicts?: boolean } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const retryable = isTransient(err) || (opts.retryConflicts === true && isConflict(err));
      if (!retryable || attempt >= attempts) throw err;
      await clock.sleep(250 * 2 ** (attempt - 1));
    }
  }
}

/**
 * Write a status change computed on the cached copy: one request while the cache is current (no GET first), and
 * on a conflict (it was not) the same change applied once to a fresh read. `change` returns the object to write,
 * or undefined when the fresh copy needs nothing (gone, being deleted, done already). Returns what was written.
 */
export async function updateStatusFromCache<T extends KubeObject>(
  api: KubeApi,
  kind: ResourceKind<T>,
  cached: T,
  change: (current: T) => T | undefined,
): Promise<T | undefined> {
  const first = change(structuredClone(cached));
  if (!first) return undefined;
  try {
    return await api.updateStatus(kind, first);
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  const latest = await api.get(kind, nameOf(cached), cached.metadata.namespace);
  const second = latest && change(latest);
  return second ? api.updateStatus(kind, second) : undefined;
}
