/** The optional default EC2NodeClass / NodePool pair, written to avoid every mistake the policy pack flags. */
import type * as pulumi from '@pulumi/pulumi';
import { Labels } from '../../sdk/api/well-known';
import type { EC2NodeClassArgs, NodePoolArgs } from '../../sdk/pulumi';

/** Subnets and security groups Karpenter may use carry `karpenter.sh/discovery=<cluster name>`. */
export const DISCOVERY_TAG = 'karpenter.sh/discovery';

export function discoverySelector(clusterName: pulumi.Input<string>): {
  tags: Record<string, pulumi.Input<string>>;
} {
  return { tags: { [DISCOVERY_TAG]: clusterName } };
}

export function defaultNodeClassArgs(
  clusterName: pulumi.Input<string>,
  nodeRoleName: pulumi.Input<string>,
): EC2NodeClassArgs {
  return {
    metadata: { name: 'default' },
    spec: {
      role: nodeRoleName,
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      subnetSelectorTerms: [discoverySelector(clusterName)],
      securityGroupSelectorTerms: [discoverySelector(clusterName)],
      metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
    },
  };
}

export function defaultNodePoolArgs(): NodePoolArgs {
  return {
    metadata: { name: 'default' },
    spec: {
      template: {
        spec: {
          requirements: [
            { key: Labels.capacityType, operator: 'In', values: ['spot', 'on-demand'] },
            { key: Labels.arch, operator: 'In', values: ['amd64', 'arm64'] },
            { key: Labels.instanceCategory, operator: 'In', values: ['c', 'm', 'r'] },
            { key: Labels.instanceGeneration, operator: 'Gt', values: ['2'] },
          ],
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        },
      },
      limits: { cpu: '1000', memory: '1000Gi' },
      disruption: {
        consolidationPolicy: 'WhenEmptyOrUnderutilized',
        consolidateAfter: '1m',
        budgets: [{ nodes: '10%' }],
      },
    },
  };
}
