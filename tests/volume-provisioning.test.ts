/**
 * Volume topology end to end on the embedded simulator: the provisioner reads the claims, volumes and storage
 * classes a pending pod refers to and launches its node where the volume lives.
 */
import { Labels } from '../sdk/api/well-known';
import { loadLabManifests } from '../runtime/lab/seed-lab';
import type { Deployment, KubeObject, Pod } from '../runtime/kube/objects';
import { Simulation } from '../runtime/simulator/simulation';

const NS = 'storage-app';

/** The lab's node class and NodePool, and one deployment of a pod too big to share a node, mounting `claim`. */
async function clusterWithVolumePod(storage: KubeObject[], claim: string): Promise<Simulation> {
  const manifests = loadLabManifests();
  const app = structuredClone(manifests.app[0]) as Deployment;
  app.metadata = { ...app.metadata, name: 'db', namespace: NS };
  app.spec.replicas = 1;
  const template = app.spec.template.spec;
  const requests = template.containers[0]?.resources?.requests;
  if (requests) requests.cpu = '1500m';
  template.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: claim } }];
  const sim = new Simulation();
  await sim.start();
  await sim.apply([
    ...manifests.nodeClass,
    ...manifests.nodePool,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    ...storage,
    app,
  ]);
  await sim.settle();
  return sim;
}

const pvc = (name: string, spec: Record<string, string>): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec,
  }) as KubeObject;

function zoneOfPod(sim: Simulation, pod: Pod | undefined): string | undefined {
  const node = sim.nodes().find((n) => n.metadata.name === pod?.spec.nodeName);
  return node?.metadata.labels?.[Labels.zone];
}

describe('volume topology through the provisioner', () => {
  it.each(['us-east-1b', 'us-east-1c'])(
    'a pod whose claim is bound to a volume in %s runs there',
    async (zone) => {
      const sim = await clusterWithVolumePod(
        [
          pvc('data', { volumeName: 'pv-data' }),
          {
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: 'pv-data' },
            spec: {
              nodeAffinity: {
                required: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: Labels.zone, operator: 'In', values: [zone] }] },
                  ],
                },
              },
            },
          } as KubeObject,
        ],
        'data',
      );
      const pod = sim.pods().find((p) => p.metadata.namespace === NS);
      expect(pod?.spec.nodeName).toBeDefined();
      expect(zoneOfPod(sim, pod)).toBe(zone);
      sim.stop();
    },
  );

  it('a WaitForFirstConsumer class’s allowedTopologies choose the zone of an unbound claim', async () => {
    const sim = await clusterWithVolumePod(
      [
        pvc('data', { storageClassName: 'gp3-c' }),
        {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: { name: 'gp3-c' },
          provisioner: 'ebs.csi.aws.com',
          volumeBindingMode: 'WaitForFirstConsumer',
          allowedTopologies: [{ matchLabelExpressions: [{ key: Labels.zone, values: ['us-east-1c'] }] }],
        } as KubeObject,
      ],
      'data',
    );
    const pod = sim.pods().find((p) => p.metadata.namespace === NS);
    expect(zoneOfPod(sim, pod)).toBe('us-east-1c');
    sim.stop();
  });
});
