import { ec2NodeClassSchema } from './ec2nodeclass';
import { nodeClaimSchema } from './nodeclaim';
import { nodePoolSchema } from './nodepool';
import { BASE_EC2NODECLASS, BASE_NODECLAIM, BASE_NODEPOOL, nodeClassSpec, nodePool } from './testing';

describe('defaults', () => {
  it('fills every documented NodePool default', () => {
    const np = nodePoolSchema.parse(nodePool({ spec: { template: { spec: { requirements: [] } } } }));
    expect(np.spec.template.spec.requirements).toEqual([]);
    expect(np.spec.template.spec.expireAfter).toBe('720h');
    expect(np.spec.disruption).toEqual({
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '0s',
      budgets: [{ nodes: '10%' }],
    });
    expect(np.spec.weight).toBeUndefined();
    expect(np.spec.limits).toBeUndefined();
  });

  it('fills the missing disruption fields around the ones given', () => {
    const np = nodePoolSchema.parse(nodePool({ spec: { disruption: { consolidateAfter: '5m' } } }));
    expect(np.spec.disruption).toEqual({
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '5m',
      budgets: [{ nodes: '10%' }],
    });
  });

  it('keeps given values instead of defaults', () => {
    const np = nodePoolSchema.parse(
      nodePool({
        spec: {
          template: { spec: { expireAfter: 'Never' } },
          disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [] },
        },
      }),
    );
    expect(np.spec.template.spec.expireAfter).toBe('Never');
    expect(np.spec.disruption).toEqual({
      consolidationPolicy: 'WhenEmpty',
      consolidateAfter: 'Never',
      budgets: [],
    });
  });

  it('gives each parse its own default budget list', () => {
    const a = nodePoolSchema.parse(BASE_NODEPOOL);
    a.spec.disruption.budgets.push({ nodes: '1' });
    a.spec.template.spec.requirements.push({ key: 'example.com/x', operator: 'Exists' });
    const b = nodePoolSchema.parse(BASE_NODEPOOL);
    expect(b.spec.disruption.budgets).toEqual([{ nodes: '10%' }]);
    expect(b.spec.template.spec.requirements).toHaveLength(1);
  });

  it('defaults NodeClaim expireAfter like the template it comes from', () => {
    expect(nodeClaimSchema.parse(BASE_NODECLAIM).spec.expireAfter).toBe('720h');
  });

  it('requires IMDSv2 with a hop limit of 1 when metadataOptions is absent', () => {
    expect(ec2NodeClassSchema.parse(BASE_EC2NODECLASS).spec.metadataOptions).toEqual({
      httpEndpoint: 'enabled',
      httpProtocolIPv6: 'disabled',
      httpPutResponseHopLimit: 1,
      httpTokens: 'required',
    });
  });

  it('fills the missing metadataOptions fields around the ones given', () => {
    const nc = ec2NodeClassSchema.parse(nodeClassSpec({ metadataOptions: { httpPutResponseHopLimit: 2 } }));
    expect(nc.spec.metadataOptions).toEqual({
      httpEndpoint: 'enabled',
      httpProtocolIPv6: 'disabled',
      httpPutResponseHopLimit: 2,
      httpTokens: 'required',
    });
  });

  it('does not invent optional fields', () => {
    const nc = ec2NodeClassSchema.parse(BASE_EC2NODECLASS);
    expect(Object.keys(nc.spec).sort()).toEqual(
      [
        'amiSelectorTerms',
        'metadataOptions',
        'role',
        'securityGroupSelectorTerms',
        'subnetSelectorTerms',
      ].sort(),
    );
  });
});
