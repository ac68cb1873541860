/** Reading the controller's metrics in scenario tests. */
import type { Counter } from 'prom-client';

/** The series of a counter whose labels include `labels` (all of them when none are given). */
export async function series<T extends string>(
  metric: Counter<T>,
  labels: Partial<Record<T, string | number>> = {},
): Promise<{ labels: Partial<Record<T, string | number>>; value: number }[]> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k as T] === want))
    .map((v) => ({ labels: v.labels, value: v.value }));
}
