/**
 * EFA on the embedded simulator: pods requesting vpc.amazonaws.com/efa land only on types with EFA devices, one
 * device per pod, and only the nodes launched for them report the devices. The bundled catalog records no EFA
 * devices (its data has no EfaInfo), so the test gives g5.8xlarge its one (EC2's MaximumEfaInterfaces for it).
 */
import { ExtendedResources, Labels } from '../sdk/api/well-known';
import { defaultCatalog, type Catalog } from '../runtime/cloudprovider/simulated/catalog';
import { Kinds } from '../runtime/kube/kinds';
import type { NodePool } from '../runtime/kube/objects';
import { APP_NS, applySiblingDeployment, labCluster } from './support/cluster';

const EFA = ExtendedResources.efa;
const EFA_TYPE = 'g5.8xlarge';

const catalogWithEfa: Catalog = {
  ...defaultCatalog,
  specs: defaultCatalog.specs.map((s) => (s.name === EFA_TYPE ? { ...s, maxEfaInterfaces: 1 } : s)),
};

const withEfaType = (pool: NodePool) => {
  const types = pool.spec.template.spec.requirements.find((r) => r.key === Labels.instanceType);
  if (types) types.values = ['t3a.medium', EFA_TYPE];
};

/** A one-container Deployment like the lab app, each pod also requesting `extra` (requests and limits). */
async function appRequesting(
  sim: Awaited<ReturnType<typeof labCluster>>,
  name: string,
  replicas: number,
  extra: Record<string, string>,
) {
  await applySiblingDeployment(sim, name, replicas, '200m', (d) => {
    const container = d.spec.template.spec.containers[0];
    if (container?.resources) {
      container.resources.requests = { ...container.resources.requests, ...extra };
      container.resources.limits = { ...container.resources.limits, ...extra };
    }
  });
  await sim.settle();
}

const nodeOf = (sim: Awaited<ReturnType<typeof labCluster>>, name: string | undefined) =>
  sim.nodes().find((n) => n.metadata.name === name);

describe('EFA devices (vpc.amazonaws.com/efa)', () => {
  it('puts each pod requesting one on its own node of a type with one; only nodes launched for EFA report it', async () => {
    const sim = await labCluster({ replicas: 1, catalog: catalogWithEfa, editPool: withEfaType });
    // A GPU pod needs the EFA type too, but requests no EFA: its node launches without the device.
    await appRequesting(sim, 'gpu-app', 1, { 'nvidia.com/gpu': '1' });
    const [gpuPod] = sim.pods().filter((p) => p.metadata.labels?.app === 'gpu-app');
    const gpuNode = nodeOf(sim, gpuPod?.spec.nodeName);
    expect(gpuNode?.metadata.labels?.[Labels.instanceType]).toBe(EFA_TYPE);
    expect(gpuNode?.status?.capacity).not.toHaveProperty(EFA);
    expect(gpuNode?.status?.allocatable).not.toHaveProperty(EFA);

    await appRequesting(sim, 'efa-app', 2, { [EFA]: '1' });
    const efaPods = sim.pods().filter((p) => p.metadata.labels?.app === 'efa-app');
    expect(efaPods).toHaveLength(2);
    expect(efaPods.every((p) => p.spec.nodeName)).toBe(true);
    const efaNodes = new Set(efaPods.map((p) => p.spec.nodeName));
    // One device each: the two pods cannot share a node.
    expect(efaNodes.size).toBe(2);
    for (const name of efaNodes) {
      const node = nodeOf(sim, name);
      expect(node?.metadata.labels?.[Labels.instanceType]).toBe(EFA_TYPE);
      expect(node?.status?.allocatable?.[EFA]).toBe('1');
    }
    // Their claims asked for the device, so their launches attached it.
    const claims = sim.api.peekAll(Kinds.NodeClaim).filter((c) => efaNodes.has(c.status?.nodeName));
    expect(claims.map((c) => c.spec.resources?.requests?.[EFA])).toEqual(['1', '1']);
  });

  it('leaves a pod requesting EFA pending, saying why, when no type the pool allows has EFA devices', async () => {
    const sim = await labCluster({ replicas: 1, editPool: withEfaType });
    await appRequesting(sim, 'efa-app', 1, { [EFA]: '1' });
    const pending = sim.pods().filter((p) => p.metadata.labels?.app === 'efa-app' && !p.spec.nodeName);
    expect(pending).toHaveLength(1);
    const reasons = sim.api
      .peekAll(Kinds.Event)
      .filter((e) => e.reason === 'FailedScheduling' && e.involvedObject.namespace === APP_NS)
      .map((e) => e.message);
    expect(reasons.some((m) => m.includes(EFA))).toBe(true);
    expect(sim.nodes().filter((n) => n.metadata.labels?.[Labels.instanceType] === EFA_TYPE)).toEqual([]);
  });
});
