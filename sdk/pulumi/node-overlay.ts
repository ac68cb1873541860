import * as pulumi from '@pulumi/pulumi';
import type * as k8s from '@pulumi/kubernetes';
import type { z } from 'zod';
import {
  nodeOverlaySchema,
  type nodeOverlaySpecSchema,
  type nodeOverlayStatusSchema,
} from '../api/nodeoverlay';
import { customResourceInputs, withProviderVersion, type DeepInput } from './inputs';

/** NodeOverlay.spec as written by a user: any field may be a Pulumi Input. */
export type NodeOverlaySpecArgs = DeepInput<z.input<typeof nodeOverlaySpecSchema>>;

export interface NodeOverlayArgs {
  /** Always karpenter.sh/v1alpha1; accepted so that a manifest can be passed through unchanged. */
  apiVersion?: pulumi.Input<'karpenter.sh/v1alpha1'>;
  kind?: pulumi.Input<'NodeOverlay'>;
  metadata?: pulumi.Input<k8s.types.input.meta.v1.ObjectMeta>;
  spec: NodeOverlaySpecArgs;
}

/**
 * A Karpenter NodeOverlay (karpenter.sh/v1alpha1; the controller applies it with the NodeOverlay feature gate on),
 * typed from and validated by the zod schema like NodePool: invalid args fail at construction (or when their
 * Outputs resolve) with every field path and its fix.
 */
export class NodeOverlay extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'kubernetes:karpenter.sh/v1alpha1:NodeOverlay';

  /** Get an existing NodeOverlay by its ID (`name`, it is cluster-scoped) without managing it. */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    opts?: pulumi.CustomResourceOptions,
  ): NodeOverlay {
    return new NodeOverlay(name, undefined, { ...opts, id });
  }

  /** True if `obj` is a NodeOverlay, even one created by another copy of this package. */
  public static override isInstance(obj: unknown): obj is NodeOverlay {
    if (typeof obj !== 'object' || obj === null) return false;
    return (obj as { __pulumiType?: unknown }).__pulumiType === NodeOverlay.__pulumiType;
  }

  // `declare`: a class field would be re-initialised to undefined after super() set the outputs.
  declare public readonly apiVersion: pulumi.Output<'karpenter.sh/v1alpha1'>;
  declare public readonly kind: pulumi.Output<'NodeOverlay'>;
  declare public readonly metadata: pulumi.Output<k8s.types.output.meta.v1.ObjectMeta>;
  declare public readonly spec: pulumi.Output<z.output<typeof nodeOverlaySpecSchema>>;
  declare public readonly status: pulumi.Output<z.output<typeof nodeOverlayStatusSchema> | undefined>;

  constructor(name: string, args: NodeOverlayArgs, opts?: pulumi.CustomResourceOptions);
  /** @internal used by `get`: no args, an id in opts. */
  constructor(
    name: string,
    args: NodeOverlayArgs | undefined,
    opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> },
  );
  constructor(name: string, args: NodeOverlayArgs | undefined, opts?: pulumi.CustomResourceOptions) {
    const inputs = customResourceInputs(
      nodeOverlaySchema,
      { apiVersion: 'karpenter.sh/v1alpha1', kind: 'NodeOverlay' },
      name,
      args,
      opts,
    );
    super(NodeOverlay.__pulumiType, name, inputs, withProviderVersion(opts));
  }
}
