/** `karpenter.sh/discovery=<cluster>` on existing subnets and security groups, which node classes select by. */
import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { DISCOVERY_TAG } from './defaults';

export interface DiscoveryTagArgs {
  /** The tag's value. */
  clusterName: pulumi.Input<string>;
  /** Subnets nodes may launch into. @default [] */
  subnetIds?: pulumi.Input<string>[];
  /** Security groups nodes may use. @default [] */
  securityGroupIds?: pulumi.Input<string>[];
}

export function createDiscoveryTags(
  name: string,
  args: DiscoveryTagArgs,
  parent: pulumi.Resource,
): aws.ec2.Tag[] {
  const tag = (kind: string, ids: pulumi.Input<string>[] | undefined): aws.ec2.Tag[] =>
    (ids ?? []).map(
      (id, i) =>
        new aws.ec2.Tag(
          `${name}-discovery-${kind}-${i}`,
          { resourceId: id, key: DISCOVERY_TAG, value: args.clusterName },
          { parent },
        ),
    );
  return [...tag('subnet', args.subnetIds), ...tag('sg', args.securityGroupIds)];
}
