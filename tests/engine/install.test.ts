/**
 * KarpenterInstall's cluster half under the real engine, its AWS resources given (`existingAws`: no AWS plugin is
 * needed, none can be had here), on a cluster of its own (the install creates the CRDs itself):
 * - `pulumi up` creates the CRDs, RBAC, the controller Deployment (kwok runs its pods on two fake nodes), PDB,
 *   Service and the NodePools / EC2NodeClasses: install-created, factory-built and built outside on
 *   `objectDependencies`; watching the API server proves every pool is written after the CRDs and after the
 *   Deployment is available;
 * - the drift preview: NodeClaims made on the cluster as the controller would have launched them, the pool's
 *   requirements edited, `pulumi preview` prints the nodes that would be replaced and the budget rounds;
 * - `pulumi destroy` deletes every pool before the Deployment and the CRDs start going.
 */
import { execFileSync } from 'node:child_process';
import { KubeConfig } from '@kubernetes/client-node';
import { driftAnnotations } from '../../runtime/controllers/disruption/drift';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from '../../runtime/cloudprovider/kwok/kwok-node';
import { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds, type ResourceKind } from '../../runtime/kube/kinds';
import type { KubeObject, Node, NodeClaim } from '../../runtime/kube/objects';
import { ec2NodeClassSchema } from '../../sdk/api/ec2nodeclass';
import { nodePoolSchema } from '../../sdk/api/nodepool';
import { CLUSTER_DOWN, CLUSTER_UP } from '../integration/support/control-plane';
import { waitFor } from '../integration/support/kube';
import { describeWithEngine } from './support/describe';
import { PROGRAM_HEADER, PulumiProject } from './support/project';
import { Timeline } from './support/timeline';

jest.setTimeout(1_200_000);

const CLUSTER = process.env.KARPENTER_TS_ENGINE_INSTALL_CLUSTER ?? 'karpenter-ts-engine-install';
const INSTANCE = 'kts';
const POOLS = ['workshop', 'web', 'outside'];
const CLASSES = ['default', 'mine'];
const CRDS = ['nodepools.karpenter.sh', 'nodeclaims.karpenter.sh', 'ec2nodeclasses.karpenter.k8s.aws'];

const classSpec = {
  role: 'infra-managed-node-role',
  amiSelectorTerms: [{ alias: 'al2023@latest' }],
  subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'engine' } }],
  securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'engine' } }],
};

function poolSpec(nodeClass: string, instanceType: string) {
  return {
    template: {
      spec: {
        requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: [instanceType] }],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: nodeClass },
      },
    },
    limits: { cpu: '100' },
    disruption: { budgets: [{ nodes: '1' }] },
  };
}

const j = (v: unknown) => JSON.stringify(v);

function program(workshopType: string): string {
  return `${PROGRAM_HEADER}
import { KarpenterInstall } from 'karpenter-ts/provider';
import { EC2NodeClass, NodePool } from 'karpenter-ts/pulumi';

const install = new KarpenterInstall('${INSTANCE}', {
  clusterName: 'engine',
  clusterEndpoint: 'https://127.0.0.1:6443',
  kubernetesProvider: provider,
  kubeconfig,
  image: 'example.com/karpenter-ts:engine-test',
  existingAws: {
    nodeRoleName: 'infra-managed-node-role',
    controllerRoleArn: 'arn:aws:iam::123456789012:role/infra-managed-controller',
    interruptionQueueName: 'infra-managed-queue',
    region: 'us-east-1',
    accountId: '123456789012',
  },
  nodeClasses: {
    default: { spec: ${j(classSpec)} },
    mine: (opts) => new EC2NodeClass('my-class', { metadata: { name: 'mine' }, spec: ${j(classSpec)} }, opts),
  },
  nodePools: {
    workshop: { spec: ${j(poolSpec('default', workshopType))} },
    web: (opts) => new NodePool('my-web', { metadata: { name: 'web' }, spec: ${j(poolSpec('mine', 't3a.large'))} }, opts),
  },
});

new NodePool('outside', { metadata: { name: 'outside' }, spec: ${j(poolSpec('default', 'm5.large'))} },
  { provider, dependsOn: install.objectDependencies });

export const drift = install.driftPreview;
`;
}

/** A fake node kwok marks Ready and runs pods on: the controller's pods need two (one per hostname). */
function kwokNode(name: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'topology.kubernetes.io/zone': 'us-east-1a',
      },
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE },
    },
    spec: {},
    status: {
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
    },
  };
}

/** A NodeClaim as the controller would have launched it from the deployed workshop pool, with its node. */
function launchedClaim(name: string): NodeClaim {
  const pool = nodePoolSchema.parse({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'workshop' },
    spec: poolSpec('default', 't3a.medium'),
  });
  const nodeClass = ec2NodeClassSchema.parse({
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: 'default' },
    spec: classSpec,
  });
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name,
      labels: { 'karpenter.sh/nodepool': 'workshop', 'node.kubernetes.io/instance-type': 't3a.medium' },
      annotations: driftAnnotations(pool, nodeClass),
    },
    spec: {
      requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['t3a.medium'] }],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      expireAfter: '720h',
    },
    status: { nodeName: `ip-10-0-0-${name}.ec2.internal`, providerID: `aws:///us-east-1a/i-${name}` },
  };
}

const kind = (group: string, k: string, plural: string, namespaced: boolean): ResourceKind<KubeObject> => ({
  group,
  version: 'v1',
  kind: k,
  plural,
  namespaced,
});
const CRD = kind('apiextensions.k8s.io', 'CustomResourceDefinition', 'customresourcedefinitions', false);
const CLUSTER_ROLE = kind('rbac.authorization.k8s.io', 'ClusterRole', 'clusterroles', false);
const ROLE = kind('rbac.authorization.k8s.io', 'Role', 'roles', true);

describeWithEngine('KarpenterInstall under pulumi, AWS resources given', () => {
  let kubeconfigFile: string;
  let api: ClientNodeApi;
  let project: PulumiProject;
  const timeline = () => new Timeline(api);
  const deploymentName = async () => {
    const { items } = await api.list(Kinds.Deployment, {
      labelSelector: `app.kubernetes.io/instance=${INSTANCE}`,
    });
    return items[0]?.metadata.name ?? '';
  };

  beforeAll(async () => {
    // A fresh cluster: one kept from an earlier run holds objects no stack of this run knows.
    execFileSync(CLUSTER_DOWN, {
      env: { ...process.env, KARPENTER_TS_CLUSTER: CLUSTER },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    kubeconfigFile = execFileSync(CLUSTER_UP, {
      env: { ...process.env, KARPENTER_TS_CLUSTER: CLUSTER },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigFile);
    api = new ClientNodeApi(kc);
    for (const n of ['system-a', 'system-b']) {
      if (!(await api.get(Kinds.Node, n))) await api.create(Kinds.Node, kwokNode(n));
    }
    project = new PulumiProject('install', { KUBECONFIG: kubeconfigFile });
    await project.init();
  });

  afterAll(() => {
    if (process.env.KARPENTER_TS_KEEP_ENGINE === '1' || !kubeconfigFile) return;
    execFileSync(CLUSTER_DOWN, {
      env: { ...process.env, KARPENTER_TS_CLUSTER: CLUSTER },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  });

  it('pulumi up creates the CRDs, RBAC, controller, PDB, Service, then every pool and class', async () => {
    const seen = timeline();
    const start = (await api.list(CRD)).resourceVersion;
    await seen.watch(CRD, start);
    await seen.watch(Kinds.Deployment, (await api.list(Kinds.Deployment)).resourceVersion);
    // The pools' kinds are served only once the up has created their CRDs; "0" replays what exists then.
    const served = (k: ResourceKind<KubeObject>) =>
      waitFor(`${k.kind} to be served`, () => seen.watch(k, '0').then(() => true), 600_000, 200);
    const poolWatch = Promise.all([served(Kinds.NodePool), served(Kinds.EC2NodeClass)]);
    project.program(program('t3a.medium'));
    const up = await project.run(['up', '--yes', '--skip-preview']);
    await poolWatch;
    await waitFor(
      'every pool and class seen',
      () => seen.events.length > 0 && POOLS.every((p) => seen.of('NodePool', p).length > 0),
      10_000,
    );
    seen.stop();
    expect(up.output).not.toMatch(/^error:/m);
    expect(up.code).toBe(0);

    const selector = { labelSelector: `app.kubernetes.io/instance=${INSTANCE}` };
    expect((await api.list(CLUSTER_ROLE, selector)).items).toHaveLength(1);
    expect((await api.list(ROLE, selector)).items.map((r) => r.metadata.namespace).sort()).toEqual([
      'karpenter',
      'kube-system',
    ]);
    expect((await api.list(Kinds.PodDisruptionBudget, selector)).items).toHaveLength(1);
    expect((await api.list(Kinds.Service, selector)).items).toHaveLength(1);
    const deployment = await api.get(Kinds.Deployment, await deploymentName(), 'karpenter');
    expect(deployment?.status?.readyReplicas).toBe(2);
    expect((await api.list(Kinds.NodePool)).items.map((p) => p.metadata.name).sort()).toEqual(
      [...POOLS].sort(),
    );

    const crdsCreated = Math.max(...CRDS.map((c) => seen.created('CustomResourceDefinition', c)));
    const controllerAvailable = seen.first(
      'Deployment',
      await deploymentName(),
      (o) => ((o as { status?: { availableReplicas?: number } }).status?.availableReplicas ?? 0) >= 2,
    );
    for (const name of CLASSES) {
      expect(seen.created('EC2NodeClass', name)).toBeGreaterThan(Math.max(crdsCreated, controllerAvailable));
    }
    for (const name of POOLS) {
      const created = seen.created('NodePool', name);
      expect({
        name,
        afterCrds: created > crdsCreated,
        afterController: created > controllerAvailable,
      }).toEqual({
        name,
        afterCrds: true,
        afterController: true,
      });
    }
  });

  it('pulumi preview prints the nodes a requirements change replaces and the budget rounds', async () => {
    for (const n of ['a', 'b', 'c']) {
      const claim = launchedClaim(n);
      const created = await api.create(Kinds.NodeClaim, { ...claim, status: undefined } as NodeClaim);
      await api.updateStatus(Kinds.NodeClaim, { ...created, status: claim.status } as NodeClaim);
    }
    // Unchanged program: the claims do not drift.
    const same = await project.ok(['preview']);
    expect(same.output).toMatch(/drift preview: NodePool workshop: none of its 3 nodes drift/);

    project.program(program('m5.xlarge'));
    const preview = await project.ok(['preview']);
    expect(preview.output).toMatch(
      /drift preview: NodePool workshop: 3 of 3 nodes drift: ip-10-0-0-a\.ec2\.internal \(RequirementsDrifted\), ip-10-0-0-b\.ec2\.internal \(RequirementsDrifted\), ip-10-0-0-c\.ec2\.internal \(RequirementsDrifted\); 3 disruption rounds at 1 node per round/,
    );
    expect(preview.output).toMatch(/drift preview: NodePool web: none of its 0 nodes drift/);
    console.log(`pulumi preview output (${preview.logFile}):\n${preview.output}`);
    for (const n of ['a', 'b', 'c']) await api.delete(Kinds.NodeClaim, n);
    project.program(program('t3a.medium'));
  });

  it('pulumi destroy deletes every pool and class before the controller and the CRDs start going', async () => {
    const seen = timeline();
    const deployment = await deploymentName();
    await seen.watch(CRD, (await api.list(CRD)).resourceVersion);
    await seen.watch(Kinds.Deployment, (await api.list(Kinds.Deployment)).resourceVersion);
    await seen.watch(Kinds.NodePool, (await api.list(Kinds.NodePool)).resourceVersion);
    await seen.watch(Kinds.EC2NodeClass, (await api.list(Kinds.EC2NodeClass)).resourceVersion);
    const destroy = await project.run(['destroy', '--yes', '--skip-preview']);
    seen.stop();
    expect(destroy.code).toBe(0);

    const controllerGoing = seen.deletionStarted('Deployment', deployment);
    const crdsGoing = Math.min(...CRDS.map((c) => seen.deletionStarted('CustomResourceDefinition', c)));
    for (const [k, names] of [
      ['NodePool', POOLS],
      ['EC2NodeClass', CLASSES],
    ] as const) {
      for (const name of names) {
        const gone = seen.of(k, name).find((e) => e.type === 'DELETED')?.rv ?? Infinity;
        expect({ name, beforeController: gone < controllerGoing, beforeCrds: gone < crdsGoing }).toEqual({
          name,
          beforeController: true,
          beforeCrds: true,
        });
      }
    }
    expect(await api.get(CRD, 'nodepools.karpenter.sh')).toBeUndefined();
  });
});
