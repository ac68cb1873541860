import * as pulumi from '@pulumi/pulumi';
import type * as k8s from '@pulumi/kubernetes';
import type { z } from 'zod';
import {
  ec2NodeClassSchema,
  type ec2NodeClassSpecSchema,
  type ec2NodeClassStatusSchema,
} from '../api/ec2nodeclass';
import { customResourceInputs, withProviderVersion, type DeepInput } from './inputs';

/** EC2NodeClass.spec as written by a user: defaulted fields optional, any field may be a Pulumi Input. */
export type EC2NodeClassSpecArgs = DeepInput<z.input<typeof ec2NodeClassSpecSchema>>;

export interface EC2NodeClassArgs {
  /** Always karpenter.k8s.aws/v1; accepted so that a manifest can be passed through unchanged. */
  apiVersion?: pulumi.Input<'karpenter.k8s.aws/v1'>;
  kind?: pulumi.Input<'EC2NodeClass'>;
  metadata?: pulumi.Input<k8s.types.input.meta.v1.ObjectMeta>;
  spec: EC2NodeClassSpecArgs;
}

/**
 * An EC2NodeClass (karpenter.k8s.aws/v1), the AWS side of Karpenter nodes, shaped like crd2pulumi's output
 * but typed from, and validated by, the zod schema: invalid args fail at construction (or, when they are Outputs, as soon as they resolve) with every
 * field path and its fix, and the spec sent to the cluster has the schema's defaults applied.
 */
export class EC2NodeClass extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'kubernetes:karpenter.k8s.aws/v1:EC2NodeClass';

  /** Get an existing EC2NodeClass by its ID (`name` for a cluster-scoped object) without managing it. */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    opts?: pulumi.CustomResourceOptions,
  ): EC2NodeClass {
    return new EC2NodeClass(name, undefined, { ...opts, id });
  }

  /** True if `obj` is a EC2NodeClass, even one created by another copy of this package. */
  public static override isInstance(obj: unknown): obj is EC2NodeClass {
    if (typeof obj !== 'object' || obj === null) return false;
    return (obj as { __pulumiType?: unknown }).__pulumiType === EC2NodeClass.__pulumiType;
  }

  // `declare`: a class field would be re-initialised to undefined after super() set the outputs.
  declare public readonly apiVersion: pulumi.Output<'karpenter.k8s.aws/v1'>;
  declare public readonly kind: pulumi.Output<'EC2NodeClass'>;
  declare public readonly metadata: pulumi.Output<k8s.types.output.meta.v1.ObjectMeta>;
  declare public readonly spec: pulumi.Output<z.output<typeof ec2NodeClassSpecSchema>>;
  declare public readonly status: pulumi.Output<z.output<typeof ec2NodeClassStatusSchema> | undefined>;

  constructor(name: string, args: EC2NodeClassArgs, opts?: pulumi.CustomResourceOptions);
  /** @internal used by `get`: no args, an id in opts. */
  constructor(
    name: string,
    args: EC2NodeClassArgs | undefined,
    opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> },
  );
  constructor(name: string, args: EC2NodeClassArgs | undefined, opts?: pulumi.CustomResourceOptions) {
    const inputs = customResourceInputs(
      ec2NodeClassSchema,
      { apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass' },
      name,
      args,
      opts,
    );
    super(EC2NodeClass.__pulumiType, name, inputs, withProviderVersion(opts));
  }
}
