import { parseBudgetSchedule, timeZoneProblem, wallToInstant, zoneOffset } from './budget-schedule';
import { nodePoolSchema } from './nodepool';
import { budget } from './testing';
import { validate } from './validate';

const problem = (s: string) => {
  const parsed = parseBudgetSchedule(s);
  return parsed.ok ? undefined : `${parsed.kind}: ${parsed.problem}`;
};

describe('parseBudgetSchedule', () => {
  it('reads 5-field crons and macros in UTC, spelling @midnight as @daily', () => {
    for (const s of [
      '0 9 * * 1-5',
      '*/5 * * * *',
      '0 0 1 1 *',
      '0 9 * * MON-FRI',
      '0 0 * * THU',
      '@daily',
      '@hourly',
    ]) {
      expect(parseBudgetSchedule(s)).toEqual({ ok: true, schedule: { zone: 'UTC', cron: s } });
    }
    expect(parseBudgetSchedule('@midnight')).toEqual({ ok: true, schedule: { zone: 'UTC', cron: '@daily' } });
  });

  it('reads one CRON_TZ= or TZ= prefix as the zone, before a cron or a macro', () => {
    expect(parseBudgetSchedule('CRON_TZ=Europe/Berlin 0 9 * * 1-5')).toEqual({
      ok: true,
      schedule: { zone: 'Europe/Berlin', cron: '0 9 * * 1-5' },
    });
    expect(parseBudgetSchedule('TZ=America/New_York  @midnight')).toEqual({
      ok: true,
      schedule: { zone: 'America/New_York', cron: '@daily' },
    });
    // Zones Node knows beyond Intl.supportedValuesOf's list: UTC itself, renamed zones, links.
    for (const zone of ['UTC', 'Etc/UTC', 'Asia/Kolkata', 'Europe/Kyiv', 'US/Eastern', 'Etc/GMT+5']) {
      expect(problem(`TZ=${zone} 0 9 * * *`)).toBeUndefined();
    }
  });

  it('names an unknown or misspelt zone and says how to fix it', () => {
    expect(problem('CRON_TZ=Europe/Berlyn 0 9 * * 1-5')).toBe(
      'zone: CRON_TZ=Europe/Berlyn: unknown time zone "Europe/Berlyn"',
    );
    expect(problem('TZ=europe/berlin 0 9 * * 1-5')).toBe(
      'zone: TZ=europe/berlin: time zone names are case-sensitive: "europe/berlin" is spelled "Europe/Berlin"',
    );
    expect(problem('TZ=Local 0 9 * * *')).toBe('zone: TZ=Local: unknown time zone "Local"');
    expect(problem('TZ=+01:00 0 9 * * *')).toBe('zone: TZ=+01:00: "+01:00" is not an IANA time zone name');
    expect(problem('TZ= 0 9 * * *')).toBe('zone: TZ=: the time zone after "=" is empty');
  });

  it('rejects a prefix without a cron, two prefixes, and a lower-case prefix', () => {
    expect(problem('CRON_TZ=Europe/Berlin')).toBe(
      'cron: "CRON_TZ=Europe/Berlin" has a time zone but no cron after it',
    );
    expect(problem('CRON_TZ=Europe/Berlin TZ=UTC 0 9 * * *')).toBe(
      'cron: "CRON_TZ=Europe/Berlin TZ=UTC 0 9 * * *" has more than one time zone prefix',
    );
    expect(problem('cron_tz=Europe/Berlin 0 9 * * *')).toBe(
      'cron: "cron_tz=Europe/Berlin" is not a time zone prefix (write CRON_TZ=<zone> or TZ=<zone>, in capitals)',
    );
  });

  it('explains what is wrong with the cron itself', () => {
    expect(problem('* * * * * *')).toBe('cron: got 6 fields in "* * * * * *"');
    expect(problem('TZ=Europe/Berlin 0 9 * *')).toBe('cron: got 4 fields in "0 9 * *"');
    expect(problem('@fortnightly')).toBe('cron: unknown macro "@fortnightly"');
    expect(problem('0 25 * * *')).toMatch(/^cron: "0 25 \* \* \*": .*25/);
    expect(problem(' @midnight')).toBe('cron: " @midnight" has leading or trailing whitespace');
    // cron-parser would pick a random minute on every parse: the budget would wander.
    expect(problem('H 9 * * *')).toBe('cron: "H 9 * * *": H (a hashed value) is not supported');
  });
});

describe('a NodePool with a schedule in an unknown zone', () => {
  it('is refused with the field, the zone and the fix', () => {
    const result = validate(
      nodePoolSchema,
      budget({ nodes: '0', schedule: 'CRON_TZ=Europe/Berlyn 0 9 * * 1-5', duration: '8h' }),
    );
    expect(result.success ? [] : result.problems).toEqual([
      {
        path: 'spec.disruption.budgets.0.schedule',
        message:
          'schedule names a time zone that is not in the IANA time zone database: after CRON_TZ= or TZ= write an IANA name such as Europe/Berlin, America/New_York or UTC (CRON_TZ=Europe/Berlyn: unknown time zone "Europe/Berlyn")',
        rule: 'budgetScheduleTimeZone',
      },
    ]);
  });
});

describe('timeZoneProblem', () => {
  it('accepts IANA names and rejects anything else', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('America/Argentina/Buenos_Aires')).toBeUndefined();
    expect(timeZoneProblem('Mars/Olympus_Mons')).toBe('unknown time zone "Mars/Olympus_Mons"');
  });
});

describe('wall-clock time in a zone', () => {
  const at = (iso: string) => Date.parse(iso);
  it('knows the offset on either side of a transition', () => {
    expect(zoneOffset('Europe/Berlin', at('2026-03-29T00:59:59Z'))).toBe(3600e3);
    expect(zoneOffset('Europe/Berlin', at('2026-03-29T01:00:00Z'))).toBe(7200e3);
    expect(zoneOffset('America/New_York', at('2026-11-01T05:59:59Z'))).toBe(-4 * 3600e3);
    expect(zoneOffset('America/New_York', at('2026-11-01T06:00:00Z'))).toBe(-5 * 3600e3);
    expect(zoneOffset('Australia/Lord_Howe', at('2026-01-01T00:00:00Z'))).toBe(11 * 3600e3);
  });

  it('maps a repeated wall-clock time to its first occurrence and a skipped one forward by the gap', () => {
    // 02:30 on 25 Oct 2026 in Berlin happens at 00:30Z (CEST) and again at 01:30Z (CET).
    expect(wallToInstant('Europe/Berlin', at('2026-10-25T02:30:00Z'))).toBe(at('2026-10-25T00:30:00Z'));
    // 02:30 on 29 Mar 2026 in Berlin does not happen: 02:00 CET becomes 03:00 CEST; it fires at 03:30 CEST.
    expect(wallToInstant('Europe/Berlin', at('2026-03-29T02:30:00Z'))).toBe(at('2026-03-29T01:30:00Z'));
    expect(wallToInstant('Europe/Berlin', at('2026-03-29T03:30:00Z'))).toBe(at('2026-03-29T01:30:00Z'));
    expect(wallToInstant('Europe/Berlin', at('2026-07-01T09:00:00Z'))).toBe(at('2026-07-01T07:00:00Z'));
    expect(wallToInstant('UTC', at('2026-07-01T09:00:00Z'))).toBe(at('2026-07-01T09:00:00Z'));
  });
});
