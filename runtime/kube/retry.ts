import type { Clock } from '../clock/clock';
import { isConflict, isTransient, type KubeApi, type MergePatch } from './api';
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

/**
 * A merge patch computed on the cached copy (`cached`, undefined when the cache has no such object), sent with
 * the copy's resourceVersion as a precondition: one request while the cache is current, and on a conflict the
 * patch computed once more on a fresh read. Safer than a GET and an unconditional patch (a list such as a Node's
 * taints is replaced whole by a merge patch, so a change in between would be lost) and one request cheaper.
 * `change` returns the patch, or undefined when the object needs nothing.
 */
export async function patchFromCache<T extends KubeObject>(
  api: KubeApi,
  kind: ResourceKind<T>,
  name: string,
  cached: T | undefined,
  change: (current: T) => MergePatch | undefined,
): Promise<void> {
  const conditional = async (current: T): Promise<void> => {
    const patch = change(current);
    if (!patch) return;
    const metadata = {
      ...(patch.metadata as object | undefined),
      resourceVersion: current.metadata.resourceVersion,
    };
    await api.patch(kind, name, { ...patch, metadata }, current.metadata.namespace);
  };
  if (cached) {
    try {
      return await conditional(cached);
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  const latest = await api.get(kind, name, cached?.metadata.namespace);
  if (latest) await conditional(latest);
}
