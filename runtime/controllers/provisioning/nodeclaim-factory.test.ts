import { Labels } from '../../../sdk/api/well-known';
import { Requirement, Requirements } from '../../scheduling/requirements';
import type { PlannedNodeClaim } from '../../scheduling/scheduler';
import { instanceTypes, nodePool, plannedClaim } from '../../scheduling/testing';
import { nodeClaimFor } from './nodeclaim-factory';

function plan(extra: Partial<PlannedNodeClaim> = {}): PlannedNodeClaim {
  return { ...plannedClaim(instanceTypes(['t3a.medium', 'm5.large'])), ...extra };
}

describe('nodeClaimFor', () => {
  const pool = nodePool('default');

  it('lists the planned instance types, cheapest first, and stamps the drift hashes', () => {
    const claim = nodeClaimFor(pool, plan());
    const types = claim.spec.requirements.find((r) => r.key === 'node.kubernetes.io/instance-type');
    expect(types?.values).toEqual(['t3a.medium', 'm5.large']);
    expect(claim.metadata.annotations?.['karpenter.sh/nodepool-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(claim.metadata.annotations?.['karpenter.sh/nodeclaim-min-values-relaxed']).toBeUndefined();
  });

  it('never writes a hostname requirement (the NodeClaim CRD refuses it, as upstream)', () => {
    const base = plan();
    const requirements = new Requirements([
      ...base.requirements.values(),
      Requirement.exists(Labels.hostname),
      Requirement.in(Labels.zone, ['us-east-1a']),
    ]);
    const keys = nodeClaimFor(pool, { ...base, requirements }).spec.requirements.map((r) => r.key);
    expect(keys).toContain(Labels.zone);
    expect(keys).not.toContain(Labels.hostname);
  });

  it('marks a claim whose minValues were relaxed (MIN_VALUES_POLICY=BestEffort)', () => {
    const claim = nodeClaimFor(pool, plan({ minValuesRelaxed: true }));
    expect(claim.metadata.annotations?.['karpenter.sh/nodeclaim-min-values-relaxed']).toBe('true');
  });
});
