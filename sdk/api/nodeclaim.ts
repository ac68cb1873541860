import { z } from 'zod';
import { conditionSchema, objectMetaSchema, resourceListSchema } from './common';
import { nodeClaimTemplateSpecSchema } from './nodepool';

export const nodeClaimSchema = z.object({
  apiVersion: z.literal('karpenter.sh/v1'),
  kind: z.literal('NodeClaim'),
  metadata: objectMetaSchema,
  spec: nodeClaimTemplateSpecSchema.extend({
    resources: z.object({ requests: resourceListSchema.optional() }).optional(),
  }),
  status: z
    .object({
      nodeName: z.string().optional(),
      providerID: z.string().optional(),
      imageID: z.string().optional(),
      capacity: resourceListSchema.optional(),
      allocatable: resourceListSchema.optional(),
      lastPodEventTime: z.string().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});

export type NodeClaim = z.infer<typeof nodeClaimSchema>;
export type NodeClaimInput = z.input<typeof nodeClaimSchema>;
