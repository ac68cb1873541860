import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { nodePoolSchema } from './nodepool';
import { validate } from './validate';
import { CostPerHourLimit } from './well-known';

const UPSTREAM_CRD =
  '/root/go/pkg/mod/sigs.k8s.io/karpenter@v1.15.0/pkg/apis/crds/karpenter.sh_nodepools.yaml';

const pool = (limits: Record<string, string | number>) => ({
  apiVersion: 'karpenter.sh/v1',
  kind: 'NodePool',
  metadata: { name: 'capped' },
  spec: {
    template: {
      spec: {
        requirements: [],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      },
    },
    limits,
  },
});

describe('the spend cap key in spec.limits', () => {
  it('is a quantity like any limit: accepted as one, refused otherwise with the field named', () => {
    expect(validate(nodePoolSchema, pool({ cpu: '100', [CostPerHourLimit]: '50' })).success).toBe(true);
    expect(validate(nodePoolSchema, pool({ [CostPerHourLimit]: '12.5' })).success).toBe(true);
    const bad = validate(nodePoolSchema, pool({ [CostPerHourLimit]: '$50' }));
    expect(bad.success).toBe(false);
    expect(bad.success ? [] : bad.problems.map((p) => p.path)).toEqual([
      `spec.limits["${CostPerHourLimit}"]`,
    ]);
  });

  it('is accepted by upstream CRD too: spec.limits takes any key whose value is a quantity', () => {
    // Upstream core v1.15.0's CRD, if this machine has it: the key is free, the value matches its pattern.
    let crd: string;
    try {
      crd = readFileSync(UPSTREAM_CRD, 'utf8');
    } catch {
      crd = readFileSync(join(__dirname, '..', 'crds', 'karpenter.sh_nodepools.yaml'), 'utf8');
    }
    const doc = load(crd) as {
      spec: {
        versions: {
          schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } };
        }[];
      };
    };
    const limits = doc.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.limits as {
      additionalProperties: { pattern: string };
      properties?: unknown;
    };
    expect(limits.properties).toBeUndefined();
    const pattern = new RegExp(limits.additionalProperties.pattern);
    expect(pattern.test('50')).toBe(true);
    expect(pattern.test('12.5')).toBe(true);
    expect(pattern.test('$50')).toBe(false);
  });
});
