/**
 * The savings consolidation made, from the controller's counter
 * `karpenter_nodepools_consolidation_savings_per_hour_total` (USD/hour taken off each pool's price by the
 * consolidations carried out): read from a Prometheus text exposition, or as the difference of two readings (a
 * window). Pure.
 */
import { CONSOLIDATION_SAVINGS_METRIC, consolidationSavingsPerHourTotal } from '../metrics';

/** USD/hour saved, by NodePool, summed over the reasons (empty, underutilized). */
export type Savings = Map<string, number>;

/** Parse the savings series out of a /metrics page; a page without them gives an empty map. */
export function parseSavings(exposition: string): Savings {
  const out: Savings = new Map();
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${CONSOLIDATION_SAVINGS_METRIC}{`)) continue;
    const m = /^[^{]+\{([^}]*)\}\s+(\S+)/.exec(line);
    const pool = m?.[1] ? /(?:^|,)nodepool="((?:[^"\\]|\\.)*)"/.exec(m[1])?.[1] : undefined;
    const value = Number(m?.[2]);
    if (pool === undefined || !Number.isFinite(value)) continue;
    out.set(pool, (out.get(pool) ?? 0) + value);
  }
  return out;
}

/** This process's own counter (the embedded simulator's controller), read the same way. */
export async function currentSavings(): Promise<Savings> {
  const out: Savings = new Map();
  for (const v of (await consolidationSavingsPerHourTotal.get()).values) {
    const pool = String(v.labels.nodepool ?? '');
    out.set(pool, (out.get(pool) ?? 0) + v.value);
  }
  return out;
}

/** What was saved between two readings of the counter (a pool new in `after` counts from 0). */
export function savingsBetween(before: Savings, after: Savings): Savings {
  const out: Savings = new Map();
  for (const [pool, value] of after) {
    const delta = value - (before.get(pool) ?? 0);
    if (delta > 1e-12) out.set(pool, delta);
  }
  return out;
}

/** Lines for the report: one per pool that saved anything, and the total; a line saying none otherwise. */
export function renderSavings(savings: Savings, window: string): string {
  const rows = [...savings].filter(([, v]) => v > 0).sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return `consolidation saved nothing ${window}`;
  const total = rows.reduce((s, [, v]) => s + v, 0);
  const width = Math.max(...rows.map(([p]) => p.length));
  return [
    `consolidation saved $${total.toFixed(4)}/hour ${window}:`,
    ...rows.map(([pool, v]) => `  ${pool.padEnd(width)}  $${v.toFixed(4)}/hour`),
  ].join('\n');
}

/** For --json: pool → USD/hour, rounded as the report rounds. */
export function savingsJson(savings: Savings): Record<string, number> {
  return Object.fromEntries([...savings].map(([p, v]) => [p, Math.round(v * 1e6) / 1e6]));
}
