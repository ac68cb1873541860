import { ec2NodeClassSchema } from '../../../sdk/api/ec2nodeclass';
import { Annotations } from '../../../sdk/api/well-known';
import type { EC2NodeClass, NodeClaim } from '../../kube/objects';
import { nodePool } from '../../scheduling/testing';
import { driftAnnotations, driftReason, ec2NodeClassHash, nodePoolHash } from './drift';

const nodeClass = (reserved: string) =>
  ec2NodeClassSchema.parse({
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: 'default' },
    spec: {
      role: 'NodeRole',
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
      kubelet: { systemReserved: { cpu: reserved } },
    },
  });

const medium = { key: 'node.kubernetes.io/instance-type', operator: 'In' as const, values: ['t3a.medium'] };

function claimFor(pool: ReturnType<typeof nodePool>, nc = nodeClass('150m')): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: 'c',
      labels: { 'node.kubernetes.io/instance-type': 't3a.medium', team: 'web' },
      annotations: driftAnnotations(pool, nc),
    },
    spec: {
      requirements: [],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      expireAfter: '720h',
    },
  };
}

describe('drift', () => {
  const pool = nodePool('p', { requirements: [medium], labels: { team: 'web' } });

  it('is not drifted right after launch', () => {
    expect(driftReason(pool, nodeClass('150m'), claimFor(pool))).toBeUndefined();
  });

  it('detects a changed template through the hash, but ignores requirement changes in the hash', () => {
    const claim = claimFor(pool);
    const relabelled = nodePool('p', { requirements: [medium], labels: { team: 'api' } });
    expect(driftReason(relabelled, nodeClass('150m'), claim)).toBe('NodePoolDrifted');
    const widened = nodePool('p', {
      requirements: [{ ...medium, values: ['t3a.medium', 't3a.large'] }],
      labels: { team: 'web' },
    });
    expect(nodePoolHash(widened)).toBe(nodePoolHash(pool));
    expect(driftReason(widened, nodeClass('150m'), claim)).toBeUndefined();
  });

  it('reports requirements the node no longer satisfies', () => {
    const narrowed = nodePool('p', {
      requirements: [{ ...medium, values: ['t3a.large'] }],
      labels: { team: 'web' },
    });
    expect(driftReason(narrowed, nodeClass('150m'), claimFor(pool))).toBe('RequirementsDrifted');
  });

  it('detects a changed node class', () => {
    expect(driftReason(pool, nodeClass('300m'), claimFor(pool))).toBe('NodeClassDrift');
  });

  it('never reads a claim stamped by another hash version as drifted', () => {
    const claim = claimFor(pool);
    claim.metadata.annotations = { ...claim.metadata.annotations, [Annotations.nodePoolHashVersion]: 'v0' };
    const relabelled = nodePool('p', { requirements: [medium], labels: { team: 'api' } });
    expect(driftReason(relabelled, nodeClass('150m'), claim)).toBeUndefined();
  });

  describe('the node class hash: static fields only, as upstream', () => {
    const edited = (edit: (spec: EC2NodeClass['spec']) => void): EC2NodeClass => {
      const nc = structuredClone(nodeClass('150m'));
      edit(nc.spec);
      return nc;
    };
    const drifts = (nc: EC2NodeClass) => driftReason(pool, nc, claimFor(pool));

    it('does not drift on selector terms: they drift by what they resolve to', () => {
      expect(drifts(edited((s) => s.subnetSelectorTerms.push({ id: 'subnet-0123' })))).toBeUndefined();
      expect(drifts(edited((s) => (s.securityGroupSelectorTerms = [{ id: 'sg-0123' }])))).toBeUndefined();
      // Pinning the alias to the AMI it resolves to today (a term without an alias needs the family spelt out).
      const pinned = edited((s) => {
        s.amiSelectorTerms = [{ id: 'ami-0123' }];
        s.amiFamily = 'AL2023';
      });
      expect(drifts(pinned)).toBeUndefined();
      expect(
        drifts(edited((s) => (s.capacityReservationSelectorTerms = [{ id: 'cr-0123' }]))),
      ).toBeUndefined();
    });

    it('hashes the AMI family as resolved: spelling out the family an alias implies changes nothing', () => {
      expect(drifts(edited((s) => (s.amiFamily = 'AL2023')))).toBeUndefined();
      expect(drifts(edited((s) => (s.amiSelectorTerms = [{ alias: 'bottlerocket@latest' }])))).toBe(
        'NodeClassDrift',
      );
    });

    it('treats lists as sets and empty values as unset', () => {
      const base = edited((s) => (s.tags = { a: '1', b: '2' }));
      const claim = claimFor(pool, base);
      const reordered = edited((s) => (s.tags = { b: '2', a: '1' }));
      expect(driftReason(pool, reordered, claim)).toBeUndefined();
      expect(ec2NodeClassHash(edited((s) => (s.detailedMonitoring = false)))).toBe(
        ec2NodeClassHash(nodeClass('150m')),
      );
      const twoVolumes = (order: number[]) =>
        edited((s) => {
          const volumes = [
            { deviceName: '/dev/xvda', ebs: { volumeSize: '20Gi' } },
            { deviceName: '/dev/xvdb', ebs: { volumeSize: '100Gi' } },
          ];
          s.blockDeviceMappings = order.map((i) => volumes[i] as (typeof volumes)[number]);
        });
      expect(ec2NodeClassHash(twoVolumes([0, 1]))).toBe(ec2NodeClassHash(twoVolumes([1, 0])));
    });

    it('drifts on a static field: tags, user data, kubelet, volumes', () => {
      expect(drifts(edited((s) => (s.tags = { team: 'new' })))).toBe('NodeClassDrift');
      expect(drifts(edited((s) => (s.userData = 'echo hi')))).toBe('NodeClassDrift');
      expect(drifts(nodeClass('300m'))).toBe('NodeClassDrift');
      expect(
        drifts(
          edited((s) => (s.blockDeviceMappings = [{ deviceName: '/dev/xvda', ebs: { volumeSize: '50Gi' } }])),
        ),
      ).toBe('NodeClassDrift');
    });

    it('drifts on networkInterfaces (as upstream hashes them), taken as a set', () => {
      const nic = (
        networkCardIndex: number,
        deviceIndex: number,
        interfaceType: 'interface' | 'efa-only',
      ) => ({
        networkCardIndex,
        deviceIndex,
        interfaceType,
      });
      const withNics = (nics: ReturnType<typeof nic>[]) => edited((s) => (s.networkInterfaces = nics));
      const efa = withNics([nic(0, 0, 'interface'), nic(0, 1, 'efa-only')]);
      expect(drifts(efa)).toBe('NodeClassDrift');
      const claim = claimFor(pool, efa);
      expect(
        driftReason(pool, withNics([nic(0, 1, 'efa-only'), nic(0, 0, 'interface')]), claim),
      ).toBeUndefined();
      expect(driftReason(pool, withNics([nic(0, 0, 'interface'), nic(0, 1, 'interface')]), claim)).toBe(
        'NodeClassDrift',
      );
      expect(driftReason(pool, nodeClass('150m'), claim)).toBe('NodeClassDrift');
    });
  });
});
