/**
 * NodeOverlay (karpenter.sh/v1alpha1, behind the NodeOverlay feature gate as upstream core v1.15): selects instance
 * types and offerings by requirements and changes what the scheduler believes about them: their price (`price`
 * replaces it, `priceAdjustment` changes it) and extended resources (`capacity`). `weight` orders overlays that
 * select the same offering; the controller marks those of equal weight that collide (runtime/controllers/nodeoverlay).
 */
import { z } from 'zod';
import {
  conditionListSchema,
  nodeSelectorRequirementSchema,
  objectMetaSchema,
  resourceListSchema,
} from './common';
import { checkRequirement } from './nodepool';
import { report, Rules, whenClean } from './rules';

/** Lists are replaced whole on a merge, as upstream's CRD says (`x-kubernetes-list-type: atomic`). */
const ATOMIC_LIST = { 'x-kubernetes-list-type': 'atomic' } as const;

/** A fixed price in USD per hour, as upstream's pattern: digits with an optional fraction ("0.25"). */
export const OVERLAY_PRICE_PATTERN = /^[0-9]+(\.[0-9]+)?$/;
/**
 * upstream's priceAdjustment pattern: a signed amount ("+0.05", "-0.5"), an increase in percent ("+10%"), or a
 * decrease of at most 100% ("-15%", "-100%").
 */
export const OVERLAY_PRICE_ADJUSTMENT_PATTERN =
  /^([+-][0-9]*\.?[0-9]+|\+[0-9]*\.?[0-9]+%|-[0-9]{1,2}(\.[0-9]+)?%|-100%)$/;
/** Resources an overlay may not set: the instance type's own (upstream's WellKnownResources). */
export const OVERLAY_RESTRICTED_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pods'] as const;

/** A requirement of an overlay: a NodePool requirement without minValues, with the keys an overlay may name. */
export const nodeOverlayRequirementSchema = nodeSelectorRequirementSchema
  .omit({ minValues: true })
  .superRefine((req, ctx) => checkRequirement(req, ctx, 'NodeOverlay'));

export const nodeOverlaySpecSchema = z
  .strictObject({
    /**
     * Which instance types and offerings the overlay applies to: well-known labels (instance type, family, zone,
     * capacity type, karpenter.sh/nodepool ...) and the labels of a NodePool's template. Required, as upstream;
     * an empty list selects every offering.
     */
    requirements: z
      .array(nodeOverlayRequirementSchema, {
        error: (issue) =>
          issue.input === undefined
            ? 'is required: list the requirements the overlay selects on, or write requirements: [] to select every instance type'
            : undefined,
      })
      .max(100, { error: 'has more than 100 requirements: merge or drop some' })
      .meta(ATOMIC_LIST),
    /** Changes the selected offerings' price: "+0.05" / "-0.5" (USD per hour) or "+10%" / "-15%" (at most -100%). */
    priceAdjustment: z
      .string()
      .regex(OVERLAY_PRICE_ADJUSTMENT_PATTERN, {
        error: (issue) =>
          `must be a signed amount such as "-0.5" or "+0.05", or a percentage such as "+10%" or "-15%" (a decrease of at most "-100%") (got ${JSON.stringify(issue.input)})`,
      })
      .optional(),
    /** Replaces the selected offerings' price, in USD per hour ("0.25"). */
    price: z
      .string()
      .regex(OVERLAY_PRICE_PATTERN, {
        error: (issue) =>
          `must be a non-negative price such as "0.25" (USD per hour, no sign or unit) (got ${JSON.stringify(issue.input)})`,
      })
      .optional(),
    /** Extended resources added to (or replaced on) the selected instance types' capacity. */
    capacity: resourceListSchema
      .superRefine((capacity, ctx) => {
        for (const name of Object.keys(capacity)) {
          if ((OVERLAY_RESTRICTED_RESOURCES as readonly string[]).includes(name))
            report(ctx, Rules.overlayCapacityRestricted, [name], `got "${name}"`);
        }
      })
      .optional(),
    /**
     * Precedence among overlays selecting the same offering: higher first; equal weights are taken in reverse
     * alphabetical order of their names, and collide when both set the same thing. Unset counts as 0.
     */
    weight: z
      .number()
      .int({ error: 'must be a whole number from 1 to 10000' })
      .min(1, { error: 'must be at least 1: use 1 to 10000 (higher wins), or remove weight' })
      .max(10000, { error: 'must be at most 10000: use 1 to 10000 (higher wins)' })
      .optional(),
  })
  .superRefine(
    (spec, ctx) => {
      if (spec.price !== undefined && spec.priceAdjustment !== undefined)
        report(ctx, Rules.overlayPriceExclusive, ['priceAdjustment']);
    },
    whenClean('price', 'priceAdjustment'),
  );

export const nodeOverlayStatusSchema = z.looseObject({
  conditions: conditionListSchema.optional(),
});

export const NODE_OVERLAY_API_VERSION = 'karpenter.sh/v1alpha1';

export const nodeOverlaySchema = z.strictObject({
  apiVersion: z.literal(NODE_OVERLAY_API_VERSION, { error: `must be "${NODE_OVERLAY_API_VERSION}"` }),
  kind: z.literal('NodeOverlay', { error: 'must be "NodeOverlay"' }),
  metadata: objectMetaSchema,
  spec: nodeOverlaySpecSchema,
  status: nodeOverlayStatusSchema.optional(),
});

export type NodeOverlay = z.infer<typeof nodeOverlaySchema>;
export type NodeOverlayInput = z.input<typeof nodeOverlaySchema>;
export type NodeOverlaySpec = z.infer<typeof nodeOverlaySpecSchema>;

/** NodeOverlay annotations upstream stamps on NodeClaims launched from overlaid instance types (v1alpha1/labels.go). */
export const NodeOverlayAnnotations = {
  priceOverlayApplied: 'karpenter.sh/price-overlay-applied',
  capacityOverlayApplied: 'karpenter.sh/capacity-overlay-applied',
} as const;
