/**
 * Run independent writes a few at a time: one round's NodeClaims, one node's evictions. Sequential, each waits a
 * full API round trip (a second on a loaded server); unbounded, a burst of thousands floods the server.
 */

/** Calls `fn` on every item, at most `limit` at once; resolves when all have settled, rejects with the first error. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let firstError: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        firstError ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError) throw firstError.err;
}
