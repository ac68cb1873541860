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

describe("the e2e scenario on the simulator: a scale-up at the controller-manager's pace", () => {
  it('buys the declared replicas at once: fewer, larger nodes than planning only for pending pods', async () => {
    // kube-controller-manager creates pods at its client's 20 requests a second: 1,000 pods come over ~55 s.
    // Planning only for the pods pending at each round buys a few dozen pods' worth at a time (15 nodes here);
    // planning for what the ReplicaSets declare buys for all of them in the first round (8).
    const podCreates = { qps: 18, burst: 30 };
    const ahead = await simulateE2e({ pods: 1000, podCreates, scaleDown: false });
    const pendingOnly = await simulateE2e({
      pods: 1000,
      podCreates,
      scaleDown: false,
      settings: { planDeclaredReplicas: false },
    });
    for (const run of [ahead, pendingOnly]) {
      expect(run.up.settled).toBe(true);
      expect(run.notRunning).toBe(0);
    }
    expect(ahead.up.nodes).toBeLessThanOrEqual(Math.floor(pendingOnly.up.nodes * 0.7));
    expect(ahead.up.costPerHour).toBeLessThanOrEqual(pendingOnly.up.costPerHour * 1.02);
  }, 120_000);
});
