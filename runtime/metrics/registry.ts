/**
 * The one Prometheus registry of the controller. Every metric is declared in `metrics.ts` against it; other code
 * imports those objects and never creates metrics of its own, so `/metrics` is the complete, documented set.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();

let processMetrics = false;

/** Node.js process metrics (CPU, memory, event loop lag): only in the controller process, never in tests. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}

const beforeScrape = new Set<() => void | Promise<void>>();

/**
 * Run `fn` before every scrape (to bring scrape-time gauges up to date); returns a function that removes it. An
 * async `fn` is awaited, so what it reads (the cloud provider's catalog, say) is in this scrape.
 */
export function onScrape(fn: () => void | Promise<void>): () => void {
  beforeScrape.add(fn);
  return () => beforeScrape.delete(fn);
}

/** The Prometheus text exposition of every metric, refreshed. */
export async function scrape(): Promise<string> {
  for (const fn of [...beforeScrape]) await fn();
  return registry.metrics();
}
