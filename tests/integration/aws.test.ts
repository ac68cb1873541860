/**
 * The production Operator with the AWS cloud provider, pointed at moto (the AWS emulator), on the real control
 * plane: CreateFleet launches an instance in moto, a registrar (support/registrar.ts) plays its kubelet and
 * registers it as a kwok Node, the real kube-scheduler binds the pods; scaled to 0, emptiness terminates the
 * instance in moto and the Node and NodeClaim go. Names are this run's own, so nothing else in the cluster is
 * touched.
 */
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { OwnershipTags, Taints } from '../../sdk/api/well-known';
import {
  createAwsCloudProvider,
  DEFAULT_KUBERNETES_VERSION,
  type AwsCloudProvider,
} from '../../runtime/cloudprovider/aws';
import { destroyAwsClients } from '../../runtime/cloudprovider/aws/clients';
import { instanceIdOf } from '../../runtime/cloudprovider/aws/instances';
import type { ClientNodeApi } from '../../runtime/kube/client-node';
import { hasCondition } from '../../runtime/kube/conditions';
import { Kinds } from '../../runtime/kube/kinds';
import { nameOf, type EC2NodeClass, type Node, type NodeClaim, type Pod } from '../../runtime/kube/objects';
import { createLogger } from '../../runtime/logging';
import { Operator } from '../../runtime/operator';
import {
  MOTO_REGION,
  describeWithMoto,
  motoClientConfig,
  seedMotoForKarpenter,
  startMoto,
  type MotoServer,
} from '../support/moto';
import { DisposableClock } from './support/clock';
import { POOL_LABEL, runDeployment, runNodeClass, runNodePool } from './support/workload';
import { clusterApi, describeWithCluster, installCrds, waitFor } from './support/kube';
import { InstanceRegistrar, REGISTRAR_LABEL } from './support/registrar';

/** Also the cluster name: the discovery tags, the instances' ownership tag. */
const RUN = `aws${Date.now().toString(36)}`;
const NS = RUN;
const APP = 'inflate';
const ROLE = `KarpenterNodeRole-${RUN}`;

const describeAws = describeWithMoto('[integration] the AWS provider end-to-end test', describeWithCluster);

let moto: MotoServer;
let ec2: EC2Client;
let api: ClientNodeApi;
let provider: AwsCloudProvider;
let operator: Operator;
let clock: DisposableClock;
let registrar: InstanceRegistrar;
const registrarErrors: unknown[] = [];

/** The lab's node class, discovering this run's seeded subnets and security group. */
function nodeClass(): EC2NodeClass {
  const nc = runNodeClass(RUN);
  nc.spec.role = ROLE;
  nc.spec.subnetSelectorTerms = [{ tags: { 'karpenter.sh/discovery': RUN } }];
  nc.spec.securityGroupSelectorTerms = [{ tags: { 'karpenter.sh/discovery': RUN } }];
  return nc;
}

async function claims(): Promise<NodeClaim[]> {
  const { items } = await api.list(Kinds.NodeClaim, { labelSelector: `karpenter.sh/nodepool=${RUN}` });
  return items;
}

/** The Nodes the registrar made for this run's instances. */
async function nodes(): Promise<Node[]> {
  const { items } = await api.list(Kinds.Node, { labelSelector: `${REGISTRAR_LABEL}=${RUN}` });
  return items;
}

async function instance(id: string): Promise<Instance | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0];
}

describeAws('the operator with the AWS provider on moto, on a real control plane', () => {
  beforeAll(async () => {
    moto = await startMoto();
    // The provider reads the AMI alias parameters of this minor version.
    await seedMotoForKarpenter(moto.endpoint, {
      clusterName: RUN,
      nodeRoleName: ROLE,
      k8sVersion: DEFAULT_KUBERNETES_VERSION,
    });
    ec2 = new EC2Client(motoClientConfig(moto.endpoint));
    api = clusterApi();
    await installCrds(api);
    await api.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await api.create(Kinds.EC2NodeClass, nodeClass());
    await api.create(Kinds.NodePool, runNodePool(RUN));
    clock = new DisposableClock();
    const logger = createLogger(process.env.IT_LOG_LEVEL ?? 'error');
    provider = await createAwsCloudProvider({
      api,
      clock,
      logger,
      clusterName: RUN,
      clusterEndpoint: 'https://127.0.0.1:6443',
      region: MOTO_REGION,
      endpoint: moto.endpoint,
      kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    });
    registrar = new InstanceRegistrar({
      api,
      ec2,
      clusterName: RUN,
      region: MOTO_REGION,
      // The kubelet reports what the node class's kubelet settings leave of the type: the provider's promise.
      resourcesOf: async (type) => {
        const pool = await api.get(Kinds.NodePool, RUN);
        const it = pool && (await provider.getInstanceTypes(pool)).find((t) => t.name === type);
        return it && { capacity: it.capacity, allocatable: it.allocatable };
      },
      onError: (err) => registrarErrors.push(err),
    });
    registrar.start();
    operator = new Operator({
      api,
      cloud: provider,
      clock,
      logger,
      settings: { batchIdleMs: 1000, batchMaxMs: 5000 },
    });
    await operator.start();
  }, 120_000);

  afterAll(async () => {
    if (registrarErrors.length)
      console.warn(`[integration] registrar poll errors: ${registrarErrors.map(String).join('; ')}`);
    if (operator) {
      // Let the running operator (and the registrar) remove what was launched, so no finalizer is left behind.
      await api.delete(Kinds.Deployment, APP, NS).catch(() => undefined);
      await api.delete(Kinds.NodePool, RUN).catch(() => undefined);
      for (const claim of await claims()) {
        await api.delete(Kinds.NodeClaim, nameOf(claim)).catch(() => undefined);
      }
      await waitFor(
        'the test NodeClaims to be gone',
        async () => (await claims()).length === 0,
        60_000,
      ).catch((err: unknown) => console.warn(String(err)));
      operator.stop();
    }
    await registrar?.stop();
    for (const node of (await nodes().catch(() => [])) ?? []) {
      await api.delete(Kinds.Node, nameOf(node)).catch(() => undefined);
    }
    clock?.dispose();
    await api?.delete(Kinds.EC2NodeClass, RUN).catch(() => undefined);
    await api?.delete(Kinds.Namespace, NS).catch(() => undefined);
    if (provider) destroyAwsClients(provider.clients);
    ec2?.destroy();
    await moto?.stop();
  }, 120_000);

  let claimed: NodeClaim;
  let instanceId: string;

  it('launches pending pods through CreateFleet on moto; the registered Node is initialized and the pods bound', async () => {
    await api.create(Kinds.Deployment, runDeployment(RUN, NS, APP, 2));
    const pods = await waitFor(
      '2 running, bound pods',
      async () => {
        const { items } = await api.list(Kinds.Pod, { namespace: NS, labelSelector: `app=${APP}` });
        const live = items.filter((p: Pod) => !p.metadata.deletionTimestamp);
        const ok = live.length === 2 && live.every((p) => p.spec.nodeName && p.status?.phase === 'Running');
        return ok && live;
      },
      90_000,
    );
    const launched = await waitFor(
      'the NodeClaim initialized',
      async () => {
        const all = await claims();
        return all.every((c) => hasCondition(c, 'Initialized')) && all;
      },
      30_000,
    );
    // Two 700m pods fit one t3a.medium: one claim.
    expect(launched).toHaveLength(1);
    claimed = launched[0] as NodeClaim;
    expect(hasCondition(claimed, 'Launched') && hasCondition(claimed, 'Registered')).toBe(true);
    expect(claimed.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('t3a.medium');
    const providerID = claimed.status?.providerID as string;
    expect(providerID).toMatch(/^aws:\/\/\/us-east-1[ab]\/i-[0-9a-f]+$/);

    // The instance exists in moto, running, tagged for the cluster, the pool and the claim.
    instanceId = instanceIdOf(providerID) as string;
    const ec2Instance = await instance(instanceId);
    expect(ec2Instance?.State?.Name).toBe('running');
    expect(ec2Instance?.InstanceType).toBe('t3a.medium');
    const tags = Object.fromEntries((ec2Instance?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      [OwnershipTags.cluster(RUN)]: 'owned',
      [OwnershipTags.nodePool]: RUN,
      [OwnershipTags.nodeClaim]: claimed.metadata.name,
    });

    // The kubelet configuration registers with the unregistered taint, as the registrar's Node does.
    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: `tag:${OwnershipTags.nodePool}`, Values: [RUN] }],
      }),
    );
    const version = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateName: templates.LaunchTemplates?.[0]?.LaunchTemplateName as string,
        Versions: ['$Latest'],
      }),
    );
    const userData = Buffer.from(
      version.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData ?? '',
      'base64',
    );
    expect(userData.toString('utf8')).toContain(`${Taints.unregistered.key}:${Taints.unregistered.effect}`);

    // One Node for it, registered by the registrar, then labelled and untainted by the lifecycle.
    const ours = await nodes();
    expect(ours).toHaveLength(1);
    const node = ours[0] as Node;
    expect(node.spec?.providerID).toBe(providerID);
    // Named like an EKS node, after the instance's private DNS name; the claim records it.
    expect(node.metadata.name).toBe(ec2Instance?.PrivateDnsName || instanceId);
    expect(claimed.status?.nodeName).toBe(node.metadata.name);
    expect(node.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': node.metadata.name,
      'topology.kubernetes.io/zone': ec2Instance?.Placement?.AvailabilityZone,
      'karpenter.sh/nodepool': RUN,
      'karpenter.sh/registered': 'true',
      'karpenter.sh/initialized': 'true',
      [POOL_LABEL]: RUN,
    });
    expect(node.spec?.taints ?? []).not.toContainEqual(
      expect.objectContaining({ key: Taints.unregistered.key }),
    );
    // 2 vCPU − 70m kubeReserved − 150m systemReserved (the lab node class).
    expect(node.status?.allocatable?.cpu).toBe('1780m');
    expect(node.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'True' }),
    );

    // The real kube-scheduler bound both pods to it.
    for (const pod of pods) {
      expect(pod.spec.nodeName).toBe(node.metadata.name);
      expect(pod.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'PodScheduled', status: 'True' }),
      );
    }
  }, 150_000);

  it('scaled to 0, terminates the empty instance in moto and removes its Node and NodeClaim', async () => {
    expect(instanceId).toBeDefined();
    await api.patch(Kinds.Deployment, APP, { spec: { replicas: 0 } }, NS);
    await waitFor(
      'the NodeClaim and the Node to be gone',
      async () => (await claims()).length === 0 && (await nodes()).length === 0,
      120_000,
    );
    const state = (await instance(instanceId))?.State?.Name;
    expect(['shutting-down', 'terminated']).toContain(state);
    // Emptiness did it (not garbage collection or the test's cleanup).
    const { items: events } = await api.list(Kinds.Event, { namespace: 'default' });
    const disrupting = events.filter(
      (e) => e.reason === 'DisruptionTerminating' && e.involvedObject?.name === claimed.metadata.name,
    );
    expect(disrupting.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^Disrupting NodeClaim: Empty/),
    );
  }, 150_000);
});
