/**
 * Which label keys a NodePool (requirements and template labels) and a NodeClaim (requirements) may name, checked
 * against the answer upstream gives for the same key: its CRDs' CEL rules (core v1.15.0 karpenter.sh_nodepools.yaml
 * and karpenter.sh_nodeclaims.yaml, and the AWS provider v1.14.1's copies, which add the karpenter.k8s.aws rule)
 * and, for NodePools, its controller's IsRestrictedLabel (core labels.go, with the AWS provider's init()).
 */
import type { z } from 'zod';
import { RESTRICTED_DOMAIN_ALLOWED_KEYS, keyDomainText, restrictedLabelViolation } from './labels';
import { nodeClaimSchema } from './nodeclaim';
import { nodePoolSchema } from './nodepool';
import { Rules, type Rule } from './rules';
import { nodeClaim, requirement, templateLabels, type Obj } from './testing';
import { validate } from './validate';

type Answer = 'ok' | Rule;

interface KeyCase {
  key: string;
  /** Upstream's answer for a NodePool requirement or template label with this key. */
  nodePool: Answer;
  /** Upstream's answer for a NodeClaim requirement with this key. */
  nodeClaim: Answer;
  why: string;
}

const same = (answer: Answer) => ({ nodePool: answer, nodeClaim: answer });

const KEYS: KeyCase[] = [
  // kubernetes.io and k8s.io are not restricted domains upstream (RestrictedLabelDomains is karpenter.sh, plus
  // karpenter.k8s.aws from the AWS provider).
  { key: 'kubernetes.io/role', ...same('ok'), why: 'kubernetes.io is not a restricted domain' },
  { key: 'node-role.kubernetes.io/worker', ...same('ok'), why: 'nor its subdomains' },
  { key: 'kubernetes.io/arch', ...same('ok'), why: 'a well-known label' },
  { key: 'beta.kubernetes.io/instance-type', ...same('ok'), why: 'a normalized alias' },
  { key: 'node-restriction.kubernetes.io/team', ...same('ok'), why: 'kubernetes.io subdomain' },
  { key: 'k8s.io/owner', ...same('ok'), why: 'k8s.io is not a restricted domain' },
  { key: 'team.k8s.io/owner', ...same('ok'), why: 'nor its subdomains' },
  { key: 'kops.k8s.io/instancegroup', ...same('ok'), why: 'k8s.io subdomain' },
  { key: 'topology.k8s.aws/zone-id', ...same('ok'), why: 'an AWS well-known label outside the domains' },
  { key: 'example.com/team', ...same('ok'), why: 'a key in the user’s own domain' },
  { key: 'team', ...same('ok'), why: 'an unprefixed key' },
  // kubernetes.io/hostname: RestrictedLabels, and a CEL rule in both CRDs.
  {
    key: 'kubernetes.io/hostname',
    ...same(Rules.labelHostnameRestricted),
    why: 'restricted in both kinds',
  },
  // karpenter.sh: CEL admits capacity-type and nodepool; NodePools may not name nodepool.
  { key: 'karpenter.sh/capacity-type', ...same('ok'), why: 'the one karpenter.sh key a NodePool may use' },
  {
    key: 'karpenter.sh/nodepool',
    nodePool: Rules.labelNodePoolRestricted,
    nodeClaim: 'ok',
    why: 'Karpenter sets it; a NodeClaim carries it',
  },
  {
    key: 'karpenter.sh/registered',
    ...same(Rules.labelKarpenterShRestricted),
    why: 'in the karpenter.sh domain',
  },
  {
    key: 'team.karpenter.sh/x',
    ...same(Rules.labelKarpenterShRestricted),
    why: 'a subdomain of karpenter.sh',
  },
  {
    key: 'mykarpenter.sh/x',
    ...same(Rules.labelKarpenterShRestricted),
    why: 'the CEL rule matches the domain by suffix, without a dot boundary',
  },
  {
    key: 'karpenter.sh',
    ...same(Rules.labelKarpenterShRestricted),
    why: 'unprefixed: the CEL rule looks at the whole key',
  },
  { key: 'karpenter.sh.example.com/x', ...same('ok'), why: 'a domain that only starts with karpenter.sh' },
  { key: 'example.com/karpenter.sh', ...same('ok'), why: 'the name part does not count' },
  // karpenter.k8s.aws: the AWS well-known labels (v1.14.1 labels.go init()) pass; ec2nodeclass passes the CEL rule,
  // but a NodePool's controller refuses it (it is not registered as well-known).
  { key: 'karpenter.k8s.aws/instance-family', ...same('ok'), why: 'an AWS well-known label' },
  { key: 'karpenter.k8s.aws/capacity-reservation-id', ...same('ok'), why: 'an AWS well-known label' },
  { key: 'karpenter.k8s.aws/capacity-reservation-type', ...same('ok'), why: 'an AWS well-known label' },
  {
    key: 'karpenter.k8s.aws/capacity-reservation-interruptible',
    ...same('ok'),
    why: 'an AWS well-known label',
  },
  { key: 'karpenter.k8s.aws/instance-tenancy', ...same('ok'), why: 'an AWS well-known label' },
  { key: 'karpenter.k8s.aws/instance-capability-flex', ...same('ok'), why: 'an AWS well-known label' },
  { key: 'karpenter.k8s.aws/placement-group-id', ...same('ok'), why: 'an AWS well-known label' },
  { key: 'karpenter.k8s.aws/placement-group-partition', ...same('ok'), why: 'an AWS well-known label' },
  {
    key: 'karpenter.k8s.aws/ec2nodeclass',
    nodePool: Rules.labelNodeClassRestricted,
    nodeClaim: 'ok',
    why: 'admitted by the CRDs, refused by the NodePool controller',
  },
  {
    key: 'karpenter.k8s.aws/ami-id',
    ...same(Rules.labelKarpenterK8sAwsRestricted),
    why: 'not a well-known key of the domain',
  },
  {
    key: 'x.karpenter.k8s.aws/instance-family',
    ...same(Rules.labelKarpenterK8sAwsRestricted),
    why: 'a subdomain, where the well-known names do not apply',
  },
];

/** The one problem `input` has, as [path, rule id or 'ok', message]. */
function answer(schema: z.ZodType, input: Obj): { path: string; rule: string; message: string } | 'ok' {
  const result = validate(schema, input);
  if (result.success) return 'ok';
  expect(result.problems).toHaveLength(1);
  const [problem] = result.problems;
  return {
    path: problem?.path ?? '',
    rule: problem?.rule ?? '(structural)',
    message: problem?.message ?? '',
  };
}

function expected(want: Answer, path: string, key: string, named: boolean) {
  if (want === 'ok') return 'ok';
  return {
    path,
    rule: want.id,
    message: named ? `${want.message} (got "${key}")` : want.message,
  };
}

describe('label keys: the same accept/reject answer as upstream', () => {
  it.each(KEYS.map((c) => [c.key, c.why, c] as const))('%s (%s)', (key, _why, c) => {
    const req = requirement({ key, operator: 'Exists' });
    expect(answer(nodePoolSchema, req)).toEqual(
      expected(c.nodePool, 'spec.template.spec.requirements.0.key', key, true),
    );
    expect(answer(nodePoolSchema, templateLabels({ [key]: 'x' }))).toEqual(
      expected(c.nodePool, `spec.template.metadata.labels[${JSON.stringify(key)}]`, key, false),
    );
    const claim = nodeClaim({ spec: { requirements: [{ key, operator: 'Exists' }] } });
    expect(answer(nodeClaimSchema, claim)).toEqual(
      expected(c.nodeClaim, 'spec.requirements.0.key', key, true),
    );
    // The predicate the schemas use gives the same answer.
    const id = (want: Answer) => (want === 'ok' ? undefined : want.id);
    const rule = (v: ReturnType<typeof restrictedLabelViolation>) =>
      v === undefined
        ? undefined
        : {
            hostname: Rules.labelHostnameRestricted.id,
            nodepool: Rules.labelNodePoolRestricted.id,
            ec2nodeclass: Rules.labelNodeClassRestricted.id,
            'karpenter.sh': Rules.labelKarpenterShRestricted.id,
            'karpenter.k8s.aws': Rules.labelKarpenterK8sAwsRestricted.id,
          }[v];
    expect(rule(restrictedLabelViolation(key, 'NodePool'))).toBe(id(c.nodePool));
    expect(rule(restrictedLabelViolation(key, 'NodeClaim'))).toBe(id(c.nodeClaim));
  });

  it('admits exactly the karpenter.k8s.aws keys upstream’s CEL rule lists (AWS provider v1.14.1)', () => {
    // The list in the CEL rule of the AWS provider's NodePool and NodeClaim CRDs, deduplicated.
    const upstreamCel = [
      'capacity-reservation-id',
      'capacity-reservation-interruptible',
      'capacity-reservation-type',
      'ec2nodeclass',
      'instance-accelerator-count',
      'instance-accelerator-manufacturer',
      'instance-accelerator-name',
      'instance-capability-flex',
      'instance-category',
      'instance-cpu',
      'instance-cpu-manufacturer',
      'instance-cpu-sustained-clock-speed-mhz',
      'instance-ebs-bandwidth',
      'instance-encryption-in-transit-supported',
      'instance-family',
      'instance-generation',
      'instance-gpu-count',
      'instance-gpu-manufacturer',
      'instance-gpu-memory',
      'instance-gpu-name',
      'instance-hypervisor',
      'instance-local-nvme',
      'instance-memory',
      'instance-network-bandwidth',
      'instance-size',
      'instance-tenancy',
      'placement-group-id',
      'placement-group-partition',
    ].map((name) => `karpenter.k8s.aws/${name}`);
    expect([...RESTRICTED_DOMAIN_ALLOWED_KEYS['karpenter.k8s.aws']].sort()).toEqual(upstreamCel);
    expect([...RESTRICTED_DOMAIN_ALLOWED_KEYS['karpenter.sh']].sort()).toEqual([
      'karpenter.sh/capacity-type',
      'karpenter.sh/nodepool',
    ]);
  });

  it('looks at the text before the first "/", or the whole key', () => {
    expect(keyDomainText('karpenter.sh/capacity-type')).toBe('karpenter.sh');
    expect(keyDomainText('a.b/c/d')).toBe('a.b');
    expect(keyDomainText('karpenter.sh')).toBe('karpenter.sh');
  });

  it('reports every restricted key of a template, each at its own path', () => {
    const result = validate(
      nodePoolSchema,
      templateLabels({
        'node-role.kubernetes.io/worker': '',
        'kubernetes.io/hostname': 'a',
        'karpenter.sh/nodepool': 'b',
        'karpenter.k8s.aws/ec2nodeclass': 'c',
      }),
    );
    expect(result.success ? [] : result.problems.map((p) => [p.path, p.rule])).toEqual([
      ['spec.template.metadata.labels["kubernetes.io/hostname"]', 'labelHostnameRestricted'],
      ['spec.template.metadata.labels["karpenter.sh/nodepool"]', 'labelNodePoolRestricted'],
      ['spec.template.metadata.labels["karpenter.k8s.aws/ec2nodeclass"]', 'labelNodeClassRestricted'],
    ]);
  });
});
