/**
 * A large, steady cluster for the disruption benchmark: `nodes` initialized nodes launched by one NodePool, each
 * running `podsPerNode` ReplicaSet pods at a seeded-random fraction of its allocatable, so consolidation has real
 * choices to weigh. Objects go straight into the in-memory API server, as if the cluster had been running a while.
 */
import { Labels } from '../../sdk/api/well-known';
import { parseManifests } from '../../sdk/manifests';
import { SimClock } from '../../runtime/clock/sim-clock';
import { defaultCatalog, specLabels, toInstanceType } from '../../runtime/cloudprovider/simulated/catalog';
import { DEFAULT_CAPACITY_SETTINGS } from '../../runtime/scheduling/allocatable';
import { SimulatedCloud } from '../../runtime/cloudprovider/simulated/simulated-cloud';
import { driftAnnotations } from '../../runtime/controllers/disruption/drift';
import { Kinds } from '../../runtime/kube/kinds';
import { MemoryApiServer } from '../../runtime/kube/memory/memory-api-server';
import type { EC2NodeClass, KubeObject, Node, NodeClaim, NodePool, Pod } from '../../runtime/kube/objects';
import { toResourceList } from '../../runtime/scheduling/resources';
import { mulberry32 } from '../../runtime/simulator/prng';

export const POOL = 'bench';
const TYPES = ['m5.xlarge', 'm5.2xlarge', 'c5.2xlarge', 'r5.xlarge'];
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const T0 = '2026-01-01T00:00:00Z';

export interface DisruptionFixture {
  api: MemoryApiServer;
  cloud: SimulatedCloud;
  clock: SimClock;
}

const YAML = `
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: { name: default }
spec:
  amiSelectorTerms: [{ alias: al2023@latest }]
  role: KarpenterNodeRole-bench
  subnetSelectorTerms: [{ tags: { karpenter.sh/discovery: bench } }]
  securityGroupSelectorTerms: [{ tags: { karpenter.sh/discovery: bench } }]
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: { name: ${POOL} }
spec:
  template:
    spec:
      requirements:
        - { key: karpenter.sh/capacity-type, operator: In, values: [on-demand] }
        - { key: node.kubernetes.io/instance-type, operator: In, values: [${TYPES.join(', ')}] }
      nodeClassRef: { group: karpenter.k8s.aws, kind: EC2NodeClass, name: default }
      expireAfter: Never
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 0s
    budgets: [{ nodes: '10%' }]
`;

function condition(type: string) {
  return { type, status: 'True', reason: type, message: '', lastTransitionTime: T0 };
}

export async function disruptionFixture(
  nodes: number,
  podsPerNode: number,
  seed = 42,
): Promise<DisruptionFixture> {
  const clock = new SimClock(Date.parse('2026-01-01T06:00:00Z'));
  const api = new MemoryApiServer({ clock, historyLimit: 100 });
  const cloud = new SimulatedCloud({ api, clock });
  const random = mulberry32(seed);
  const [nodeClass, nodePool] = parseManifests(YAML) as [EC2NodeClass, NodePool];
  await api.create(Kinds.EC2NodeClass, nodeClass);
  await api.create(Kinds.NodePool, nodePool);
  const annotations = driftAnnotations(nodePool, nodeClass);
  const writes: (() => Promise<KubeObject>)[] = [];
  for (let i = 0; i < nodes; i++) {
    const typeName = TYPES[i % TYPES.length] as string;
    const spec = defaultCatalog.specs.find((s) => s.name === typeName);
    if (!spec) throw new Error(`${typeName} missing from the catalog`);
    const it = toInstanceType(spec, defaultCatalog.region, {}, DEFAULT_CAPACITY_SETTINGS);
    const zone = ZONES[i % ZONES.length] as string;
    const name = `ip-10-0-${Math.floor(i / 250)}-${i % 250}.ec2.internal`;
    const providerID = `aws:///${zone}/i-${i.toString(16).padStart(17, '0')}`;
    const labels = {
      ...specLabels(spec, defaultCatalog.region),
      [Labels.zone]: zone,
      [Labels.capacityType]: 'on-demand',
      [Labels.nodePool]: POOL,
      [Labels.hostname]: name,
      'karpenter.sh/registered': 'true',
      'karpenter.sh/initialized': 'true',
    };
    const capacity = toResourceList(it.capacity);
    const allocatable = toResourceList(it.allocatable);
    const claim: NodeClaim = {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: { name: `${POOL}-${i}`, labels, annotations, finalizers: ['karpenter.sh/termination'] },
      spec: {
        requirements: [],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        expireAfter: 'Never',
      },
      status: {
        providerID,
        nodeName: name,
        capacity,
        allocatable,
        conditions: ['Launched', 'Registered', 'Initialized', 'Ready'].map(condition),
      },
    } as NodeClaim;
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels, finalizers: ['karpenter.sh/termination'] },
      spec: { providerID },
      status: { capacity, allocatable, conditions: [condition('Ready')] },
    } as Node;
    writes.push(
      () => api.create(Kinds.NodeClaim, claim),
      () => api.create(Kinds.Node, node),
    );
    // Fill 20–80% of the node's CPU, spread over its pods.
    const share = 0.2 + 0.6 * random();
    const cpuEach = Math.max(10, Math.floor(((it.allocatable.cpu ?? 0) * share) / podsPerNode));
    const memEach = Math.floor(((it.allocatable.memory ?? 0) * share * 0.8) / podsPerNode);
    for (let p = 0; p < podsPerNode; p++) {
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `app-${i}-${p}`,
          namespace: 'default',
          labels: { app: `app-${i % 50}` },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: `app-${i % 50}`,
              uid: `rs-${i % 50}`,
              controller: true,
            },
          ],
        },
        spec: {
          nodeName: name,
          containers: [
            {
              name: 'app',
              image: 'app',
              resources: { requests: { cpu: `${cpuEach}m`, memory: `${memEach}` } },
            },
          ],
        },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      } as Pod;
      writes.push(() => api.create(Kinds.Pod, pod));
    }
  }
  for (const write of writes) await write();
  return { api, cloud, clock };
}
