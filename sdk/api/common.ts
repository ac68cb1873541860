import { z } from 'zod';
import {
  LABEL_KEY_HELP,
  LABEL_VALUE_HELP,
  LABEL_VALUE_PATTERN,
  QUALIFIED_NAME_MAX_LENGTH,
  QUALIFIED_NAME_PATTERN,
} from './labels';

/** Enum errors: `must be "A", "B" or "C" (got "D")`, or `is required: use ...` when the field is missing. */
export function oneOf(values: readonly string[]): (issue: { input?: unknown }) => string {
  const quoted = values.map((v) => `"${v}"`);
  const list =
    quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  return (issue) =>
    issue.input === undefined
      ? `is required: use ${list}`
      : `must be ${list} (got ${JSON.stringify(issue.input)})`;
}

/** A DNS-1123 subdomain: dot-separated labels of lowercase letters, digits and "-", alphanumeric at both ends. */
export const DNS_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS_SUBDOMAIN_MAX_LENGTH = 253;
const DNS_SUBDOMAIN_HELP =
  'use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (e.g. "general-purpose")';

/**
 * Kubernetes object metadata as the controller reads it (wire form: timestamps are RFC 3339 strings). Loose, so
 * server-set fields this package does not model (managedFields, selfLink...) survive a parse.
 */
export const objectMetaSchema = z.looseObject({
  /** The API server requires a DNS-1123 subdomain for a custom resource's name (NameIsDNSSubdomain). */
  name: z
    .string()
    .max(DNS_SUBDOMAIN_MAX_LENGTH, {
      error: `is longer than ${DNS_SUBDOMAIN_MAX_LENGTH} characters: ${DNS_SUBDOMAIN_HELP}`,
    })
    .regex(DNS_SUBDOMAIN_PATTERN, {
      error: (issue) => `is not a valid name (got ${JSON.stringify(issue.input)}): ${DNS_SUBDOMAIN_HELP}`,
    })
    .optional(),
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

/**
 * Go's micro sign, made at run time so the source (and the controller bundle, which V8 keeps in memory, as UTF-16
 * once one character is not ASCII) stays ASCII, while the pattern's source, which the CRDs carry, holds the sign.
 */
const MICRO = String.fromCharCode(0xb5);
/** Go-style durations as `parseDuration` accepts them: "30s", "1h30m", "1.5h", "500ms". */
export const DURATION_PATTERN = new RegExp(`^([0-9]+(\\.[0-9]+)?(ns|us|${MICRO}s|ms|s|m|h))+$`);
/** The duration form Karpenter's API fields accept: whole hours, minutes and seconds. */
export const KARPENTER_DURATION_PATTERN = /^([0-9]+(s|m|h))+$/;
/** Budget durations: hours and minutes only, because cron schedules have no seconds. */
export const BUDGET_DURATION_PATTERN = /^([0-9]+h([0-9]+m)?|[0-9]+m)(0s)?$/;

/** A duration field of the Karpenter API ("30s", "15m", "1h30m", "720h"). */
export const durationSchema = z.string().regex(KARPENTER_DURATION_PATTERN, {
  error: (issue) =>
    `must be a duration in whole hours, minutes and seconds, such as "30s", "15m", "1h30m" or "720h" (got ${JSON.stringify(issue.input)})`,
});
/** A duration field that may also be "Never" (expireAfter, consolidateAfter). */
export const durationOrNeverSchema = z.string().regex(/^(([0-9]+(s|m|h))+|Never)$/, {
  error: (issue) =>
    `must be "Never" or a duration in whole hours, minutes and seconds, such as "30s", "15m" or "720h" (got ${JSON.stringify(issue.input)})`,
});
/** Any Go duration (kubelet grace periods are metav1.Duration). */
export const goDurationSchema = z.string().regex(DURATION_PATTERN, {
  error: (issue) =>
    `must be a duration such as "90s", "1m30s" or "500ms" (got ${JSON.stringify(issue.input)})`,
});

/** A label key (requirement keys, taint keys). */
export const labelKeySchema = z
  .string()
  .max(QUALIFIED_NAME_MAX_LENGTH, { error: `is too long: ${LABEL_KEY_HELP}` })
  .regex(QUALIFIED_NAME_PATTERN, {
    error: (issue) => `is not a valid label key (got ${JSON.stringify(issue.input)}): ${LABEL_KEY_HELP}`,
  });
/** A label value (template labels, requirement values, taint values). */
export const labelValueSchema = z.string().regex(LABEL_VALUE_PATTERN, {
  error: (issue) => `is not a valid label value (got ${JSON.stringify(issue.input)}): ${LABEL_VALUE_HELP}`,
});

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

/**
 * The shape of a requirement. Its operator/value rules are refinements added where it is used (see
 * `requirementSchema` in nodepool.ts), because NodePools and NodeClaims restrict keys differently.
 */
export const nodeSelectorRequirementSchema = z.strictObject({
  key: labelKeySchema,
  operator: z.enum(requirementOperators, { error: oneOf(requirementOperators) }),
  values: z.array(labelValueSchema).meta({ 'x-kubernetes-list-type': 'atomic' }).optional(),
  /** Karpenter extension: the minimum number of distinct values the launch must keep flexible. */
  minValues: z
    .number()
    .int({ error: 'must be a whole number from 1 to 50' })
    .min(1, { error: 'must be at least 1: use a whole number from 1 to 50, or remove minValues' })
    .max(50, { error: 'must be at most 50: lower minValues' })
    .optional(),
});
export type NodeSelectorRequirement = z.infer<typeof nodeSelectorRequirementSchema>;

export const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export const taintSchema = z.strictObject({
  key: labelKeySchema,
  value: labelValueSchema.optional(),
  effect: z.enum(taintEffects, { error: oneOf(taintEffects) }),
  timeAdded: z.string().optional(),
});
export type Taint = z.infer<typeof taintSchema>;

/** The Kubernetes resource.Quantity grammar: an optional sign, a decimal number, then a binary/decimal suffix or exponent. */
export const QUANTITY_PATTERN =
  /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))?$/;
const QUANTITY_HELP = 'use a number with an optional unit, such as 4, "500m", "16Gi" or "1e3"';
const quantityError = (issue: { input?: unknown }) =>
  `is not a resource quantity (got ${JSON.stringify(issue.input)}): ${QUANTITY_HELP}`;
/** A Kubernetes resource quantity: "200m", "4Gi", or a plain number. */
export const quantitySchema = z.union(
  [z.string().regex(QUANTITY_PATTERN, { error: quantityError }), z.number()],
  {
    error: quantityError,
  },
);
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
/**
 * NodePool and NodeClaim status.conditions: a list keyed by type, as upstream's CRDs have it, so the API server
 * keeps one condition per type. Only the controller writes status, so zod leaves that check to the API server.
 */
export const conditionListSchema = z
  .array(conditionSchema)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

/** Parse a Go-style duration into milliseconds. */
export function parseDuration(value: string): number {
  if (!DURATION_PATTERN.test(value)) {
    throw new Error(`invalid duration "${value}": use a number with a unit, such as "30s", "15m" or "720h"`);
  }
  const unitMs: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    [`${MICRO}s`]: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  for (const match of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) {
    total += Number(match[1]) * (unitMs[match[2] as string] as number);
  }
  return total;
}

/** A duration that may be "Never": returns undefined for Never. */
export function parseDurationOrNever(value: string | undefined): number | undefined {
  if (value === undefined || value === 'Never') return undefined;
  return parseDuration(value);
}
