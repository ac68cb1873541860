import { nodePoolSchema, type NodePoolInput } from '../../../sdk/api/nodepool';
import type { StateNode } from '../../state/cluster-state';
import { allowedDisruptions, budgetNodes, budgetState, isBudgetActive, poolBudgets } from './budgets';

function pool(budgets: NonNullable<NodePoolInput['spec']['disruption']>['budgets']) {
  return nodePoolSchema.parse({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'p' },
    spec: {
      template: {
        spec: {
          requirements: [],
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'c' },
        },
      },
      disruption: { budgets },
    },
  });
}

const at = (iso: string) => Date.parse(iso);

describe('disruption budgets', () => {
  it('rounds percentages up over the pool size', () => {
    expect(budgetNodes({ nodes: '10%' }, 2)).toBe(1);
    expect(budgetNodes({ nodes: '10%' }, 11)).toBe(2);
    expect(budgetNodes({ nodes: '0%' }, 50)).toBe(0);
    expect(budgetNodes({ nodes: '3' }, 50)).toBe(3);
  });

  it("counts each pool's own managed nodes, and those already disrupting, per pool", () => {
    const node = (pool: string | undefined, extra: Partial<StateNode> = {}) =>
      ({
        managed: pool !== undefined,
        nodePoolName: pool,
        deleting: false,
        markedForDisruption: false,
        ...extra,
      }) as StateNode;
    const half = { ...pool([{ nodes: '50%' }]) };
    const other = { ...half, metadata: { name: 'q' } };
    const nodes = [
      node('p'),
      node('p'),
      node('p', { deleting: true }),
      node('p', { markedForDisruption: true }),
      node('q'),
      node(undefined),
    ];
    const out = poolBudgets(
      nodes,
      new Map([
        ['p', half],
        ['q', other],
        ['empty', half],
      ]),
      'Empty',
      0,
    );
    expect(Object.fromEntries(out)).toEqual({
      p: { allowed: 0, disrupting: 2 },
      q: { allowed: 1, disrupting: 0 },
      empty: { allowed: 0, disrupting: 0 },
    });
  });

  it('defaults to 10% of the nodes', () => {
    const np = nodePoolSchema.parse({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: 'p' },
      spec: { template: { spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } } } },
    });
    expect(allowedDisruptions(np, 'Empty', 0, 30, 0)).toBe(3);
  });

  it('takes the minimum of active budgets that match the reason, minus nodes already disrupting', () => {
    const np = pool([{ nodes: '50%' }, { nodes: '2', reasons: ['Drifted'] }]);
    expect(allowedDisruptions(np, 'Empty', 0, 10, 0)).toBe(5);
    expect(allowedDisruptions(np, 'Drifted', 0, 10, 0)).toBe(2);
    expect(allowedDisruptions(np, 'Drifted', 0, 10, 1)).toBe(1);
    expect(allowedDisruptions(np, 'Drifted', 0, 10, 4)).toBe(0);
  });

  it('activates a scheduled budget for its duration after each cron firing (UTC)', () => {
    // Weekdays 09:00 UTC for 8 hours: no disruption during business hours.
    const budget = { nodes: '0', schedule: '0 9 * * 1-5', duration: '8h' };
    expect(isBudgetActive(budget, at('2026-01-06T09:00:00Z'))).toBe(true); // Tuesday, at the firing
    expect(isBudgetActive(budget, at('2026-01-06T16:59:59Z'))).toBe(true);
    expect(isBudgetActive(budget, at('2026-01-06T17:00:00Z'))).toBe(false);
    expect(isBudgetActive(budget, at('2026-01-06T08:59:00Z'))).toBe(false);
    expect(isBudgetActive(budget, at('2026-01-10T10:00:00Z'))).toBe(false); // Saturday
    const np = pool([{ nodes: '10' }, budget]);
    expect(allowedDisruptions(np, 'Underutilized', at('2026-01-06T10:00:00Z'), 20, 0)).toBe(0);
    expect(allowedDisruptions(np, 'Underutilized', at('2026-01-06T18:00:00Z'), 20, 0)).toBe(10);
  });

  it('understands the @midnight macro the API accepts', () => {
    const budget = { nodes: '0', schedule: '@midnight', duration: '1h' };
    expect(isBudgetActive(budget, at('2026-01-06T00:30:00Z'))).toBe(true);
    expect(isBudgetActive(budget, at('2026-01-06T01:30:00Z'))).toBe(false);
  });
  describe('in a time zone (CRON_TZ= / TZ=), across daylight-saving transitions', () => {
    const HOUR = 3600e3;
    /** When the budget is active in [from, to), sampled every 5 minutes (every boundary here is on one), as runs. */
    function activeRuns(
      budget: { nodes: string; schedule: string; duration: string },
      from: string,
      to: string,
    ) {
      const runs: [string, string][] = [];
      let start: number | undefined;
      for (let t = at(from); t <= at(to); t += 5 * 60e3) {
        const active = t < at(to) && isBudgetActive(budget, t);
        if (active && start === undefined) start = t;
        if (!active && start !== undefined) {
          runs.push([new Date(start).toISOString(), new Date(t).toISOString()]);
          start = undefined;
        }
      }
      return runs;
    }

    const berlin = { nodes: '0', schedule: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5', duration: '8h' };

    it('keeps a Berlin business-hours budget at 09:00-17:00 local in winter (UTC+1) and summer (UTC+2)', () => {
      // Friday 27 Mar 2026 is CET; Sunday 29 Mar the clocks go forward; Monday 30 Mar is CEST.
      expect(activeRuns(berlin, '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
        ['2026-03-27T08:00:00.000Z', '2026-03-27T16:00:00.000Z'],
        ['2026-03-30T07:00:00.000Z', '2026-03-30T15:00:00.000Z'],
      ]);
      // Friday 23 Oct 2026 is CEST; Sunday 25 Oct the clocks go back; Monday 26 Oct is CET.
      expect(activeRuns(berlin, '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z')).toEqual([
        ['2026-10-23T07:00:00.000Z', '2026-10-23T15:00:00.000Z'],
        ['2026-10-26T08:00:00.000Z', '2026-10-26T16:00:00.000Z'],
      ]);
      // TZ= is the same prefix, and a prefix-less schedule is still UTC.
      expect(
        isBudgetActive({ ...berlin, schedule: 'TZ=Europe/Berlin 0 9 * * 1-5' }, at('2026-03-30T07:00:00Z')),
      ).toBe(true);
      expect(isBudgetActive({ ...berlin, schedule: '0 9 * * 1-5' }, at('2026-03-30T07:00:00Z'))).toBe(false);
      const np = pool([{ nodes: '10' }, berlin]);
      expect(allowedDisruptions(np, 'Underutilized', at('2026-07-01T14:59:00Z'), 20, 0)).toBe(0); // 16:59 CEST
      expect(allowedDisruptions(np, 'Underutilized', at('2026-07-01T15:00:00Z'), 20, 0)).toBe(10); // 17:00 CEST
    });

    it('fires a time in the skipped hour once, shifted forward by the gap (Europe/Berlin, 29 Mar 2026)', () => {
      // 02:30 does not exist that night (02:00 CET -> 03:00 CEST): the budget starts at 03:30 CEST = 01:30Z.
      const budget = { nodes: '0', schedule: 'CRON_TZ=Europe/Berlin 30 2 * * *', duration: '1h' };
      expect(activeRuns(budget, '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
        ['2026-03-28T01:30:00.000Z', '2026-03-28T02:30:00.000Z'], // 02:30 CET
        ['2026-03-29T01:30:00.000Z', '2026-03-29T02:30:00.000Z'], // 03:30-04:30 CEST
        ['2026-03-30T00:30:00.000Z', '2026-03-30T01:30:00.000Z'], // 02:30 CEST
      ]);
    });

    it('fires a time in the repeated hour once, at its first occurrence (Europe/Berlin, 25 Oct 2026)', () => {
      // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET): one window, not two, not doubled.
      const budget = { nodes: '0', schedule: 'CRON_TZ=Europe/Berlin 30 2 * * *', duration: '30m' };
      expect(activeRuns(budget, '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z')).toEqual([
        ['2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z'],
        ['2026-10-26T01:30:00.000Z', '2026-10-26T02:00:00.000Z'],
      ]);
      // An hourly budget fires once per wall-clock hour too: 02:00 only in CEST, so the second 02:00-03:00 is open.
      const hourly = { nodes: '0', schedule: 'CRON_TZ=Europe/Berlin 0 * * * *', duration: '1h' };
      expect(activeRuns(hourly, '2026-10-24T23:00:00Z', '2026-10-25T04:00:00Z')).toEqual([
        ['2026-10-24T23:00:00.000Z', '2026-10-25T01:00:00.000Z'],
        ['2026-10-25T02:00:00.000Z', '2026-10-25T04:00:00.000Z'],
      ]);
    });

    it('does the same in America/New_York (8 Mar and 1 Nov 2026)', () => {
      // 02:30 is skipped on 8 Mar (02:00 EST -> 03:00 EDT): fires at 03:30 EDT = 07:30Z.
      const spring = { nodes: '0', schedule: 'TZ=America/New_York 30 2 * * *', duration: '2h' };
      expect(activeRuns(spring, '2026-03-07T12:00:00Z', '2026-03-09T12:00:00Z')).toEqual([
        ['2026-03-08T07:30:00.000Z', '2026-03-08T09:30:00.000Z'],
        ['2026-03-09T06:30:00.000Z', '2026-03-09T08:30:00.000Z'],
      ]);
      // 01:30 is repeated on 1 Nov (05:30Z EDT, 06:30Z EST): only the first counts.
      const fall = { nodes: '0', schedule: 'TZ=America/New_York 30 1 * * *', duration: '45m' };
      expect(activeRuns(fall, '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z')).toEqual([
        ['2026-11-01T05:30:00.000Z', '2026-11-01T06:15:00.000Z'],
        ['2026-11-02T06:30:00.000Z', '2026-11-02T07:15:00.000Z'],
      ]);
    });

    it('measures duration in elapsed time, not on the wall clock', () => {
      // Midnight New York for 8h: on the 23-hour day the window ends at 09:00 EDT, on the 25-hour day at 07:00 EST.
      const budget = { nodes: '0', schedule: 'TZ=America/New_York @midnight', duration: '8h' };
      const [spring] = activeRuns(budget, '2026-03-08T00:00:00Z', '2026-03-08T23:00:00Z');
      expect(spring).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-08T13:00:00.000Z']);
      const [fall] = activeRuns(budget, '2026-11-01T00:00:00Z', '2026-11-01T23:00:00Z');
      expect(fall).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-01T12:00:00.000Z']);
      for (const [start, end] of [spring, fall] as [string, string][])
        expect(at(end) - at(start)).toBe(8 * HOUR);
    });

    it('handles half-hour shifts (Australia/Lord_Howe), where cron-parser itself gives up', () => {
      // 4 Oct 2026: 02:00 (+10:30) becomes 02:30 (+11), so 02:15 fires at 02:45 = 15:45Z the day before in UTC.
      const budget = { nodes: '0', schedule: 'TZ=Australia/Lord_Howe 15 2 * * *', duration: '1h' };
      expect(activeRuns(budget, '2026-10-03T12:00:00Z', '2026-10-04T18:00:00Z')).toEqual([
        ['2026-10-03T15:45:00.000Z', '2026-10-03T16:45:00.000Z'],
        ['2026-10-04T15:15:00.000Z', '2026-10-04T16:15:00.000Z'],
      ]);
    });

    it('fails closed on a schedule the API would reject: the budget allows no disruption', () => {
      const unknown = { nodes: '100%', schedule: 'CRON_TZ=Europe/Berlyn 0 9 * * 1-5', duration: '8h' };
      expect(budgetState(unknown, at('2026-01-06T10:00:00Z'))).toBe('invalid');
      expect(budgetState(berlin, at('2026-01-06T10:00:00Z'))).toBe('active');
      expect(budgetState(berlin, at('2026-01-06T18:00:00Z'))).toBe('inactive');
      // Built by hand: the schema itself refuses this NodePool (see sdk/api/rules.test.ts).
      const np = pool([{ nodes: '10' }]);
      np.spec.disruption.budgets.push(unknown);
      expect(allowedDisruptions(np, 'Empty', at('2026-01-06T18:00:00Z'), 20, 0)).toBe(0);
      // Only for the reasons it names, like any budget.
      const drifted = pool([{ nodes: '10' }]);
      drifted.spec.disruption.budgets.push({ ...unknown, reasons: ['Drifted'] });
      expect(allowedDisruptions(drifted, 'Empty', at('2026-01-06T18:00:00Z'), 20, 0)).toBe(10);
      expect(allowedDisruptions(drifted, 'Drifted', at('2026-01-06T18:00:00Z'), 20, 0)).toBe(0);
    });
  });
});
