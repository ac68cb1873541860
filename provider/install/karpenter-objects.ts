/**
 * The typed NodePools and EC2NodeClasses an install creates (or adopts, when given as resources), with the optional
 * "default" pair.
 */
import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { EC2NodeClass, NodePool, type EC2NodeClassArgs, type NodePoolArgs } from '../../sdk/pulumi';
import { defaultNodeClassArgs, defaultNodePoolArgs } from './defaults';

export interface KarpenterObjectsArgs {
  /** The Kubernetes provider for the cluster. */
  kubernetesProvider: k8s.Provider;
  /** NodePools: existing resources are kept as they are, args are created (key = resource name). @default {} */
  nodePools?: Record<string, NodePool | NodePoolArgs>;
  /** EC2NodeClasses, the same way. @default {} */
  nodeClasses?: Record<string, EC2NodeClass | EC2NodeClassArgs>;
  /** Add a "default" EC2NodeClass and NodePool. @default false */
  defaultNodePool?: boolean;
  /** The cluster the default EC2NodeClass discovers subnets and security groups of. */
  clusterName: pulumi.Input<string>;
  /** The node role the default EC2NodeClass launches with. */
  nodeRoleName: pulumi.Input<string>;
  /**
   * What the objects wait for: the CRDs and the controller, so that on destroy the objects go first, while the
   * controller still runs to drain and terminate their nodes.
   */
  dependsOn: pulumi.Resource[];
}

export interface KarpenterObjects {
  nodeClasses: EC2NodeClass[];
  nodePools: NodePool[];
}

export function createKarpenterObjects(
  name: string,
  args: KarpenterObjectsArgs,
  parent: pulumi.Resource,
): KarpenterObjects {
  const objectOpts = { parent, provider: args.kubernetesProvider, dependsOn: args.dependsOn };
  const nodeClassEntries = Object.entries(args.nodeClasses ?? {});
  const nodePoolEntries = Object.entries(args.nodePools ?? {});
  if (args.defaultNodePool) {
    nodeClassEntries.push(['default', defaultNodeClassArgs(args.clusterName, args.nodeRoleName)]);
    nodePoolEntries.push(['default', defaultNodePoolArgs()]);
  }
  const nodeClasses = nodeClassEntries.map(([key, value]) =>
    EC2NodeClass.isInstance(value)
      ? value
      : new EC2NodeClass(
          `${name}-${key}`,
          { ...value, metadata: value.metadata ?? { name: key } },
          objectOpts,
        ),
  );
  const nodePools = nodePoolEntries.map(([key, value]) =>
    NodePool.isInstance(value)
      ? value
      : new NodePool(
          `${name}-${key}`,
          { ...value, metadata: value.metadata ?? { name: key } },
          // A pool's node class must exist before the pool can launch with it.
          { ...objectOpts, dependsOn: [...objectOpts.dependsOn, ...nodeClasses] },
        ),
  );
  return { nodeClasses, nodePools };
}
