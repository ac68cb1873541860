import { ec2NodeClassSchema } from '../../../sdk/api/ec2nodeclass';
import { Annotations } from '../../../sdk/api/well-known';
import type { NodeClaim } from '../../kube/objects';
import { nodePool } from '../../scheduling/testing';
import { driftAnnotations, driftReason, nodePoolHash } from './drift';

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
    expect(driftReason(pool, nodeClass('300m'), claimFor(pool))).toBe('NodeClassDrifted');
  });

  it('never reads a claim stamped by another hash version as drifted', () => {
    const claim = claimFor(pool);
    claim.metadata.annotations = { ...claim.metadata.annotations, [Annotations.nodePoolHashVersion]: 'v0' };
    const relabelled = nodePool('p', { requirements: [medium], labels: { team: 'api' } });
    expect(driftReason(relabelled, nodeClass('150m'), claim)).toBeUndefined();
  });
});
