/**
 * CapacityBuffer (autoscaling.x-k8s.io/v1beta1, behind the CapacityBuffer feature gate as upstream core v1.15):
 * spare capacity kept ready ahead of demand. A buffer names the shape of one chunk (a PodTemplate, or the pod
 * template of a Deployment, StatefulSet or ReplicaSet) and how many chunks to keep room for (`replicas`, a
 * `percentage` of the workload's replicas, bounded or sized by `limits`). The controller turns it into virtual
 * pods the provisioner plans with real pending pods, last, and consolidation keeps room for
 * (runtime/controllers/capacity-buffer).
 */
import { z } from 'zod';
import { conditionListSchema, objectMetaSchema, oneOf, resourceListSchema } from './common';
import { report, Rules, whenClean } from './rules';

export const CAPACITY_BUFFER_API_VERSION = 'autoscaling.x-k8s.io/v1beta1';

/** The only provisioning strategy (upstream's ActiveProvisioningStrategy): placeholder pods scale the cluster up. */
export const ACTIVE_PROVISIONING_STRATEGY = 'buffer.x-k8s.io/active-capacity';
export const provisioningStrategies = [ACTIVE_PROVISIONING_STRATEGY] as const;

/** The workload kinds a scalableRef may name, all in the apps group (upstream's supported kinds). */
export const SCALABLE_REF_KINDS = ['Deployment', 'StatefulSet', 'ReplicaSet'] as const;

/** Upstream's condition types and reasons (v1beta1/constants.go, controllers/capacitybuffer/constants.go). */
export const CapacityBufferConditions = {
  readyForProvisioning: 'ReadyForProvisioning',
  provisioning: 'Provisioning',
} as const;
export const CapacityBufferReasons = {
  resolved: 'Resolved',
  scalableRefNotFound: 'ScalableRefNotFound',
  podTemplateNotFound: 'PodTemplateNotFound',
  resolutionFailed: 'ResolutionFailed',
  fitsExistingCapacity: 'FitsExistingCapacity',
  requiresNewCapacity: 'RequiresNewCapacity',
  notReadyForProvisioning: 'NotReadyForProvisioning',
  bufferEmpty: 'BufferEmpty',
} as const;

/** Annotations upstream stamps on a buffer's virtual pods (v1beta1/constants.go). */
export const CapacityBufferAnnotations = {
  fakePod: 'karpenter.sh/capacity-buffer-fake-pod',
  bufferName: 'karpenter.sh/capacity-buffer-name',
  bufferNamespace: 'karpenter.sh/capacity-buffer-namespace',
} as const;

/** The priority of a virtual pod (upstream's VirtualPodPriority, the lowest int32): real pods come first. */
export const VIRTUAL_POD_PRIORITY = -2147483648;

const INT32_MAX = 2147483647;
const count = (what: string) =>
  z
    .number()
    .int({ error: `must be a whole number: ${what}` })
    .min(0, { error: `must be 0 or more: ${what}` })
    .max(INT32_MAX, { error: `must be at most ${INT32_MAX}: ${what}` });

const nameSchema = z
  .string({ error: 'is required: the name of the object in the buffer’s namespace' })
  .min(1, { error: 'must not be empty: the name of the object in the buffer’s namespace' });

export const capacityBufferSpecSchema = z
  .strictObject({
    /**
     * How the buffer is used: "buffer.x-k8s.io/active-capacity", the only strategy, keeps room by planning
     * placeholder pods.
     * @default "buffer.x-k8s.io/active-capacity"
     */
    provisioningStrategy: z
      .enum(provisioningStrategies, { error: oneOf(provisioningStrategies) })
      .default(ACTIVE_PROVISIONING_STRATEGY),
    /** A PodTemplate in the buffer's namespace: the shape of one chunk. Exclusive with scalableRef. */
    podTemplateRef: z.strictObject({ name: nameSchema }).optional(),
    /**
     * A Deployment, StatefulSet or ReplicaSet (apiGroup "apps" or empty) in the buffer's namespace: its pod
     * template is the chunk's shape and its replicas the base of `percentage`. Exclusive with podTemplateRef.
     */
    scalableRef: z
      .strictObject({
        /** The referent's API group; empty means "apps" here, as upstream. */
        apiGroup: z.string().optional(),
        kind: z
          .string({ error: 'is required: Deployment, StatefulSet or ReplicaSet' })
          .min(1, { error: 'must not be empty: Deployment, StatefulSet or ReplicaSet' }),
        name: nameSchema,
      })
      .optional(),
    /** How many chunks to keep room for. With percentage, the larger of the two; limits bound both. */
    replicas: count('the number of chunks to keep room for').optional(),
    /** Chunks as a share of the scalableRef's replicas, in percent, rounded up (at least 1 of a running workload). */
    percentage: count('a share of the workload’s replicas, in percent').optional(),
    /**
     * Resource totals (cpu, memory ...) the chunks may request together: an upper bound on replicas/percentage,
     * or, alone, as many chunks as fit. Only resources the chunk requests count.
     */
    limits: resourceListSchema.optional(),
  })
  .superRefine(
    (spec, ctx) => {
      if (spec.podTemplateRef && spec.replicas === undefined && spec.limits === undefined)
        report(ctx, Rules.bufferTemplateNeedsSize, ['replicas']);
      if (spec.podTemplateRef && spec.scalableRef) report(ctx, Rules.bufferOneRef, ['scalableRef']);
      if (spec.percentage !== undefined && !spec.scalableRef)
        report(ctx, Rules.bufferPercentageNeedsScalable, ['percentage']);
    },
    whenClean('podTemplateRef', 'scalableRef', 'replicas', 'limits', 'percentage'),
  );

export const capacityBufferStatusSchema = z.looseObject({
  conditions: conditionListSchema.optional(),
  /** The PodTemplate the buffer was resolved from (podTemplateRef buffers). */
  podTemplateRef: z.looseObject({ name: z.string() }).optional(),
  /** That PodTemplate's metadata.generation when resolved. */
  podTemplateGeneration: z.number().int().optional(),
  /** The chunks the buffer keeps room for. */
  replicas: z.number().int().optional(),
  provisioningStrategy: z.string().optional(),
});

export const capacityBufferSchema = z.strictObject({
  apiVersion: z.literal(CAPACITY_BUFFER_API_VERSION, { error: `must be "${CAPACITY_BUFFER_API_VERSION}"` }),
  kind: z.literal('CapacityBuffer', { error: 'must be "CapacityBuffer"' }),
  metadata: objectMetaSchema,
  spec: capacityBufferSpecSchema,
  status: capacityBufferStatusSchema.optional(),
});

export type CapacityBuffer = z.infer<typeof capacityBufferSchema>;
export type CapacityBufferInput = z.input<typeof capacityBufferSchema>;
export type CapacityBufferSpec = z.infer<typeof capacityBufferSpecSchema>;
export type CapacityBufferStatus = z.infer<typeof capacityBufferStatusSchema>;
