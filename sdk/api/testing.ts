/**
 * Valid base manifests for the sdk tests, and a deep merge to derive variants from them without fighting the
 * input types (the variants are deliberately invalid).
 */

export type Obj = { [key: string]: unknown };

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `base` with `overrides` merged in: objects merge, arrays and scalars replace, `undefined` deletes. */
export function merge(base: Obj, overrides: Obj): Obj {
  const out: Obj = structuredClone(base);
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (isObj(value) && isObj(current)) out[key] = merge(current, value);
    else out[key] = structuredClone(value);
  }
  return out;
}

export const BASE_NODEPOOL: Obj = {
  apiVersion: 'karpenter.sh/v1',
  kind: 'NodePool',
  metadata: { name: 'default' },
  spec: {
    template: {
      spec: {
        requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      },
    },
  },
};

export const BASE_NODECLAIM: Obj = {
  apiVersion: 'karpenter.sh/v1',
  kind: 'NodeClaim',
  metadata: { name: 'default-abcde' },
  spec: {
    requirements: [
      { key: 'karpenter.sh/nodepool', operator: 'In', values: ['default'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'm5.xlarge'] },
    ],
    nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
    resources: { requests: { cpu: '1', memory: '1Gi' } },
  },
};

export const BASE_EC2NODECLASS: Obj = {
  apiVersion: 'karpenter.k8s.aws/v1',
  kind: 'EC2NodeClass',
  metadata: { name: 'default' },
  spec: {
    role: 'KarpenterNodeRole-test',
    amiSelectorTerms: [{ alias: 'al2023@latest' }],
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  },
};

export const BASE_NODEOVERLAY: Obj = {
  apiVersion: 'karpenter.sh/v1alpha1',
  kind: 'NodeOverlay',
  metadata: { name: 'discount' },
  spec: {
    requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5'] }],
    priceAdjustment: '-10%',
  },
};

export const nodePool = (overrides: Obj = {}): Obj => merge(BASE_NODEPOOL, overrides);
export const nodeOverlay = (spec: Obj = {}): Obj => merge(BASE_NODEOVERLAY, { spec });
export const nodeClaim = (overrides: Obj = {}): Obj => merge(BASE_NODECLAIM, overrides);
export const ec2NodeClass = (overrides: Obj = {}): Obj => merge(BASE_EC2NODECLASS, overrides);

/** Shorthands for the nested blocks most variants touch. */
export const templateSpec = (spec: Obj): Obj => nodePool({ spec: { template: { spec } } });
export const requirement = (req: Obj): Obj => templateSpec({ requirements: [req] });
export const templateLabels = (labels: Obj): Obj =>
  nodePool({ spec: { template: { metadata: { labels } } } });
export const budget = (b: Obj): Obj => nodePool({ spec: { disruption: { budgets: [b] } } });
export const nodeClassSpec = (spec: Obj): Obj => ec2NodeClass({ spec });
export const kubelet = (k: Obj): Obj => ec2NodeClass({ spec: { kubelet: k } });
export const ebs = (e: Obj): Obj =>
  ec2NodeClass({ spec: { blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: e }] } });
