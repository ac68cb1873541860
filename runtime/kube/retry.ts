import type { Clock } from '../clock/clock';
import { isConflict, isTransient } from './api';

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
