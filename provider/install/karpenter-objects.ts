/**
 * The typed NodePools and EC2NodeClasses an install creates, from args or from a function given the install's
 * resource options, with the optional "default" pair. A resource built before the install is refused (validate.ts):
 * it could not wait for the CRDs and the controller, so on destroy the controller could go while its nodes drain.
 */
import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { EC2NodeClass, NodePool, type EC2NodeClassArgs, type NodePoolArgs } from '../../sdk/pulumi';
import { defaultNodeClassArgs, defaultNodePoolArgs } from './defaults';

/**
 * Builds a typed object with the options the install gives it (parent, provider, and `dependsOn` the CRDs, the
 * controller, and for a NodePool every EC2NodeClass), e.g. `(opts) => new NodePool('web', args, opts)`; add your
 * own options with `{ ...opts, ...yours }`, keeping `opts.dependsOn`.
 */
export type ObjectFactory<T> = (opts: pulumi.CustomResourceOptions & { dependsOn: pulumi.Resource[] }) => T;

export interface KarpenterObjectsArgs {
  /** The Kubernetes provider for the cluster. */
  kubernetesProvider: k8s.Provider;
  /** NodePools to create: args, or a function building one with the install's options (key = name). @default {} */
  nodePools?: Record<string, NodePoolArgs | ObjectFactory<NodePool>>;
  /** EC2NodeClasses, the same way. @default {} */
  nodeClasses?: Record<string, EC2NodeClassArgs | ObjectFactory<EC2NodeClass>>;
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
    typeof value === 'function'
      ? value({ ...objectOpts })
      : new EC2NodeClass(
          `${name}-${key}`,
          { ...value, metadata: value.metadata ?? { name: key } },
          objectOpts,
        ),
  );
  // A pool's node class must exist before the pool can launch with it.
  const poolOpts = { ...objectOpts, dependsOn: [...objectOpts.dependsOn, ...nodeClasses] };
  const nodePools = nodePoolEntries.map(([key, value]) =>
    typeof value === 'function'
      ? value({ ...poolOpts })
      : new NodePool(`${name}-${key}`, { ...value, metadata: value.metadata ?? { name: key } }, poolOpts),
  );
  return { nodeClasses, nodePools };
}
