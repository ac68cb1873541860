import { z } from 'zod';
import {
  conditionSchema,
  durationOrNeverSchema,
  durationSchema,
  nodeSelectorRequirementSchema,
  objectMetaSchema,
  resourceListSchema,
  taintSchema,
} from './common';
import { DisruptionReasons } from './well-known';

export const nodeClassReferenceSchema = z.object({
  group: z.string().min(1),
  kind: z.string().min(1),
  name: z.string().min(1),
});

export const budgetSchema = z.object({
  /** A count ("5") or a percentage of the pool's nodes ("10%"). */
  nodes: z.string().regex(/^((100|[0-9]{1,2})%|[0-9]+)$/, {
    message: 'must be a whole number of nodes ("5") or a percentage ("10%")',
  }),
  /** Cron schedule in UTC; the budget is active for `duration` after each firing. */
  schedule: z.string().optional(),
  duration: durationSchema.optional(),
  reasons: z.array(z.enum(DisruptionReasons)).optional(),
});
export type Budget = z.infer<typeof budgetSchema>;

/** Fields of a NodeClaim that a NodePool stamps out: shared by NodePool.spec.template.spec and NodeClaim.spec. */
export const nodeClaimTemplateSpecSchema = z.object({
  requirements: z.array(nodeSelectorRequirementSchema).max(100).default([]),
  taints: z.array(taintSchema).optional(),
  startupTaints: z.array(taintSchema).optional(),
  nodeClassRef: nodeClassReferenceSchema,
  /** @default "720h" */
  expireAfter: durationOrNeverSchema.default('720h'),
  terminationGracePeriod: durationSchema.optional(),
});

export const disruptionSchema = z.object({
  /** @default "WhenEmptyOrUnderutilized" */
  consolidationPolicy: z.enum(['WhenEmpty', 'WhenEmptyOrUnderutilized']).default('WhenEmptyOrUnderutilized'),
  /** @default "0s" */
  consolidateAfter: durationOrNeverSchema.default('0s'),
  /** @default [{ nodes: "10%" }] */
  budgets: z
    .array(budgetSchema)
    .max(50)
    .default([{ nodes: '10%' }]),
});

export const nodePoolSpecSchema = z.object({
  template: z.object({
    metadata: z
      .object({
        labels: z.record(z.string(), z.string()).optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
    spec: nodeClaimTemplateSpecSchema,
  }),
  disruption: disruptionSchema.default({
    consolidationPolicy: 'WhenEmptyOrUnderutilized',
    consolidateAfter: '0s',
    budgets: [{ nodes: '10%' }],
  }),
  limits: resourceListSchema.optional(),
  weight: z.number().int().min(1).max(100).optional(),
});

export const nodePoolSchema = z.object({
  apiVersion: z.literal('karpenter.sh/v1'),
  kind: z.literal('NodePool'),
  metadata: objectMetaSchema,
  spec: nodePoolSpecSchema,
  status: z
    .object({
      resources: resourceListSchema.optional(),
      nodes: z.number().int().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});

/** A NodePool after defaults are applied: what the controller works with. */
export type NodePool = z.infer<typeof nodePoolSchema>;
/** A NodePool as a user writes it: defaulted fields are optional. */
export type NodePoolInput = z.input<typeof nodePoolSchema>;
export type NodeClaimTemplateSpec = z.infer<typeof nodeClaimTemplateSpecSchema>;
