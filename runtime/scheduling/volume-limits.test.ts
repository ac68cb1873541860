import type { CSINode, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../kube/objects';
import { pod } from './testing';
import { nodeVolumeLimits, podVolumes, useVolumes, volumeLimitExceeded } from './volume-limits';
import { volumeLookup } from './volume-topology';

const EBS = 'ebs.csi.aws.com';
const EFS = 'efs.csi.aws.com';

function pvc(name: string, spec: PersistentVolumeClaim['spec']): PersistentVolumeClaim {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec };
}
function pv(name: string, driver?: string): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: driver ? { csi: { driver, volumeHandle: `vol-${name}` } } : {},
  };
}
function sc(name: string, provisioner: string, isDefault = false): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    provisioner,
  };
}
function csiNode(name: string, drivers: { name: string; count?: number }[]): CSINode {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'CSINode',
    metadata: { name },
    spec: {
      drivers: drivers.map((d) => ({
        name: d.name,
        ...(d.count !== undefined ? { allocatable: { count: d.count } } : {}),
      })),
    },
  };
}
function mounting(name: string, claims: string[], ephemeral: string[] = []): Pod {
  const p = pod(name);
  p.spec.volumes = [
    ...claims.map((claimName, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName } })),
    ...ephemeral.map((storageClassName, i) => ({
      name: `e${i}`,
      ephemeral: { volumeClaimTemplate: { spec: storageClassName ? { storageClassName } : {} } },
    })),
  ];
  return p;
}

const lookup = volumeLookup({
  claims: [
    pvc('bound-ebs', { volumeName: 'pv-ebs' }),
    pvc('bound-ebs-2', { volumeName: 'pv-ebs-2' }),
    pvc('bound-intree', { volumeName: 'pv-intree' }),
    pvc('pending-efs', { storageClassName: 'efs' }),
    pvc('pending-default', {}),
    pvc('no-class', { storageClassName: '' }),
  ],
  volumes: [pv('pv-ebs', EBS), pv('pv-ebs-2', EBS), pv('pv-intree')],
  storageClasses: [sc('gp3', EBS, true), sc('efs', EFS)],
});

const asObject = (m: Map<string, Set<string>>) =>
  Object.fromEntries([...m].map(([driver, ids]) => [driver, [...ids].sort()]));

describe('podVolumes', () => {
  it('counts bound claims as their PersistentVolume, unbound ones and ephemeral volumes as claims, by driver', () => {
    const p = mounting(
      'db-0',
      ['bound-ebs', 'bound-intree', 'pending-efs', 'pending-default', 'no-class', 'missing'],
      ['', 'efs'],
    );
    expect(asObject(podVolumes(p, lookup))).toEqual({
      [EBS]: ['pv/pv-ebs', 'pvc/default/db-0-e0', 'pvc/default/pending-default'],
      [EFS]: ['pvc/default/db-0-e1', 'pvc/default/pending-efs'],
    });
  });
});

describe('nodeVolumeLimits', () => {
  it('reads counts from CSINode and the volumes the node’s pods use; nodes without counts are unlimited', () => {
    const limits = nodeVolumeLimits(
      [csiNode('n1', [{ name: EBS, count: 2 }, { name: EFS }]), csiNode('n2', [{ name: EFS }])],
      [
        // Two pods sharing one volume use one attach slot.
        { name: 'n1', pods: [mounting('a', ['bound-ebs']), mounting('b', ['bound-ebs'])] },
        { name: 'n2', pods: [mounting('c', ['bound-ebs-2'])] },
        { name: 'n3' },
      ],
      lookup,
    );
    expect([...limits.keys()]).toEqual(['n1']);
    expect(limits.get('n1')?.limits).toEqual(new Map([[EBS, 2]]));
    expect(asObject(limits.get('n1')?.inUse ?? new Map())).toEqual({ [EBS]: ['pv/pv-ebs'] });
  });
});

describe('volumeLimitExceeded', () => {
  const node = { limits: new Map([[EBS, 2]]), inUse: new Map([[EBS, new Set(['pv/pv-ebs'])]]) };

  it('lets a pod in while the driver has slots, counting volumes already attached once', () => {
    expect(volumeLimitExceeded(podVolumes(mounting('p', ['bound-ebs', 'bound-ebs-2']), lookup), node)).toBe(
      undefined,
    );
    // Another driver without a limit on this node is not counted.
    expect(volumeLimitExceeded(podVolumes(mounting('q', ['pending-efs']), lookup), node)).toBeUndefined();
  });

  it('refuses a pod once the slots are used, saying how many', () => {
    const inUse = new Map([[EBS, new Set(['pv/pv-ebs'])]]);
    useVolumes(inUse, podVolumes(mounting('p', ['bound-ebs-2']), lookup));
    expect(
      volumeLimitExceeded(podVolumes(mounting('r', ['pending-default']), lookup), { ...node, inUse }),
    ).toBe(`${EBS} can attach 2 volume(s), 2 in use, the pod needs 1 more`);
  });
});
