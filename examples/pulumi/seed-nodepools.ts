/**
 * The GPU, Graviton, spot-first and high-memory NodePools of the seed module (Module 6.1, "Workload-Specific
 * Scaling" and "Spot Instance Strategy"), as typed args. Their requirements and taints are the seed's; limits and
 * disruption budgets are added because the seed's own "common mistakes" table (and our policy pack) asks for them.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { EC2NodeClassArgs, NodePoolArgs } from '../../provider';
import { defaultNodeClassArgs } from '../../provider';

const nodeClassRef = (name: string) => ({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name });
const budgets = { budgets: [{ nodes: '10%' }] };

export const gpuNodePool: NodePoolArgs = {
  metadata: { name: 'gpu' },
  spec: {
    template: {
      spec: {
        requirements: [
          { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['g', 'p'] },
          { key: 'karpenter.k8s.aws/instance-gpu-count', operator: 'Gt', values: ['0'] },
          { key: 'nvidia.com/gpu', operator: 'Exists' },
        ],
        // Only pods that tolerate this taint (GPU workloads) land on these expensive nodes.
        taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }],
        nodeClassRef: nodeClassRef('gpu'),
      },
    },
    limits: { 'nvidia.com/gpu': '100', cpu: '1000' },
    disruption: budgets,
  },
};

export const gravitonNodePool: NodePoolArgs = {
  metadata: { name: 'graviton' },
  spec: {
    template: {
      spec: {
        requirements: [
          { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
          { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
        ],
        nodeClassRef: nodeClassRef('default'),
      },
    },
    limits: { cpu: '1000', memory: '1000Gi' },
    disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', ...budgets },
  },
};

export const highMemoryNodePool: NodePoolArgs = {
  metadata: { name: 'high-memory' },
  spec: {
    template: {
      spec: {
        requirements: [
          { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['r', 'x'] },
          { key: 'karpenter.k8s.aws/instance-memory', operator: 'Gt', values: ['32768'] },
        ],
        nodeClassRef: nodeClassRef('default'),
      },
    },
    limits: { cpu: '500', memory: '4000Gi' },
    disruption: budgets,
  },
};

export const spotFirstNodePool: NodePoolArgs = {
  metadata: { name: 'spot-first' },
  spec: {
    template: {
      spec: {
        requirements: [
          // Karpenter prefers spot when both are allowed and falls back to on-demand.
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
          // Wide instance type selection = better spot availability.
          { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'] },
          { key: 'karpenter.k8s.aws/instance-size', operator: 'NotIn', values: ['nano', 'micro', 'small'] },
        ],
        nodeClassRef: nodeClassRef('default'),
      },
    },
    limits: { cpu: '1000', memory: '1000Gi' },
    disruption: budgets,
  },
};

export const seedNodePools: Record<string, NodePoolArgs> = {
  gpu: gpuNodePool,
  graviton: gravitonNodePool,
  'high-memory': highMemoryNodePool,
  'spot-first': spotFirstNodePool,
};

/** The GPU pool's node class: the default one (AL2023 picks its NVIDIA variant for GPU types) with a larger disk. */
export function gpuNodeClass(
  clusterName: pulumi.Input<string>,
  nodeRoleName: pulumi.Input<string>,
): EC2NodeClassArgs {
  const base = defaultNodeClassArgs(clusterName, nodeRoleName);
  return {
    ...base,
    metadata: { name: 'gpu' },
    spec: {
      ...(base.spec as object),
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', ebs: { volumeSize: '200Gi', volumeType: 'gp3', encrypted: true } },
      ],
    } as EC2NodeClassArgs['spec'],
  };
}
