import { z } from 'zod';
import { conditionListSchema, objectMetaSchema, resourceListSchema } from './common';
import { nodeClaimSpecShape } from './nodepool';

/** NodeClaim.spec: the template spec plus the resources the launch must fit. Immutable once created. */
export const nodeClaimSpecSchema = z.strictObject(nodeClaimSpecShape);

export const nodeClaimStatusSchema = z.looseObject({
  nodeName: z.string().optional(),
  providerID: z.string().optional(),
  imageID: z.string().optional(),
  capacity: resourceListSchema.optional(),
  allocatable: resourceListSchema.optional(),
  lastPodEventTime: z.string().optional(),
  conditions: conditionListSchema.optional(),
});

export const nodeClaimSchema = z.strictObject({
  apiVersion: z.literal('karpenter.sh/v1', { error: 'must be "karpenter.sh/v1"' }),
  kind: z.literal('NodeClaim', { error: 'must be "NodeClaim"' }),
  metadata: objectMetaSchema,
  spec: nodeClaimSpecSchema,
  status: nodeClaimStatusSchema.optional(),
});

export type NodeClaim = z.infer<typeof nodeClaimSchema>;
export type NodeClaimInput = z.input<typeof nodeClaimSchema>;
export type NodeClaimSpec = z.infer<typeof nodeClaimSpecSchema>;
