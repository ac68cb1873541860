import * as pulumi from '@pulumi/pulumi';
import type * as k8s from '@pulumi/kubernetes';
import type { z } from 'zod';
import {
  capacityBufferSchema,
  type capacityBufferSpecSchema,
  type capacityBufferStatusSchema,
} from '../api/capacitybuffer';
import { customResourceInputs, withProviderVersion, type DeepInput } from './inputs';

/** CapacityBuffer.spec as written by a user: any field may be a Pulumi Input. */
export type CapacityBufferSpecArgs = DeepInput<z.input<typeof capacityBufferSpecSchema>>;

export interface CapacityBufferArgs {
  /** Always autoscaling.x-k8s.io/v1beta1; accepted so that a manifest can be passed through unchanged. */
  apiVersion?: pulumi.Input<'autoscaling.x-k8s.io/v1beta1'>;
  kind?: pulumi.Input<'CapacityBuffer'>;
  metadata?: pulumi.Input<k8s.types.input.meta.v1.ObjectMeta>;
  spec: CapacityBufferSpecArgs;
}

/**
 * A CapacityBuffer (autoscaling.x-k8s.io/v1beta1; the controller keeps its spare capacity with the CapacityBuffer
 * feature gate on), typed from and validated by the zod schema like NodePool: invalid args fail at construction (or
 * when their Outputs resolve) with every field path and its fix. Namespaced: set metadata.namespace.
 */
export class CapacityBuffer extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'kubernetes:autoscaling.x-k8s.io/v1beta1:CapacityBuffer';

  /** Get an existing CapacityBuffer by its ID (`namespace/name`) without managing it. */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    opts?: pulumi.CustomResourceOptions,
  ): CapacityBuffer {
    return new CapacityBuffer(name, undefined, { ...opts, id });
  }

  /** True if `obj` is a CapacityBuffer, even one created by another copy of this package. */
  public static override isInstance(obj: unknown): obj is CapacityBuffer {
    if (typeof obj !== 'object' || obj === null) return false;
    return (obj as { __pulumiType?: unknown }).__pulumiType === CapacityBuffer.__pulumiType;
  }

  // `declare`: a class field would be re-initialised to undefined after super() set the outputs.
  declare public readonly apiVersion: pulumi.Output<'autoscaling.x-k8s.io/v1beta1'>;
  declare public readonly kind: pulumi.Output<'CapacityBuffer'>;
  declare public readonly metadata: pulumi.Output<k8s.types.output.meta.v1.ObjectMeta>;
  declare public readonly spec: pulumi.Output<z.output<typeof capacityBufferSpecSchema>>;
  declare public readonly status: pulumi.Output<z.output<typeof capacityBufferStatusSchema> | undefined>;

  constructor(name: string, args: CapacityBufferArgs, opts?: pulumi.CustomResourceOptions);
  /** @internal used by `get`: no args, an id in opts. */
  constructor(
    name: string,
    args: CapacityBufferArgs | undefined,
    opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> },
  );
  constructor(name: string, args: CapacityBufferArgs | undefined, opts?: pulumi.CustomResourceOptions) {
    const inputs = customResourceInputs(
      capacityBufferSchema,
      { apiVersion: 'autoscaling.x-k8s.io/v1beta1', kind: 'CapacityBuffer' },
      name,
      args,
      opts,
    );
    super(CapacityBuffer.__pulumiType, name, inputs, withProviderVersion(opts));
  }
}
