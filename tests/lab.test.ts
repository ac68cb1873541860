/**
 * The seed lab end to end on the embedded simulator: the node counts, placements and prices the seed's
 * eks-node-viewer output shows after every step, and clear explanations when the lab's inputs cannot be met.
 */
import {
  LAB_STEPS,
  loadLabManifests,
  runLab,
  type LabFrame,
  type LabManifests,
} from '../runtime/lab/seed-lab';
import type { Deployment, NodePool } from '../runtime/kube/objects';
import { renderViewer } from '../runtime/viewer/render';

describe('seed lab', () => {
  let frames: LabFrame[];

  beforeAll(async () => {
    frames = await runLab();
  });

  it('runs every step of the seed in order and each one settles', () => {
    expect(frames.map((f) => f.step)).toEqual([
      'deploy',
      'scale-to-9',
      'scale-to-1',
      'scale-to-9-again',
      'scale-to-8',
    ]);
    expect(frames.every((f) => f.settled)).toBe(true);
  });

  it('shows 1, 2, 1, 2, 1 workshop nodes and never leaves a pod pending', () => {
    expect(frames.map((f) => f.nodes.length)).toEqual([1, 2, 1, 2, 1]);
    expect(frames.map((f) => f.pendingPods)).toEqual([0, 0, 0, 0, 0]);
    expect(frames.map((f) => f.expectedNodes)).toEqual(LAB_STEPS.map((s) => s.expectedNodes));
  });

  it('launches only on-demand t3a.medium nodes with 1780m allocatable, as the NodePool and node class ask', () => {
    for (const node of frames.flatMap((f) => f.nodes)) {
      expect(node).toMatchObject({
        nodePool: 'developers-workshop-pool',
        instanceType: 't3a.medium',
        capacityType: 'on-demand',
        cpuAllocatableMillis: 1780,
        status: 'Ready',
      });
    }
  });

  it('packs 8 pods onto the first node and 1 onto the new one at 9 replicas', () => {
    const at9 = frames[1] as LabFrame;
    expect(at9.nodes.map((n) => [n.pods, n.cpuRequestedMillis])).toEqual([
      [8, 1600],
      [1, 200],
    ]);
    expect(at9.pricePerHour).toBeCloseTo(2 * 0.0376, 4);
  });

  it('scaling down to 1 empties the fuller node, which emptiness then removes', () => {
    const at9 = frames[1] as LabFrame;
    const at1 = frames[2] as LabFrame;
    expect(at1.nodes.map((n) => n.name)).toEqual([at9.nodes[1]?.name]);
    expect(at1.events.some((e) => e.reason === 'DisruptionTerminating' && e.message.includes('Empty'))).toBe(
      true,
    );
  });

  it('scaling 9 → 8 consolidates the single-pod node onto the other one (underutilized, not empty)', () => {
    const again = frames[3] as LabFrame;
    const at8 = frames[4] as LabFrame;
    expect(again.nodes.map((n) => n.pods)).toEqual([8, 1]);
    expect(at8.nodes).toHaveLength(1);
    expect(at8.nodes[0]).toMatchObject({ name: again.nodes[0]?.name, pods: 8, cpuRequestedMillis: 1600 });
    expect(
      at8.events.some((e) => e.reason === 'DisruptionTerminating' && e.message.includes('Underutilized')),
    ).toBe(true);
  });

  it('counts the cluster pods like eks-node-viewer: app replicas plus postgres and two coredns', () => {
    expect(frames.map((f) => f.model.pods.total)).toEqual([4, 12, 4, 12, 11]);
  });

  it('renders the frame in the eks-node-viewer layout', () => {
    const text = renderViewer((frames[1] as LabFrame).model);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^2 nodes \( {5}1800m\/3560m\) 50\.6% cpu █{20}░{20} \$0\.075\/hour \| \$54\.896\/month$/,
    );
    expect(lines[1]).toBe('12 pods (0 pending 12 running 12 bound)');
    expect(lines[3]).toMatch(
      /^i-0123456789abcdef0 cpu █{31}░{4} {2}90% \(8 pods\) t3a\.medium\/\$0\.0376 On-Demand - Ready -$/,
    );
  });
});

describe('seed lab with inputs it cannot satisfy', () => {
  function withAppCpu(cpu: string): LabManifests {
    const manifests = loadLabManifests();
    const app = structuredClone(manifests.app[0]) as Deployment;
    const container = app.spec.template.spec.containers[0];
    if (container?.resources?.requests) container.resources.requests.cpu = cpu;
    return { ...manifests, app: [app] };
  }

  it('explains, per NodePool, that no allowed instance type is big enough', async () => {
    const frames = await runLab({ manifests: withAppCpu('4'), maxStepMs: 5 * 60_000 });
    const first = frames[0] as LabFrame;
    expect(first.pendingPods).toBe(1);
    expect(first.nodes).toHaveLength(0);
    expect(first.unschedulable[0]).toMatch(
      /NodePool "developers-workshop-pool": no instance type has enough resources for cpu=4.*largest compatible: t3a\.medium/,
    );
  });

  it('explains a node selector no NodePool offers', async () => {
    const manifests = loadLabManifests();
    const pool = structuredClone(manifests.nodePool[0]) as NodePool;
    pool.spec.template.metadata = { labels: { 'workload-type': 'something-else' } };
    const frames = await runLab({ manifests: { ...manifests, nodePool: [pool] }, maxStepMs: 5 * 60_000 });
    expect((frames[0] as LabFrame).unschedulable[0]).toMatch(
      /incompatible requirements: workload-type In \[developers-workshop\] conflicts with workload-type In \[something-else\]/,
    );
  });

  it('rejects an invalid NodePool before running, naming the field', () => {
    const manifests = loadLabManifests();
    const pool = structuredClone(manifests.nodePool[0]) as unknown as {
      spec: { disruption: { consolidationPolicy: string } };
    };
    pool.spec.disruption.consolidationPolicy = 'WhenIdle';
    return expect(
      runLab({ manifests: { ...manifests, nodePool: [pool as unknown as NodePool] } }),
    ).rejects.toThrow(
      /invalid NodePool "developers-workshop-pool":\n {2}- spec\.disruption\.consolidationPolicy: /,
    );
  });
});
