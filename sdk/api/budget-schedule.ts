/**
 * Disruption budget schedules: parsing (for the NodePool schema) and evaluation (for everything that asks whether a
 * scheduled budget is active: the disruption controller, the simulator running it, the Pulumi drift preview). Both
 * live here so there is one reading of a schedule.
 *
 * A schedule is a 5-field cron or a macro, optionally after one `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix naming an
 * IANA time zone (the prefix robfig/cron understands). Without a prefix the zone is UTC. The prefix is an extension:
 * upstream Karpenter documents UTC only and its controller evaluates every schedule as `TZ=UTC <schedule>`.
 *
 * Evaluation walks local wall-clock time: the cron is matched against the zone's wall clock (computed on a UTC
 * timeline, where cron-parser has no daylight-saving cases), and each matching wall-clock time is mapped to the one
 * real instant it fires at:
 * - a wall-clock time that occurs twice (the repeated hour when clocks go back) fires once, at its first
 *   occurrence;
 * - a wall-clock time that does not occur (the hour skipped when clocks go forward) fires when it would have, had
 *   the clocks not moved, i.e. shifted forward by the gap: 02:30 on a day Berlin jumps from 02:00 to 03:00 fires
 *   at 03:30 CEST (the "compatible" disambiguation of the Temporal proposal).
 * A budget is then active for `duration` of real elapsed time after the latest firing.
 *
 * cron-parser's own `tz` option is not used for zones: across a transition its prev() and next() disagree (prev()
 * skips a firing inside the skipped hour and reports the second pass of a repeated hour; next() reports one or the
 * other depending on where it starts), which would make a budget never active on spring-forward day or active twice
 * on fall-back day, and it loops out on zones with half-hour shifts (Australia/Lord_Howe).
 */
import { CronExpressionParser } from 'cron-parser';

export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

export interface BudgetSchedule {
  /** IANA time zone the cron is read in; 'UTC' when the schedule has no prefix. */
  readonly zone: string;
  /** The cron as cron-parser reads it (@midnight spelled @daily). */
  readonly cron: string;
}

export type ScheduleParse =
  | { readonly ok: true; readonly schedule: BudgetSchedule }
  /** `kind` says which rule is broken: the cron's shape, or the time zone of the prefix. */
  | { readonly ok: false; readonly kind: 'cron' | 'zone'; readonly problem: string };

const NAMES = /\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)\b/gi;

const PREFIX = /^(CRON_TZ|TZ)=(\S*)(\s+|$)/;

/** Why `zone` is not a time zone the IANA database (as Node's ICU carries it) knows, or undefined when it is. */
export function timeZoneProblem(zone: string): string | undefined {
  if (zone === '') return 'the time zone after "=" is empty';
  if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(zone)) {
    return `"${zone}" is not an IANA time zone name`;
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone "${zone}"`;
  }
  // ICU matches names without regard to case; the IANA database (and Go's time.LoadLocation) does not.
  if (zone !== resolved && zone.toLowerCase() === resolved.toLowerCase()) {
    return `time zone names are case-sensitive: "${zone}" is spelled "${resolved}"`;
  }
  return undefined;
}

/** Split a budget schedule into its zone and cron, or say what is wrong with it. */
export function parseBudgetSchedule(schedule: string): ScheduleParse {
  const cronProblem = (problem: string): ScheduleParse => ({ ok: false, kind: 'cron', problem });
  if (schedule !== schedule.trim()) return cronProblem(`"${schedule}" has leading or trailing whitespace`);
  let zone = 'UTC';
  let cron = schedule;
  const prefix = PREFIX.exec(schedule);
  if (prefix) {
    const [whole, name, given] = prefix as unknown as [string, string, string];
    cron = schedule.slice(whole.length);
    if (cron === '') return cronProblem(`"${schedule}" has a time zone but no cron after it`);
    if (PREFIX.test(cron)) return cronProblem(`"${schedule}" has more than one time zone prefix`);
    const problem = timeZoneProblem(given);
    if (problem) return { ok: false, kind: 'zone', problem: `${name}=${given}: ${problem}` };
    zone = given;
  }
  const first = cron.split(/\s+/)[0] ?? '';
  if (first.includes('=')) {
    return cronProblem(
      `"${first}" is not a time zone prefix (write CRON_TZ=<zone> or TZ=<zone>, in capitals)`,
    );
  }
  if (cron.startsWith('@')) {
    if (!CRON_MACROS.includes(cron)) return cronProblem(`unknown macro "${cron}"`);
    return { ok: true, schedule: { zone, cron: cron === '@midnight' ? '@daily' : cron } };
  }
  const fields = cron.split(/\s+/).length;
  if (fields !== 5) return cronProblem(`got ${fields} field${fields === 1 ? '' : 's'} in "${cron}"`);
  // cron-parser reads H as a value hashed from a seed, random unless one is given: a budget would move each time.
  if (/H/i.test(cron.replace(NAMES, '')))
    return cronProblem(`"${cron}": H (a hashed value) is not supported`);
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC' });
  } catch (err) {
    return cronProblem(`"${cron}": ${(err as Error).message}`);
  }
  return { ok: true, schedule: { zone, cron } };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at instant `t`, in milliseconds (wall clock = t + offset). */
export function zoneOffset(zone: string, t: number): number {
  if (zone === 'UTC') return 0;
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  const part: Record<string, number> = {};
  for (const p of format.formatToParts(t)) if (p.type !== 'literal') part[p.type] = Number(p.value);
  const wall = Date.UTC(
    part.year ?? 1970,
    (part.month ?? 1) - 1,
    part.day ?? 1,
    (part.hour ?? 0) % 24,
    part.minute ?? 0,
    part.second ?? 0,
  );
  return wall - Math.floor(t / 1000) * 1000;
}

const DAY = 24 * 3600 * 1000;

/**
 * The real instant local wall-clock time `wall` (milliseconds on a UTC timeline) fires at in `zone`: its first
 * occurrence when the clocks went back over it, shifted forward by the gap when the clocks jumped over it. Offsets
 * a day either side bracket every instant that can show `wall` (offsets are within ±14h; transitions are further
 * apart than a day). `steady` says no transition is near, so earlier wall-clock times fire earlier.
 */
function resolveWall(zone: string, wall: number): { fired: number; steady: boolean } {
  const before = zoneOffset(zone, wall - DAY);
  const after = zoneOffset(zone, wall + DAY);
  if (before === after) return { fired: wall - before, steady: true };
  const candidates = [wall - before, wall - after].filter((t) => zoneOffset(zone, t) === wall - t);
  return { fired: candidates.length > 0 ? Math.min(...candidates) : wall - before, steady: false };
}

export function wallToInstant(zone: string, wall: number): number {
  return resolveWall(zone, wall).fired;
}

/** The latest instant at or before `now` that the schedule fires at, or undefined if it never has. */
export function latestFiring(schedule: BudgetSchedule, now: number): number | undefined {
  const { zone, cron } = schedule;
  // A wall-clock time later than now's can have fired already when the clocks went back within the last day.
  const start = now + Math.max(zoneOffset(zone, now), zoneOffset(zone, now - DAY));
  const walls = CronExpressionParser.parse(cron, { currentDate: new Date(start + 1), tz: 'UTC' });
  let best: number | undefined;
  for (;;) {
    const wall = walls.prev().getTime();
    const minOffset = Math.min(zoneOffset(zone, wall - DAY), zoneOffset(zone, wall + DAY));
    // Every earlier wall-clock time fires at or before wall - minOffset: none can beat the best found.
    if (best !== undefined && wall - minOffset <= best) return best;
    const { fired, steady } = resolveWall(zone, wall);
    if (fired <= now && (best === undefined || fired > best)) {
      best = fired;
      // Away from a transition, earlier wall-clock times fire earlier: this is the latest.
      if (steady) return best;
    }
  }
}

/** Whether a budget with this schedule and duration (milliseconds) is active at `now`. */
export function scheduleActive(schedule: BudgetSchedule, durationMs: number, now: number): boolean {
  const fired = latestFiring(schedule, now);
  return fired !== undefined && now < fired + durationMs;
}
