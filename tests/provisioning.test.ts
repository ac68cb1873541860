/** Provisioning scenarios on the embedded simulator. */
import { CloudProviderError } from '../runtime/cloudprovider/types';
import { Kinds } from '../runtime/kube/kinds';
import { nameOf, type NodeClaim } from '../runtime/kube/objects';
import { fromResourceList, podRequests } from '../runtime/scheduling/resources';
import {
  APP,
  APP_NS,
  applyDatabase,
  labCluster,
  podsOn,
  protectFromDisruption,
  workshopNodes,
} from './support/cluster';

describe('provisioning', () => {
  it('fills a NodeClaim that is still launching instead of launching a second one', async () => {
    const sim = await labCluster({ replicas: 1 });
    // EC2 answers slowly: every launch takes 20 s.
    const launch = sim.cloud.create.bind(sim.cloud);
    sim.cloud.create = async (claim: NodeClaim) => {
      await sim.clock.sleep(20_000);
      return launch(claim);
    };
    await sim.scale('Deployment', APP_NS, APP, 9);
    await sim.clock.advance(5_000); // the batch closed and a claim for the 9th pod is launching
    expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(2);
    await sim.scale('Deployment', APP_NS, APP, 10);
    await sim.clock.advance(5_000); // the 10th pod's batch has closed
    // The 10th pod fits on the t3a.medium that was already on its way.
    expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(2);
    await sim.settle();
    expect(sim.cloud.allInstances()).toHaveLength(2);
    expect(workshopNodes(sim)).toHaveLength(2);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    sim.stop();
  });

  it('shows a refused launch on the NodeClaim, naming the IAM action, and launches once it is fixed', async () => {
    const sim = await labCluster({ replicas: 1 });
    const launch = sim.cloud.create.bind(sim.cloud);
    let denied = true;
    sim.cloud.create = async (claim: NodeClaim) => {
      if (denied) {
        throw new CloudProviderError(
          'AccessDenied',
          'ec2:CreateFleet',
          'the controller role is not allowed "ec2:CreateFleet": add it to the controller policy',
        );
      }
      return launch(claim);
    };
    await sim.scale('Deployment', APP_NS, APP, 9);
    await sim.clock.advance(60_000);
    const claim = sim.api.peekAll(Kinds.NodeClaim).find((c) => !c.status?.providerID);
    const launched = claim?.status?.conditions?.find((c) => c.type === 'Launched');
    expect(launched).toMatchObject({ status: 'False', reason: 'AccessDenied' });
    expect(launched?.message).toMatch(/^ec2:CreateFleet: .*add it to the controller policy/);
    expect(sim.api.peekAll(Kinds.Event).some((e) => e.reason === 'LaunchFailed')).toBe(true);
    denied = false;
    await sim.settle();
    expect(workshopNodes(sim)).toHaveLength(2);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    sim.stop();
  });

  it('falls back to another zone when the cheapest offering has no capacity', async () => {
    const sim = await labCluster({ replicas: 1 });
    const first = workshopNodes(sim)[0];
    const zone = first?.metadata.labels?.['topology.kubernetes.io/zone'] as string;
    sim.cloud.withholdCapacity('on-demand', 't3a.medium', zone);
    await sim.scale('Deployment', APP_NS, APP, 9);
    await sim.settle();
    const zones = workshopNodes(sim).map((n) => n.metadata.labels?.['topology.kubernetes.io/zone']);
    expect(zones).toHaveLength(2);
    expect(zones[1]).not.toBe(zone);
    sim.stop();
  });
});

describe('pods the kube-scheduler does not bind where they were nominated', () => {
  it('are looked at again once the nomination runs out, with no pod event to wake the provisioner', async () => {
    const sim = await labCluster({ replicas: 1 });
    await sim.scale('Deployment', APP_NS, APP, 9);
    await sim.clock.advance(5_000);
    // The 9th pod did not fit: a second node is on its way and the pod is nominated to it.
    expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(2);
    // From here on the kube-scheduler binds nothing, and (as a real one retrying with the same verdict) writes
    // nothing either: no pod event will come.
    const resume = sim.pauseKubeScheduler();
    await sim.clock.advance(60_000);
    const fresh = sim.api
      .peekAll(Kinds.NodeClaim)
      .find((c) => podsOn(sim, c.status?.nodeName ?? '').length === 0);
    const nodeName = fresh?.status?.nodeName as string;
    expect(sim.api.peek(Kinds.Node, nodeName)).toBeDefined();
    // Someone else's pod, bound directly, takes the new node's room before the waiting pod gets there.
    const allocatable = fromResourceList(sim.api.peek(Kinds.Node, nodeName)?.status?.allocatable).cpu ?? 0;
    const used = podsOn(sim, nodeName).reduce((sum, p) => sum + (podRequests(p).cpu ?? 0), 0);
    await sim.api.create(Kinds.Pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'squatter', namespace: 'default' },
      spec: {
        nodeName,
        containers: [{ name: 'c', resources: { requests: { cpu: `${allocatable - used}m` } } }],
      },
      status: { phase: 'Running' },
    });
    await sim.clock.advance(25_000);
    expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(3);
    await resume();
    await sim.settle();
    expect(sim.pods().filter((p) => p.status?.phase !== 'Running')).toHaveLength(0);
    sim.stop();
  });
});

describe('provisioning onto nodes that are still starting', () => {
  const cni = { key: 'example.com/cni-not-ready', effect: 'NoSchedule' as const };

  it('counts a node waiting for its startup taint as capacity on its way, and initializes it once every such taint is gone', async () => {
    const sim = await labCluster({
      replicas: 1,
      editPool: (pool) => {
        pool.spec.template.spec.startupTaints = [cni];
      },
    });
    const agentLifts = async (name: string): Promise<void> => {
      const node = sim.api.peek(Kinds.Node, name);
      const taints = (node?.spec?.taints ?? []).filter((t) => t.key !== cni.key);
      await sim.api.patch(Kinds.Node, name, { spec: { taints } });
    };
    for (const n of workshopNodes(sim)) await agentLifts(nameOf(n));
    await sim.settle();
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);

    await sim.scale('Deployment', APP_NS, APP, 9);
    // The node for the 9th pod registers but keeps its startup taint for a minute: the pod waits on it, and the
    // provisioner, re-run by every Unschedulable update, counts it as the capacity already on its way.
    await sim.clock.advance(60_000);
    const claims = sim.api.peekAll(Kinds.NodeClaim);
    expect(claims).toHaveLength(2);
    const starting = claims.find((c) => !c.status?.conditions?.some((x) => x.type === 'Initialized'));
    expect(starting?.status?.conditions?.find((c) => c.type === 'Registered')?.status).toBe('True');
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(1);

    // A cloud controller's taint is still there when the agent is done: not Initialized until it goes too.
    const nodeName = starting?.status?.nodeName as string;
    const ccm = {
      key: 'node.cloudprovider.kubernetes.io/uninitialized',
      value: 'true',
      effect: 'NoSchedule' as const,
    };
    const taints = sim.api.peek(Kinds.Node, nodeName)?.spec?.taints ?? [];
    await sim.api.patch(Kinds.Node, nodeName, { spec: { taints: [...taints, ccm] } });
    await agentLifts(nodeName);
    await sim.clock.advance(30_000);
    const initialized = (): string | undefined =>
      sim.api
        .peek(Kinds.NodeClaim, starting?.metadata.name as string)
        ?.status?.conditions?.find((c) => c.type === 'Initialized')?.status;
    expect(initialized()).toBeUndefined();
    const rest = (sim.api.peek(Kinds.Node, nodeName)?.spec?.taints ?? []).filter((t) => t.key !== ccm.key);
    await sim.api.patch(Kinds.Node, nodeName, { spec: { taints: rest } });
    await sim.settle();
    expect(initialized()).toBe('True');
    expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(2);
    expect(sim.pods().filter((p) => p.status?.phase !== 'Running')).toHaveLength(0);
    sim.stop();
  });
});

describe('CSI volume attach limits', () => {
  it('launches a node for a pod whose volume the existing node has no attach slot left for', async () => {
    const sim = await labCluster({ replicas: 1 });
    const [first] = workshopNodes(sim);
    const firstName = first?.metadata.name as string;
    // Kept out of consolidation: the question here is only where the databases go.
    await protectFromDisruption(sim, firstName);
    // The EBS driver on the first node can attach one volume.
    await sim.api.create(Kinds.CSINode, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name: firstName },
      spec: { drivers: [{ name: 'ebs.csi.aws.com', allocatable: { count: 1 } }] },
    });
    const nodeOf = (app: string) => sim.pods().find((p) => p.metadata.labels?.app === app)?.spec.nodeName;

    await applyDatabase(sim, 'db-0', { csiDriver: 'ebs.csi.aws.com' });
    expect(nodeOf('db-0')).toBe(firstName);
    expect(workshopNodes(sim)).toHaveLength(1);

    // Plenty of cpu left on the first node, but no attach slot: the second database needs a node of its own.
    await applyDatabase(sim, 'db-1', { csiDriver: 'ebs.csi.aws.com' });
    expect(workshopNodes(sim)).toHaveLength(2);
    expect(nodeOf('db-1')).toBeDefined();
    expect(nodeOf('db-1')).not.toBe(firstName);
    expect(sim.pods().filter((p) => p.status?.phase !== 'Running')).toHaveLength(0);
    // Nor does consolidation move the second database back onto the first node, which has cpu but no slot.
    await sim.clock.advance(10 * 60_000);
    await sim.settle();
    expect(workshopNodes(sim)).toHaveLength(2);
    expect(nodeOf('db-1')).not.toBe(firstName);
    sim.stop();
  });
});
