import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { ResourceValidationArgs } from '@pulumi/policy';
import { karpenterPolicies } from './policies';
import {
  checkResource,
  gpuTaints,
  karpenterKind,
  multiZoneSubnets,
  nodeClassImdsV2,
  nodePoolBudgets,
  nodePoolCpuOrSpendLimit,
  nodePoolLimits,
  nodePoolMultiZone,
  spotFlexibility,
  type CheckedResource,
  type MistakeRule,
} from './rules';

const NODEPOOL = 'kubernetes:karpenter.sh/v1:NodePool';
const NODECLASS = 'kubernetes:karpenter.k8s.aws/v1:EC2NodeClass';
const ref = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' };

function nodePool(spec: Record<string, unknown>, name = 'p'): CheckedResource {
  return { type: NODEPOOL, props: { metadata: { name }, spec } };
}
function template(requirements: unknown[], extra: Record<string, unknown> = {}) {
  return { template: { spec: { requirements, nodeClassRef: ref, ...extra } } };
}
const good = {
  ...template([{ key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'] }]),
  limits: { cpu: '100' },
  disruption: { budgets: [{ nodes: '10%' }] },
};
function nodeClass(spec: Record<string, unknown>): CheckedResource {
  return { type: NODECLASS, props: { metadata: { name: 'default' }, spec } };
}
const discovery = [{ tags: { 'karpenter.sh/discovery': 'demo' } }];

/** A seed document from sdk/testdata/seeds, verbatim, as a generic CustomResource would carry it. */
function seed(file: string): CheckedResource {
  const doc = load(readFileSync(join(__dirname, '..', '..', 'sdk', 'testdata', 'seeds', file), 'utf8'));
  return { type: 'kubernetes:apiextensions.k8s.io:CustomResource', props: doc as Record<string, unknown> };
}

const problems = (rule: MistakeRule, r: CheckedResource) => checkResource(rule, r);

describe('karpenterKind', () => {
  it('recognises typed resources and generic custom resources by apiVersion/kind, and nothing else', () => {
    expect(karpenterKind(nodePool({}))).toBe('NodePool');
    expect(karpenterKind(nodeClass({}))).toBe('EC2NodeClass');
    expect(karpenterKind(seed('002-gpu-nodepool.yaml'))).toBe('NodePool');
    expect(
      karpenterKind({ type: 'kubernetes:apps/v1:Deployment', props: { kind: 'Deployment' } }),
    ).toBeUndefined();
  });
});

describe('the common-mistake rules', () => {
  it('a well-configured NodePool passes every NodePool rule', () => {
    for (const rule of [
      nodePoolLimits,
      nodePoolCpuOrSpendLimit,
      nodePoolBudgets,
      nodePoolMultiZone,
      gpuTaints,
      spotFlexibility,
    ]) {
      expect(problems(rule, nodePool(good))).toEqual([]);
    }
  });

  it('NodePool with neither a CPU limit nor a spend cap fails; either alone passes', () => {
    const cap = 'karpenter-ts.sh/cost-per-hour';
    expect(problems(nodePoolCpuOrSpendLimit, nodePool({ ...good, limits: undefined }))).toEqual([
      'NodePool p has neither a CPU limit nor a spend cap: nothing bounds what its nodes cost. ' +
        `Fix: set spec.limits.cpu, or a spend cap in USD/hour: spec.limits["${cap}"], e.g. "50".`,
    ]);
    expect(problems(nodePoolCpuOrSpendLimit, nodePool({ ...good, limits: { memory: '1000Gi' } }))[0]).toMatch(
      /has a memory limit but neither a CPU limit nor a spend cap/,
    );
    expect(problems(nodePoolCpuOrSpendLimit, nodePool({ ...good, limits: { [cap]: '50' } }))).toEqual([]);
    expect(problems(nodePoolCpuOrSpendLimit, nodePool({ ...good, limits: { cpu: '10' } }))).toEqual([]);
    // A spend cap also satisfies the older limits rule: it bounds the pool.
    expect(problems(nodePoolLimits, nodePool({ ...good, limits: { [cap]: '50' } }))).toEqual([]);
  });

  it('NodePool without limits fails (the seed graviton pool has none); cpu or memory alone passes', () => {
    expect(problems(nodePoolLimits, nodePool({ ...good, limits: undefined }))).toEqual([
      'NodePool p has no CPU or memory limits: a runaway workload (an HPA bug) scales nodes and cost without bound. ' +
        'Fix: set spec.limits.cpu and/or spec.limits.memory to a reasonable ceiling.',
    ]);
    expect(problems(nodePoolLimits, seed('002-graviton-nodepool.yaml'))).toHaveLength(1);
    expect(problems(nodePoolLimits, nodePool({ ...good, limits: { memory: '1000Gi' } }))).toEqual([]);
    expect(problems(nodePoolLimits, nodePool({ ...good, limits: { 'nvidia.com/gpu': '4' } }))).toHaveLength(
      1,
    );
  });

  it('no disruption budgets, or only 100% ones, fails', () => {
    expect(problems(nodePoolBudgets, nodePool({ ...good, disruption: {} }))[0]).toMatch(
      /has no disruption budgets/,
    );
    expect(problems(nodePoolBudgets, nodePool({ ...good, disruption: { budgets: [] } }))).toHaveLength(1);
    expect(
      problems(nodePoolBudgets, nodePool({ ...good, disruption: { budgets: [{ nodes: '100%' }] } }))[0],
    ).toMatch(/only 100% disruption budgets/);
    // sdk's copy of the seed consolidation pool stops before its budgets.
    expect(problems(nodePoolBudgets, seed('002-consolidation-nodepool.yaml'))).toHaveLength(1);
    expect(
      problems(
        nodePoolBudgets,
        nodePool({
          ...good,
          disruption: {
            budgets: [{ nodes: '100%' }, { nodes: '0', schedule: '0 9 * * 1-5', duration: '8h' }],
          },
        }),
      ),
    ).toEqual([]);
  });

  it('IMDSv1 allowed fails; required or unset (defaults to required) passes', () => {
    const base = { subnetSelectorTerms: discovery };
    expect(
      problems(nodeClassImdsV2, nodeClass({ ...base, metadataOptions: { httpTokens: 'optional' } }))[0],
    ).toMatch(/^EC2NodeClass default allows IMDSv1/);
    expect(
      problems(nodeClassImdsV2, nodeClass({ ...base, metadataOptions: { httpTokens: 'required' } })),
    ).toEqual([]);
    expect(problems(nodeClassImdsV2, nodeClass(base))).toEqual([]);
    expect(problems(nodeClassImdsV2, seed('002-ec2nodeclass.yaml'))).toEqual([]);
  });

  it('a single-subnet selection or a NodePool pinned to one zone fails; tags and several zones pass', () => {
    expect(problems(multiZoneSubnets, nodeClass({ subnetSelectorTerms: [{ id: 'subnet-1' }] }))[0]).toMatch(
      /selects a single subnet \(subnet-1\)/,
    );
    expect(
      problems(
        multiZoneSubnets,
        nodeClass({ subnetSelectorTerms: [{ id: 'subnet-1' }, { id: 'subnet-2' }] }),
      ),
    ).toEqual([]);
    expect(problems(multiZoneSubnets, nodeClass({ subnetSelectorTerms: discovery }))).toEqual([]);
    const zone = (values: string[]) =>
      nodePool({ ...good, ...template([{ key: 'topology.kubernetes.io/zone', operator: 'In', values }]) });
    expect(problems(nodePoolMultiZone, zone(['us-east-1a']))).toHaveLength(1);
    expect(problems(nodePoolMultiZone, zone(['us-east-1a', 'us-east-1b']))).toEqual([]);
  });

  it('GPU NodePools need taints: the seed GPU pool passes, the same pool without taints fails', () => {
    const gpu = seed('002-gpu-nodepool.yaml');
    expect(problems(gpuTaints, gpu)).toEqual([]);
    const spec = gpu.props.spec as { template: { spec: Record<string, unknown> } };
    const untainted = nodePool({ ...spec, template: { spec: { ...spec.template.spec, taints: [] } } }, 'gpu');
    expect(problems(gpuTaints, untainted)[0]).toMatch(/^NodePool gpu launches GPU nodes but has no taints/);
    // A GPU count requirement alone marks a GPU pool too; plain c/m/r does not.
    const byCount = nodePool(
      template([{ key: 'karpenter.k8s.aws/instance-gpu-count', operator: 'Gt', values: ['0'] }]),
    );
    expect(problems(gpuTaints, byCount)).toHaveLength(1);
    expect(problems(gpuTaints, nodePool(good))).toEqual([]);
  });

  it('spot with too few instance types fails; the seed spot-first pool and on-demand-only pools pass', () => {
    const capacity = (values: string[]) => ({ key: 'karpenter.sh/capacity-type', operator: 'In', values });
    const types = (values: string[]) => ({ key: 'node.kubernetes.io/instance-type', operator: 'In', values });
    expect(
      problems(
        spotFlexibility,
        nodePool(template([capacity(['spot']), types(['m5.large', 'm5a.large'])])),
      )[0],
    ).toMatch(/allows spot with only 2 instance types \(m5\.large, m5a\.large\)/);
    expect(
      problems(
        spotFlexibility,
        nodePool(
          template([
            capacity(['spot']),
            { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5'] },
          ]),
        ),
      )[0],
    ).toMatch(/single instance family \(m5\)/);
    const five = ['m5.large', 'm5a.large', 'm6i.large', 'm6a.large', 'm7i.large'];
    expect(problems(spotFlexibility, nodePool(template([capacity(['spot']), types(five)])))).toEqual([]);
    expect(
      problems(spotFlexibility, nodePool(template([capacity(['on-demand']), types(['t3a.medium'])]))),
    ).toEqual([]);
    expect(problems(spotFlexibility, seed('002-spot-first-nodepool.yaml'))).toEqual([]);
  });

  it('rules ignore resources of the other kind and non-Karpenter resources', () => {
    expect(problems(nodePoolLimits, nodeClass({}))).toEqual([]);
    expect(problems(nodeClassImdsV2, nodePool({ metadataOptions: { httpTokens: 'optional' } }))).toEqual([]);
    expect(problems(nodePoolLimits, { type: 'aws:s3/bucket:Bucket', props: {} })).toEqual([]);
  });
});

describe('the policy pack policies', () => {
  function run(resource: CheckedResource): Record<string, string[]> {
    const reported: Record<string, string[]> = {};
    for (const policy of karpenterPolicies()) {
      const validate = policy.validateResource;
      if (typeof validate !== 'function') throw new Error(`${policy.name} has no single validateResource`);
      void validate({ type: resource.type, props: resource.props } as ResourceValidationArgs, (message) => {
        (reported[policy.name] ??= []).push(message);
      });
    }
    return reported;
  }

  it('are advisory by default and report each violation through reportViolation', () => {
    const policies = karpenterPolicies();
    expect(policies.map((p) => p.enforcementLevel)).toEqual(policies.map(() => 'advisory'));
    expect(karpenterPolicies('mandatory').every((p) => p.enforcementLevel === 'mandatory')).toBe(true);
    // The seed high-memory pool: no limits, no budgets.
    expect(Object.keys(run(seed('002-high-memory-nodepool.yaml'))).sort()).toEqual([
      'nodepool-has-cpu-or-spend-limit',
      'nodepool-has-disruption-budgets',
      'nodepool-has-limits',
    ]);
    expect(run(nodePool(good))).toEqual({});
  });
});
