import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; "silent" for the lab's human output, which prints its own summary. */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  return pino({ level, base: { component: 'karpenter-ts' } }, destination);
}
