/** `explain node` reads the controller's answer back from the cluster. */
import { Kinds } from '../runtime/kube/kinds';
import { explainNode } from '../runtime/explain/explain-node';
import { APP, APP_NS, labCluster, pdb, workshopNodes } from './support/cluster';

describe('explain node', () => {
  it('says which PodDisruptionBudget keeps an underutilized node', async () => {
    const sim = await labCluster({ replicas: 1 });
    await sim.scale('Deployment', APP_NS, APP, 9);
    await sim.settle();
    await sim.apply([pdb('app', { selector: { matchLabels: { app: 'fastapi-app' } }, maxUnavailable: 0 })]);
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.settle();
    const kept = workshopNodes(sim)[1]?.metadata.name as string;
    const lines = await explainNode(sim.api, kept, sim.clock.now());
    expect(lines[0]).toBe(`Node ${kept}`);
    expect(lines).toContain('  policy WhenEmptyOrUnderutilized, consolidateAfter 0s, budgets 10%');
    expect(lines.at(-1)).toMatch(
      /^ {2}last decision \(\d+[sm] ago\): Not disrupted: .*PodDisruptionBudget my-cool-app\/app allows no disruption/,
    );
    sim.stop();
  });

  it('names unmanaged nodes and rejects unknown ones with a fix', async () => {
    const sim = await labCluster({ replicas: 1 });
    await sim.api.create(Kinds.Node, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'system-1', labels: { 'kubernetes.io/hostname': 'system-1' } },
    });
    const lines = await explainNode(sim.api, 'system-1', sim.clock.now());
    expect(lines[1]).toMatch(/not managed by karpenter-ts/);
    await expect(explainNode(sim.api, 'nope', sim.clock.now())).rejects.toThrow(/kubectl get nodes/);
    sim.stop();
  });
});
