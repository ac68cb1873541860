import { z } from 'zod';

/** Kubernetes object metadata as the controller reads it (wire form: timestamps are RFC 3339 strings). */
export const objectMetaSchema = z.object({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z
    .array(
      z.object({
        apiVersion: z.string(),
        kind: z.string(),
        name: z.string(),
        uid: z.string(),
        controller: z.boolean().optional(),
        blockOwnerDeletion: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** Go-style durations as Karpenter accepts them: "30s", "1h30m", "720h". */
export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
export const durationSchema = z
  .string()
  .regex(DURATION_PATTERN, { message: 'must be a duration such as "30s", "15m" or "720h"' });
export const durationOrNeverSchema = z.union([z.literal('Never'), durationSchema]);

export const requirementOperators = [
  'In',
  'NotIn',
  'Exists',
  'DoesNotExist',
  'Gt',
  'Lt',
  'Gte',
  'Lte',
] as const;
export type RequirementOperator = (typeof requirementOperators)[number];

export const nodeSelectorRequirementSchema = z.object({
  key: z.string().min(1),
  operator: z.enum(requirementOperators),
  values: z.array(z.string()).optional(),
  /** Karpenter extension: the minimum number of distinct values the launch must keep flexible. */
  minValues: z.number().int().min(1).max(50).optional(),
});
export type NodeSelectorRequirement = z.infer<typeof nodeSelectorRequirementSchema>;

export const taintSchema = z.object({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  timeAdded: z.string().optional(),
});
export type Taint = z.infer<typeof taintSchema>;

/** A Kubernetes resource quantity: "200m", "4Gi", or a plain number. */
export const quantitySchema = z.union([
  z.string().regex(/^[+-]?[0-9.]+([eE][+-]?[0-9]+)?([a-zA-Z]{0,2})$/),
  z.number(),
]);
export const resourceListSchema = z.record(z.string(), quantitySchema);
export type ResourceListInput = z.infer<typeof resourceListSchema>;

export const conditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

/** Parse a Go-style duration into milliseconds. */
export function parseDuration(value: string): number {
  if (!DURATION_PATTERN.test(value)) {
    throw new Error(`invalid duration "${value}": use a number with a unit, such as "30s", "15m" or "720h"`);
  }
  const unitMs: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  for (const match of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(match[1]) * (unitMs[match[2] as string] as number);
  }
  return total;
}

/** A duration that may be "Never": returns undefined for Never. */
export function parseDurationOrNever(value: string | undefined): number | undefined {
  if (value === undefined || value === 'Never') return undefined;
  return parseDuration(value);
}
