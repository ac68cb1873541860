/**
 * Termination on the embedded simulator: the drain through the Eviction API under PodDisruptionBudgets and
 * terminationGracePeriod, volume detachment, and deleting a Node object directly.
 */
import { ApiError } from '../runtime/kube/api';
import { Kinds } from '../runtime/kube/kinds';
import { APP, APP_NS, labCluster, pdb, podsOn, workshopNodes } from './support/cluster';

describe('termination', () => {
  it('deletes the pods the API server will not evict because their namespace is being deleted', async () => {
    const sim = await labCluster({ replicas: 2 });
    const [node] = workshopNodes(sim);
    const nodeName = node?.metadata.name as string;
    // As kube-apiserver answers an eviction (a create) in a namespace being deleted.
    sim.api.evict = async (name, namespace) => {
      throw new ApiError(
        403,
        'Forbidden',
        `pods "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    };
    const claim = sim.api.peekAll(Kinds.NodeClaim)[0];
    await sim.api.delete(Kinds.NodeClaim, claim?.metadata.name as string);
    await sim.clock.advance(60_000);
    expect(sim.api.peek(Kinds.Node, nodeName)).toBeUndefined();
    expect(sim.api.peek(Kinds.NodeClaim, claim?.metadata.name as string)).toBeUndefined();
    sim.stop();
  });

  it('drains through the Eviction API: a PDB holds the drain until it allows it', async () => {
    const sim = await labCluster({ replicas: 1 });
    const [node] = workshopNodes(sim);
    const nodeName = node?.metadata.name as string;
    await sim.apply([pdb('app', { selector: { matchLabels: { app: 'fastapi-app' } }, minAvailable: 1 })]);
    const claim = sim.api.peekAll(Kinds.NodeClaim)[0];
    await sim.api.delete(Kinds.NodeClaim, claim?.metadata.name as string);
    await sim.clock.advance(60_000);
    // Still there: the only replica cannot be evicted, and the node is tainted so nothing new lands on it.
    const held = sim.api.peek(Kinds.Node, nodeName);
    expect(held?.spec?.taints?.some((t) => t.key === 'karpenter.sh/disrupted')).toBe(true);
    expect(podsOn(sim, nodeName)).toHaveLength(1);
    const warnings = sim.api.peekAll(Kinds.Event).filter((e) => e.reason === 'FailedDraining');
    expect(warnings[0]?.message).toMatch(/would violate the pod's disruption budget/);
    await sim.delete(Kinds.PodDisruptionBudget, 'app', APP_NS);
    await sim.settle();
    expect(sim.api.peek(Kinds.Node, nodeName)).toBeUndefined();
    expect(sim.api.peek(Kinds.NodeClaim, claim?.metadata.name as string)).toBeUndefined();
    // The evicted replica was recreated and landed on a fresh node.
    expect(sim.pods().filter((p) => p.metadata.namespace === APP_NS && p.spec.nodeName)).toHaveLength(1);
    sim.stop();
  });

  it('drains one pod at a time under maxUnavailable: 1, never dropping below the budget', async () => {
    const sim = await labCluster({ replicas: 1 });
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.settle();
    const [node] = workshopNodes(sim);
    expect(podsOn(sim, node?.metadata.name as string)).toHaveLength(8);
    await sim.apply([pdb('app', { selector: { matchLabels: { app: 'fastapi-app' } }, maxUnavailable: 1 })]);
    const claim = sim.api.peekAll(Kinds.NodeClaim)[0];
    await sim.api.delete(Kinds.NodeClaim, claim?.metadata.name as string);
    let lowest = Infinity;
    for (let t = 0; t < 600 && sim.api.peek(Kinds.Node, node?.metadata.name as string); t++) {
      await sim.clock.advance(1000);
      const running = sim
        .pods()
        .filter((p) => p.metadata.labels?.app === 'fastapi-app' && p.status?.phase === 'Running');
      lowest = Math.min(lowest, running.length);
    }
    expect(sim.api.peek(Kinds.Node, node?.metadata.name as string)).toBeUndefined();
    expect(lowest).toBe(7);
    sim.stop();
  });

  it('terminationGracePeriod overrides a blocking PDB: pods deleted in time, node gone at the deadline', async () => {
    const sim = await labCluster({
      replicas: 1,
      editPool: (pool) => {
        pool.spec.template.spec.terminationGracePeriod = '3m';
      },
    });
    const [node] = workshopNodes(sim);
    const nodeName = node?.metadata.name as string;
    await sim.apply([pdb('app', { selector: { matchLabels: { app: 'fastapi-app' } }, maxUnavailable: 0 })]);
    const claim = sim.api.peekAll(Kinds.NodeClaim)[0];
    expect(claim?.spec.terminationGracePeriod).toBe('3m');
    const [pod] = podsOn(sim, nodeName);
    await sim.api.delete(Kinds.NodeClaim, claim?.metadata.name as string);
    // The PDB refuses evictions; 2m29s in, the pod (30 s grace by default) is not yet due.
    await sim.clock.advance(149_000);
    expect(sim.api.peek(Kinds.Node, nodeName)).toBeDefined();
    expect(podsOn(sim, nodeName).map((p) => p.metadata.name)).toContain(pod?.metadata.name);
    // From 2m30s the pod is deleted despite the PDB, and the node goes by the 3 minute deadline.
    await sim.clock.advance(35_000);
    const deleted = sim.api
      .peekAll(Kinds.Event)
      .filter((e) => e.reason === 'Deleted' && e.involvedObject.name === pod?.metadata.name);
    expect(deleted[0]?.message).toMatch(/terminationGracePeriod/);
    await sim.clock.advance(10_000);
    expect(sim.api.peek(Kinds.Node, nodeName)).toBeUndefined();
    expect(sim.api.peek(Kinds.PodDisruptionBudget, 'app', APP_NS)).toBeDefined();
    sim.stop();
  });

  it('waits for volumes to detach from the drained node before terminating its instance', async () => {
    const sim = await labCluster({ replicas: 1 });
    const [node] = workshopNodes(sim);
    const nodeName = node?.metadata.name as string;
    const claim = sim.api.peekAll(Kinds.NodeClaim)[0];
    await sim.api.create(Kinds.VolumeAttachment, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { name: 'csi-data' },
      spec: { attacher: 'ebs.csi.aws.com', nodeName, source: { persistentVolumeName: 'pv-data' } },
    });
    await sim.api.delete(Kinds.NodeClaim, claim?.metadata.name as string);
    await sim.clock.advance(60_000);
    // Drained (the pod moved on), but the instance stays while pv-data is attached.
    expect(podsOn(sim, nodeName)).toHaveLength(0);
    const instance = () => sim.cloud.allInstances().find((i) => i.providerID === claim?.status?.providerID);
    expect(instance()?.state).toBe('running');
    const waiting = sim.api.peekAll(Kinds.Event).filter((e) => e.reason === 'AwaitingVolumeDetachment');
    expect(waiting[0]?.message).toMatch(/pv-data/);
    await sim.api.delete(Kinds.VolumeAttachment, 'csi-data');
    await sim.clock.advance(10_000);
    expect(instance()?.state).toBe('terminated');
    expect(sim.api.peek(Kinds.Node, nodeName)).toBeUndefined();
    sim.stop();
  });

  it('deleting the Node object terminates its instance and NodeClaim', async () => {
    const sim = await labCluster({ replicas: 1 });
    const [node] = workshopNodes(sim);
    await sim.api.delete(Kinds.Node, node?.metadata.name as string);
    await sim.settle();
    expect(sim.api.peek(Kinds.Node, node?.metadata.name as string)).toBeUndefined();
    const first = sim.cloud.allInstances()[0];
    expect(first?.state).toBe('terminated');
    // The app's pod needed a home again, so a replacement node was provisioned.
    expect(workshopNodes(sim)).toHaveLength(1);
    sim.stop();
  });
});
