/** Builders for the interruption tests: a spot NodeClaim and its Node for one EC2 instance. */
import { nodeClaimSchema } from '../../../sdk/api/nodeclaim';
import { Labels } from '../../../sdk/api/well-known';
import type { Node, NodeClaim } from '../../kube/objects';

export function spotClaim(
  name: string,
  instanceId: string,
  opts: { zone: string; instanceType: string; metadata?: Partial<NodeClaim['metadata']> },
): NodeClaim {
  return nodeClaimSchema.parse({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name,
      labels: {
        [Labels.instanceType]: opts.instanceType,
        [Labels.zone]: opts.zone,
        [Labels.capacityType]: 'spot',
      },
      ...opts.metadata,
    },
    spec: {
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      requirements: [],
    },
    status: { providerID: `aws:///${opts.zone}/${instanceId}` },
  });
}

export function nodeFor(name: string, instanceId: string, zone: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: { providerID: `aws:///${zone}/${instanceId}` },
  };
}
