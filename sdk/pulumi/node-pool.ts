import * as pulumi from '@pulumi/pulumi';
import type * as k8s from '@pulumi/kubernetes';
import type { z } from 'zod';
import { nodePoolSchema, type nodePoolSpecSchema, type nodePoolStatusSchema } from '../api/nodepool';
import { customResourceInputs, withProviderVersion, type DeepInput } from './inputs';

/** NodePool.spec as written by a user: defaulted fields optional, any field may be a Pulumi Input. */
export type NodePoolSpecArgs = DeepInput<z.input<typeof nodePoolSpecSchema>>;

export interface NodePoolArgs {
  /** Always karpenter.sh/v1; accepted so that a manifest can be passed through unchanged. */
  apiVersion?: pulumi.Input<'karpenter.sh/v1'>;
  kind?: pulumi.Input<'NodePool'>;
  metadata?: pulumi.Input<k8s.types.input.meta.v1.ObjectMeta>;
  spec: NodePoolSpecArgs;
}

/**
 * A Karpenter NodePool (karpenter.sh/v1), shaped like crd2pulumi's output but typed from, and validated by, the
 * zod schema: invalid args fail at construction (or, when they are Outputs, as soon as they resolve) with every
 * field path and its fix, and the spec sent to the cluster has the schema's defaults applied.
 */
export class NodePool extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'kubernetes:karpenter.sh/v1:NodePool';

  /** Get an existing NodePool by its ID (`name` for a cluster-scoped object) without managing it. */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    opts?: pulumi.CustomResourceOptions,
  ): NodePool {
    return new NodePool(name, undefined, { ...opts, id });
  }

  /** True if `obj` is a NodePool, even one created by another copy of this package. */
  public static override isInstance(obj: unknown): obj is NodePool {
    if (typeof obj !== 'object' || obj === null) return false;
    return (obj as { __pulumiType?: unknown }).__pulumiType === NodePool.__pulumiType;
  }

  // `declare`: a class field would be re-initialised to undefined after super() set the outputs.
  declare public readonly apiVersion: pulumi.Output<'karpenter.sh/v1'>;
  declare public readonly kind: pulumi.Output<'NodePool'>;
  declare public readonly metadata: pulumi.Output<k8s.types.output.meta.v1.ObjectMeta>;
  declare public readonly spec: pulumi.Output<z.output<typeof nodePoolSpecSchema>>;
  declare public readonly status: pulumi.Output<z.output<typeof nodePoolStatusSchema> | undefined>;

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.CustomResourceOptions);
  /** @internal used by `get`: no args, an id in opts. */
  constructor(
    name: string,
    args: NodePoolArgs | undefined,
    opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> },
  );
  constructor(name: string, args: NodePoolArgs | undefined, opts?: pulumi.CustomResourceOptions) {
    const inputs = customResourceInputs(
      nodePoolSchema,
      { apiVersion: 'karpenter.sh/v1', kind: 'NodePool' },
      name,
      args,
      opts,
    );
    super(NodePool.__pulumiType, name, inputs, withProviderVersion(opts));
  }
}
