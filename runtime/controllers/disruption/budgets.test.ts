import { nodePoolSchema, type NodePoolInput } from '../../../sdk/api/nodepool';
import { allowedDisruptions, budgetNodes, isBudgetActive } from './budgets';

function pool(budgets: NonNullable<NodePoolInput['spec']['disruption']>['budgets']) {
  return nodePoolSchema.parse({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'p' },
    spec: {
      template: { spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'c' } } },
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

  it('defaults to 10% of the nodes', () => {
    const np = nodePoolSchema.parse({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: 'p' },
      spec: { template: { spec: { nodeClassRef: { group: 'g', kind: 'k', name: 'n' } } } },
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
});
