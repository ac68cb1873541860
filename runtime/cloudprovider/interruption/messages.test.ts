import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { DetailTypes, instanceIdOf, MESSAGE_KINDS, parseMessage, type InterruptionMessage } from './messages';

const INSTANCE = 'i-0abcdef1234567890';

function fixture(name: string): string {
  return readFileSync(join(__dirname, 'testdata', name), 'utf8').trim();
}
const FIXTURES = [
  'spot-interruption.json',
  'rebalance-recommendation.json',
  'state-change-stopping.json',
  'state-change-running.json',
  'aws-health-scheduled-change.json',
  'aws-health-issue.json',
  'capacity-reservation-interruption.json',
];

/** A fixture with its envelope or detail edited. */
function edited(name: string, edit: (event: Record<string, unknown>) => void): string {
  const event = JSON.parse(fixture(name)) as Record<string, unknown>;
  edit(event);
  return JSON.stringify(event);
}

function detail(event: Record<string, unknown>): Record<string, unknown> {
  return event.detail as Record<string, unknown>;
}

describe('parseMessage: the five kinds from AWS-shaped samples', () => {
  it('reads a spot interruption warning', () => {
    expect(parseMessage(fixture('spot-interruption.json'))).toEqual({
      kind: 'spotInterruption',
      instanceIds: [INSTANCE],
      instanceAction: 'terminate',
      meta: {
        id: '7f3c1a52-9e0d-4b1f-8c6a-2d5e4f1a0b01',
        source: 'aws.ec2',
        detailType: 'EC2 Spot Instance Interruption Warning',
        time: Date.parse('2026-11-22T21:30:00Z'),
        region: 'us-west-2',
        account: '123456789012',
      },
    });
  });

  it('reads a rebalance recommendation', () => {
    const m = parseMessage(fixture('rebalance-recommendation.json'));
    expect(m).toMatchObject({ kind: 'rebalanceRecommendation', instanceIds: [INSTANCE] });
  });

  it('reads the instance states that drain, case-insensitively, and ignores the others', () => {
    expect(parseMessage(fixture('state-change-stopping.json'))).toMatchObject({
      kind: 'stateChange',
      state: 'stopping',
      instanceIds: [INSTANCE],
    });
    for (const state of ['stopped', 'shutting-down', 'terminated', 'Terminated']) {
      const m = parseMessage(edited('state-change-stopping.json', (e) => void (detail(e).state = state)));
      expect(m).toMatchObject({ kind: 'stateChange', state: state.toLowerCase() });
    }
    const running = parseMessage(fixture('state-change-running.json'));
    expect(running.kind).toBe('unknown');
    expect(running.kind === 'unknown' && running.reason).toMatch(/running/);
  });

  it('reads an AWS Health scheduled change for EC2 and keeps only instance entities', () => {
    expect(parseMessage(fixture('aws-health-scheduled-change.json'))).toMatchObject({
      kind: 'scheduledChange',
      instanceIds: [INSTANCE],
      eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
      meta: { source: 'aws.health', detailType: 'AWS Health Event' },
    });
    const mixed = edited('aws-health-scheduled-change.json', (e) => {
      detail(e).affectedEntities = [
        { entityValue: 'i-0aaaaaaaaaaaaaaa1' },
        { entityValue: 'vol-0123456789abcdef0' },
        { entityValue: 'i-0bbbbbbbbbbbbbbb2' },
      ];
    });
    expect(parseMessage(mixed)).toMatchObject({
      kind: 'scheduledChange',
      instanceIds: ['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2'],
    });
  });

  it('ignores AWS Health events that are not EC2 scheduled changes', () => {
    expect(parseMessage(fixture('aws-health-issue.json')).kind).toBe('unknown');
    const rds = edited('aws-health-scheduled-change.json', (e) => void (detail(e).service = 'RDS'));
    expect(parseMessage(rds).kind).toBe('unknown');
  });

  it('reads a capacity reservation interruption warning', () => {
    expect(parseMessage(fixture('capacity-reservation-interruption.json'))).toMatchObject({
      kind: 'capacityReservationInterruption',
      instanceIds: [INSTANCE],
      instanceAction: 'terminate',
    });
  });

  it('matches the exact detail-type strings of the queue rules', () => {
    expect(Object.values(DetailTypes)).toEqual([
      'EC2 Spot Instance Interruption Warning',
      'EC2 Instance Rebalance Recommendation',
      'EC2 Instance State-change Notification',
      'AWS Health Event',
      'EC2 Capacity Reservation Instance Interruption Warning',
    ]);
    // The typo'd state-change detail-type an IaC add-on once shipped is not ours.
    const typo = edited(
      'state-change-stopping.json',
      (e) => void (e['detail-type'] = 'EC2 Instance State-change Notifications'),
    );
    expect(parseMessage(typo).kind).toBe('unknown');
  });
});

describe('parseMessage: what it will not act on', () => {
  it('calls a well-formed event it has no handler for unknown', () => {
    const cases = [
      edited('spot-interruption.json', (e) => void (e['detail-type'] = 'EC2 AMI State Change')),
      edited('spot-interruption.json', (e) => void (e.source = 'aws.health')),
      edited('aws-health-scheduled-change.json', (e) => void (e.source = 'aws.ec2')),
      edited('spot-interruption.json', (e) => void (e.version = '1')),
    ];
    for (const body of cases) expect(parseMessage(body).kind).toBe('unknown');
  });

  it('calls anything else malformed, with a reason', () => {
    const cases: (string | undefined)[] = [
      undefined,
      '',
      '   ',
      'not json',
      'null',
      '[]',
      '42',
      '"a string"',
      '{}',
      edited('spot-interruption.json', (e) => void delete e.detail),
      edited('spot-interruption.json', (e) => void (e.detail = 'i-0abcdef1234567890')),
      edited('spot-interruption.json', (e) => void delete e.id),
      edited('spot-interruption.json', (e) => void delete detail(e)['instance-id']),
      edited('spot-interruption.json', (e) => void (detail(e)['instance-id'] = 7)),
      edited('state-change-stopping.json', (e) => void delete detail(e).state),
      edited('aws-health-scheduled-change.json', (e) => void (detail(e).affectedEntities = 'i-1')),
    ];
    for (const body of cases) {
      const m = parseMessage(body);
      expect({ body, kind: m.kind }).toEqual({ body, kind: 'malformed' });
      expect(m.kind === 'malformed' && m.reason.length).toBeGreaterThan(0);
    }
  });

  it('tolerates a resources field that is a string, as one of AWS samples shows it', () => {
    const body = edited(
      'capacity-reservation-interruption.json',
      (e) => void (e.resources = 'arn:aws:ec2:us-west-2:123456789012:instance/i-0abcdef1234567890'),
    );
    expect(parseMessage(body).kind).toBe('capacityReservationInterruption');
  });

  it('keeps a bad time out of the metadata rather than rejecting the warning', () => {
    const m = parseMessage(edited('spot-interruption.json', (e) => void (e.time = 'soon')));
    expect(m.kind).toBe('spotInterruption');
    expect(m.kind === 'spotInterruption' && m.meta.time).toBeUndefined();
  });
});

describe('parseMessage: fuzzed input never escapes as an exception', () => {
  // parseMessage also catches as a last resort; the parser itself must not need that.
  const isKind = (m: InterruptionMessage) =>
    MESSAGE_KINDS.includes(m.kind) && !(m.kind === 'malformed' && m.reason.startsWith('parser failed'));

  it('survives random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => isKind(parseMessage(s))),
      { numRuns: 500 },
    );
  });

  it('calls every truncation of every sample malformed', () => {
    for (const name of FIXTURES) {
      const body = fixture(name);
      for (let n = 0; n < body.length; n++) {
        const m = parseMessage(body.slice(0, n));
        if (m.kind !== 'malformed') throw new Error(`${name} cut at ${n} parsed as ${m.kind}`);
      }
    }
  });

  it('survives random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => isKind(parseMessage(JSON.stringify(v)))),
      { numRuns: 500 },
    );
  });

  it('survives samples whose fields are replaced by random JSON', () => {
    const samples = FIXTURES.map((f) => JSON.parse(fixture(f)) as Record<string, unknown>);
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.constantFrom('version', 'id', 'detail-type', 'source', 'time', 'resources', 'detail'),
        fc.option(
          fc.constantFrom('instance-id', 'state', 'service', 'eventTypeCategory', 'affectedEntities'),
        ),
        fc.jsonValue({ maxDepth: 3 }),
        (sample, key, detailKey, value) => {
          const e = structuredClone(sample);
          if (detailKey !== null && key === 'detail') detail(e)[detailKey] = value;
          else e[key] = value;
          return isKind(parseMessage(JSON.stringify(e)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('survives samples with random bytes flipped', () => {
    const bodies = FIXTURES.map(fixture);
    fc.assert(
      fc.property(
        fc.constantFrom(...bodies),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 3 }),
        (body, at, junk) => {
          const i = at % body.length;
          return isKind(parseMessage(body.slice(0, i) + junk + body.slice(i + 1)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('survives deeply nested input', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(parseMessage(deep).kind).toBe('malformed');
  });
});

describe('instanceIdOf', () => {
  it('takes the instance id at the end of a providerID', () => {
    expect(instanceIdOf('aws:///us-west-2a/i-0abcdef1234567890')).toBe(INSTANCE);
    expect(instanceIdOf('kwok://node-1')).toBeUndefined();
    expect(instanceIdOf(undefined)).toBeUndefined();
    expect(instanceIdOf('')).toBeUndefined();
  });
});
