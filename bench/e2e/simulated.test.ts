import { simulateE2e } from './simulated';

describe('the e2e scenario on the simulator: scale-down churn', () => {
  it('moves each remaining pod at most about once, and leaves no node steered', async () => {
    // 1,000 pods on a handful of large nodes, then 30 % of them left. The ReplicaSets empty some nodes
    // entirely; those wait out consolidateAfter while an underutilized node goes first. Without steering its
    // pods land on the empty nodes (least allocated) and move again when those go: ~390 evictions here.
    const run = await simulateE2e({ pods: 1000 });
    expect(run.up.settled).toBe(true);
    expect(run.down.settled).toBe(true);
    expect(run.notRunning).toBe(0);
    expect(run.down.nodes).toBeLessThan(run.up.nodes);
    expect(run.down.costPerHour).toBeLessThan(run.up.costPerHour * 0.45);
    // 300 pods remain; moving them all once would be 300.
    expect(run.evictions).toBeLessThan(150);
    expect(run.steered).toBe(0);
  }, 120_000);
});
