/**
 * Volume topology: the node requirements a pod's PersistentVolumeClaims impose, or why it must wait.
 */
import { Labels } from '../../sdk/api/well-known';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass, Volume } from '../kube/objects';
import { pod } from './testing';
import { DEFAULT_STORAGE_CLASS_ANNOTATION, podVolumeTopology, volumeLookup } from './volume-topology';

function pvc(name: string, spec: PersistentVolumeClaim['spec']): PersistentVolumeClaim {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec };
}

function pv(name: string, zones?: string[]): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: zones
      ? {
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: Labels.zone, operator: 'In', values: zones }] },
                // A second term is ignored, as Karpenter does.
                { matchExpressions: [{ key: Labels.zone, operator: 'In', values: ['ignored'] }] },
              ],
            },
          },
        }
      : {},
  };
}

function storageClass(name: string, mode: StorageClass['volumeBindingMode'], zones?: string[]): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'ebs.csi.aws.com',
    volumeBindingMode: mode,
    ...(zones
      ? { allowedTopologies: [{ matchLabelExpressions: [{ key: Labels.zone, values: zones }] }] }
      : {}),
  };
}

function withVolumes(volumes: Volume[]): Pod {
  const p = pod('p');
  p.spec.volumes = volumes;
  return p;
}

const claimVolume = (claimName: string): Volume => ({ name: 'data', persistentVolumeClaim: { claimName } });

const lookup = volumeLookup({
  claims: [
    pvc('bound', { volumeName: 'pv-b' }),
    pvc('bound-anywhere', { volumeName: 'pv-any' }),
    pvc('bound-missing', { volumeName: 'pv-gone' }),
    pvc('wait', { storageClassName: 'wait-c' }),
    pvc('wait-open', { storageClassName: 'wait-any' }),
    pvc('immediate', { storageClassName: 'immediate' }),
    pvc('no-class', {}),
    pvc('class-missing', { storageClassName: 'gone' }),
  ],
  volumes: [pv('pv-b', ['us-east-1b']), pv('pv-any')],
  storageClasses: [
    storageClass('wait-c', 'WaitForFirstConsumer', ['us-east-1c']),
    storageClass('wait-any', 'WaitForFirstConsumer'),
    storageClass('immediate', 'Immediate', ['us-east-1a']),
  ],
});

describe('podVolumeTopology', () => {
  const cases: { name: string; volumes: Volume[]; expected: string[] | { reason: string } }[] = [
    { name: 'no volumes', volumes: [], expected: [] },
    {
      name: 'a bound zonal volume',
      volumes: [claimVolume('bound')],
      expected: [`${Labels.zone} In [us-east-1b]`],
    },
    { name: 'a bound volume without node affinity', volumes: [claimVolume('bound-anywhere')], expected: [] },
    {
      name: 'WaitForFirstConsumer with allowedTopologies',
      volumes: [claimVolume('wait')],
      expected: [`${Labels.zone} In [us-east-1c]`],
    },
    {
      name: 'WaitForFirstConsumer without allowedTopologies',
      volumes: [claimVolume('wait-open')],
      expected: [],
    },
    { name: 'an Immediate class binds on its own', volumes: [claimVolume('immediate')], expected: [] },
    { name: 'a claim without a class', volumes: [claimVolume('no-class')], expected: [] },
    {
      name: 'a generic ephemeral volume is judged by its template',
      volumes: [
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { storageClassName: 'wait-c' } } } },
      ],
      expected: [`${Labels.zone} In [us-east-1c]`],
    },
    {
      name: 'every volume adds its requirements',
      volumes: [claimVolume('bound'), { name: 'more', persistentVolumeClaim: { claimName: 'wait' } }],
      expected: [`${Labels.zone} In [us-east-1b]`, `${Labels.zone} In [us-east-1c]`],
    },
    { name: 'non-claim volumes impose nothing', volumes: [{ name: 'config' }], expected: [] },
    {
      name: 'a missing claim',
      volumes: [claimVolume('nope')],
      expected: { reason: 'PersistentVolumeClaim default/nope does not exist' },
    },
    {
      name: 'a claim bound to a missing volume',
      volumes: [claimVolume('bound-missing')],
      expected: {
        reason:
          'PersistentVolumeClaim default/bound-missing is bound to PersistentVolume pv-gone, which does not exist',
      },
    },
    {
      name: 'a missing StorageClass',
      volumes: [claimVolume('class-missing')],
      expected: {
        reason: 'PersistentVolumeClaim default/class-missing uses StorageClass gone, which does not exist',
      },
    },
  ];

  it.each(cases)('$name', ({ volumes, expected }) => {
    const outcome = podVolumeTopology(withVolumes(volumes), lookup);
    if (Array.isArray(expected)) {
      expect('requirements' in outcome && outcome.requirements.map((r) => r.toString())).toEqual(expected);
    } else {
      expect(outcome).toEqual(expected);
    }
  });

  it('looks claims up in the pod’s own namespace', () => {
    const p = withVolumes([claimVolume('bound')]);
    p.metadata.namespace = 'other';
    expect(podVolumeTopology(p, lookup)).toEqual({
      reason: 'PersistentVolumeClaim other/bound does not exist',
    });
  });
});

describe('the default StorageClass', () => {
  const asDefault = (sc: StorageClass, created: string): StorageClass => ({
    ...sc,
    metadata: {
      ...sc.metadata,
      creationTimestamp: created,
      annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: 'true' },
    },
  });
  const template = (storageClassName?: string): Volume => ({
    name: 'scratch',
    ephemeral: { volumeClaimTemplate: { spec: storageClassName === undefined ? {} : { storageClassName } } },
  });
  const requirementsOf = (volumes: Volume[], classes: StorageClass[]): string[] | false => {
    const outcome = podVolumeTopology(
      withVolumes(volumes),
      volumeLookup({ claims: [pvc('no-class', {})], storageClasses: classes }),
    );
    return 'requirements' in outcome && outcome.requirements.map((r) => r.toString());
  };
  const zonalDefault = asDefault(
    storageClass('gp3', 'WaitForFirstConsumer', ['us-east-1b']),
    '2026-01-01T00:00:00Z',
  );

  it('is the class of a claim or ephemeral template that names none', () => {
    const expected = [`${Labels.zone} In [us-east-1b]`];
    expect(requirementsOf([template()], [zonalDefault])).toEqual(expected);
    expect(requirementsOf([claimVolume('no-class')], [zonalDefault])).toEqual(expected);
  });

  it('does not apply to an empty class name, which asks for no class, nor without a default', () => {
    expect(requirementsOf([template('')], [zonalDefault])).toEqual([]);
    expect(
      requirementsOf([template()], [storageClass('gp3', 'WaitForFirstConsumer', ['us-east-1b'])]),
    ).toEqual([]);
  });

  it('is the newest one when several are marked default', () => {
    const newer = asDefault(
      storageClass('io2', 'WaitForFirstConsumer', ['us-east-1c']),
      '2026-02-01T00:00:00Z',
    );
    expect(requirementsOf([template()], [zonalDefault, newer])).toEqual([`${Labels.zone} In [us-east-1c]`]);
    expect(requirementsOf([template()], [newer, zonalDefault])).toEqual([`${Labels.zone} In [us-east-1c]`]);
  });
});
