/**
 * Convergence under faults on the embedded simulator: each defect found by injecting faults into the controller's
 * two seams, reproduced with exactly the fault that caused it (a `maxFaults` profile), and the seeded soak over
 * the whole lab. `npm run soak` runs the full count; docs/TESTING.md has the figures.
 */
import { Kinds } from '../runtime/kube/kinds';
import { testNodeClaim } from '../runtime/kube/testing';
import { soakRun, summarize } from '../runtime/lab/soak';
import { parseFaultSpec, resolveFaultProfile, type FaultProfileInput } from '../runtime/simulator/faults';
import { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, podsOn, workshopNodes } from './support/cluster';

jest.setTimeout(120_000);

const once = (input: FaultProfileInput) => resolveFaultProfile({ maxFaults: 1, ...input });

function clean(sim: Simulation): void {
  expect(sim.convergence()).toEqual({ leakedInstances: [], duplicateLaunches: [], orphanNodes: [] });
  expect(sim.pods().filter((p) => !p.spec.nodeName)).toEqual([]);
}

describe('one fault, no lasting harm', () => {
  it('a failed NodeClaim create does not strand the pods: the provisioning round is retried', async () => {
    const sim = await labCluster({
      replicas: 0,
      faults: once({ api: { create: { conflict: 1 } }, kinds: ['NodeClaim'] }),
    });
    await sim.scale('Deployment', APP_NS, APP, 9);
    expect((await sim.settle()).settled).toBe(true);
    expect(sim.faults?.snapshot()).toEqual({ 'api.create.conflict': 1 });
    expect(workshopNodes(sim)).toHaveLength(2);
    clean(sim);
    sim.stop();
  });

  it('a lost answer to the launch label patch launches nothing twice', async () => {
    const sim = await labCluster({
      replicas: 1,
      faults: once({ api: { patch: { lostResponse: 1 } }, kinds: ['NodeClaim'] }),
    });
    expect(sim.faults?.snapshot()).toEqual({ 'api.patch.lostResponse': 1 });
    expect(sim.cloud.allInstances()).toHaveLength(1);
    clean(sim);
    sim.stop();
  });

  it('a failed status write after the launch launches nothing twice', async () => {
    const sim = await labCluster({
      replicas: 1,
      faults: once({ api: { updateStatus: { serverError: 1 } }, kinds: ['NodeClaim'] }),
    });
    expect(sim.faults?.snapshot()).toEqual({ 'api.updateStatus.serverError': 1 });
    expect(sim.cloud.allInstances()).toHaveLength(1);
    clean(sim);
    sim.stop();
  });

  it('a launch whose answer was lost, on a claim then given up, leaves no instance behind', async () => {
    const sim = await labCluster({ replicas: 1 });
    // The lifecycle stays out of it: the claim must never learn of its instance.
    sim.operator.lifecycle.stop();
    const claim = await sim.api.create(
      Kinds.NodeClaim,
      testNodeClaim('lost-launch', {
        metadata: {
          labels: { 'karpenter.sh/nodepool': 'developers-workshop-pool' },
          finalizers: ['karpenter.sh/termination'],
        },
      }),
    );
    await sim.cloud.create(claim);
    await sim.api.delete(Kinds.NodeClaim, 'lost-launch');
    await sim.clock.advance(60_000);
    expect(sim.api.peek(Kinds.NodeClaim, 'lost-launch')).toBeUndefined();
    expect(sim.cloud.allInstances().filter((i) => i.nodeClaimName === 'lost-launch')).toEqual([
      expect.objectContaining({ state: 'terminated' }),
    ]);
    expect(sim.convergence().leakedInstances).toEqual([]);
    sim.stop();
  });

  it('a 500 on an informer’s first list does not hang the start', async () => {
    const sim = new Simulation({ faults: once({ api: { list: { serverError: 1 } } }) });
    await sim.start();
    expect(sim.faults?.snapshot()).toEqual({ 'api.list.serverError': 1 });
    expect(sim.operator.state.synced).toBe(true);
    sim.stop();
  });

  it('a Node no NodeClaim owns is never planned as capacity', async () => {
    const sim = await labCluster({ replicas: 1 });
    const [node] = workshopNodes(sim);
    // A registered Node of the pool whose claim is gone: the kube-scheduler refuses it (unregistered taint).
    const orphan = structuredClone(node) as NonNullable<typeof node>;
    orphan.metadata = {
      name: 'orphan',
      labels: { ...node?.metadata.labels, 'kubernetes.io/hostname': 'orphan' },
    };
    orphan.spec = {
      providerID: 'aws:///us-east-1a/i-orphan',
      taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }],
    };
    orphan.status = {
      ...orphan.status,
      allocatable: { cpu: '64', memory: '256Gi', pods: '110' },
      capacity: { cpu: '64', memory: '256Gi', pods: '110' },
    };
    await sim.api.create(Kinds.Node, orphan);
    await sim.scale('Deployment', APP_NS, APP, 9);
    await sim.settle({ maxMs: 20 * 60_000 });
    expect(podsOn(sim, 'orphan')).toEqual([]);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toEqual([]);
    sim.stop();
  });
});

describe('disruption commands that fail part-way', () => {
  it('take their taint back off, and a taint left by one that could not is removed by the next poll', async () => {
    const sim = await labCluster({ replicas: 1 });
    const [node] = workshopNodes(sim);
    const name = node?.metadata.name as string;
    // A protected node keeps its pod: only the stale taint is in question.
    await sim.api.patch(Kinds.Node, name, {
      metadata: { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } },
      spec: { taints: [{ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' }] },
    });
    await sim.clock.advance(30_000);
    expect(sim.api.peek(Kinds.Node, name)?.spec?.taints ?? []).toEqual([]);
    sim.stop();
  });

  it('an empty node whose claim deletion fails once is still removed, and no node is left tainted', async () => {
    const sim = await labCluster({
      replicas: 2,
      faults: resolveFaultProfile({
        api: { delete: { serverError: 1 }, updateStatus: { conflict: 1 } },
        kinds: ['NodeClaim'],
        maxFaults: 2,
      }),
    });
    await sim.scale('Deployment', APP_NS, APP, 0);
    expect((await sim.settle()).settled).toBe(true);
    expect(sim.faults?.total).toBe(2);
    expect(workshopNodes(sim)).toEqual([]);
    clean(sim);
    sim.stop();
  });
});

describe('fault profiles', () => {
  it('spread a compact rate over the faults each call can have, and name the field of a bad one', () => {
    const p = parseFaultSpec('api.writes=0.1,api.get=0.03,cloud.create=0.2,watch.drop=0.01,seed=7');
    expect(p.seed).toBe(7);
    expect(p.api.create).toEqual({
      conflict: 0.02,
      serverError: 0.02,
      throttle: 0.02,
      timeout: 0.02,
      lostResponse: 0.02,
    });
    expect(p.api.get).toEqual({ serverError: 0.01, throttle: 0.01, timeout: 0.01 });
    expect(p.api.list).toEqual({});
    expect(p.cloud.create).toEqual({
      insufficientCapacity: 0.05,
      throttle: 0.05,
      serverError: 0.05,
      lostResponse: 0.05,
    });
    expect(p.watch).toEqual({ drop: 0.01, gone: 0 });
    expect(() => resolveFaultProfile({ api: { create: { conflict: 2 } } })).toThrow(/api\.create\.conflict/);
    expect(() => resolveFaultProfile({ api: { craete: {} } })).toThrow(/craete/);
    expect(() => parseFaultSpec('api.writes')).toThrow(/is not path=number/);
  });

  it('replay exactly: the same seed injects the same faults', async () => {
    const run = async () => {
      const sim = await labCluster({
        replicas: 3,
        faults: parseFaultSpec('api.writes=0.2,cloud=0.2,seed=3'),
      });
      const counts = sim.faults?.snapshot();
      sim.stop();
      return counts;
    };
    const first = await run();
    expect(Object.keys(first ?? {}).length).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
  });
});

describe('soak: the lab under faults', () => {
  // A fast count for npm test; `npm run soak` runs 100 per profile.
  const SEEDS = 6;
  it.each([
    ['10% API writes + 10% cloud, lost responses included', 'api.writes=0.1,cloud=0.1'],
    [
      'with reads failing and watches dropped',
      'api.writes=0.1,api.reads=0.05,cloud=0.1,watch.drop=0.02,watch.gone=0.05',
    ],
  ])('%s: every run converges cleanly and nothing flaps afterwards', async (_name, spec) => {
    const runs = [];
    for (let seed = 1; seed <= SEEDS; seed++)
      runs.push(await soakRun(parseFaultSpec(`${spec},seed=${seed}`)));
    const summary = summarize(runs);
    expect(summary.faultsInjected).toBeGreaterThan(SEEDS * 3);
    expect(summary.failures).toEqual([]);
  });
});
