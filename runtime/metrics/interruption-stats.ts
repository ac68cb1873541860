/**
 * The interruption controller keeps plain counters (it must not depend on prom-client); this turns them into
 * Karpenter's interruption metrics at scrape time, adding what was counted since the last scrape and observing
 * the queue times it collected.
 */
import {
  interruptionDeletedMessagesTotal,
  interruptionMessageQueueDurationSeconds,
  interruptionReceivedMessagesTotal,
} from './metrics';
import { onScrape } from './registry';

export interface InterruptionCounters {
  received: Record<string, number>;
  deleted: number;
  /** Seconds messages spent on the queue, taken (emptied) at every scrape. */
  queueSeconds?: number[];
}

/** "spotInterruption" → "spot_interruption", Karpenter's message_type values. */
export function messageTypeLabel(kind: string): string {
  return kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function bindInterruptionStats(stats: InterruptionCounters): () => void {
  const seen: InterruptionCounters = { received: {}, deleted: 0 };
  const sync = () => {
    for (const [kind, n] of Object.entries(stats.received)) {
      const delta = n - (seen.received[kind] ?? 0);
      if (delta > 0) interruptionReceivedMessagesTotal.inc({ message_type: messageTypeLabel(kind) }, delta);
      seen.received[kind] = n;
    }
    if (stats.deleted > seen.deleted) interruptionDeletedMessagesTotal.inc(stats.deleted - seen.deleted);
    seen.deleted = stats.deleted;
    for (const seconds of stats.queueSeconds?.splice(0) ?? [])
      interruptionMessageQueueDurationSeconds.observe(seconds);
  };
  const off = onScrape(sync);
  return () => {
    sync();
    off();
  };
}
