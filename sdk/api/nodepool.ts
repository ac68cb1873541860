import { z } from 'zod';
import { parseBudgetSchedule } from './budget-schedule';
import {
  BUDGET_DURATION_PATTERN,
  conditionListSchema,
  durationOrNeverSchema,
  durationSchema,
  labelValueSchema,
  nodeSelectorRequirementSchema,
  objectMetaSchema,
  oneOf,
  resourceListSchema,
  taintSchema,
  type NodeSelectorRequirement,
} from './common';
import {
  isQualifiedName,
  restrictedLabelViolation,
  type LabelKeyOwner,
  type RestrictedLabelViolation,
} from './labels';
import { report, Rules, whenClean, type IssueSink, type Rule } from './rules';
import { DisruptionReasons } from './well-known';

const RESTRICTED_LABEL_RULES: Record<RestrictedLabelViolation, Rule> = {
  hostname: Rules.labelHostnameRestricted,
  nodepool: Rules.labelNodePoolRestricted,
  ec2nodeclass: Rules.labelNodeClassRestricted,
  'karpenter.sh': Rules.labelKarpenterShRestricted,
  'karpenter.k8s.aws': Rules.labelKarpenterK8sAwsRestricted,
};

const INTEGER_OPERATORS = new Set(['Gt', 'Lt', 'Gte', 'Lte']);

/** The operator/value rules and the restricted keys (which differ between NodePools and NodeClaims: labels.ts). */
export function checkRequirement(req: NodeSelectorRequirement, ctx: IssueSink, owner: LabelKeyOwner): void {
  const values = req.values ?? [];
  if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
    report(ctx, Rules.requirementValuesRequired, ['values'], `operator ${req.operator}`);
  }
  if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
    report(ctx, Rules.requirementValuesForbidden, ['values'], `operator ${req.operator}`);
  }
  if (INTEGER_OPERATORS.has(req.operator) && (values.length !== 1 || !/^[0-9]+$/.test(values[0] as string))) {
    report(
      ctx,
      Rules.requirementSingleInteger,
      ['values'],
      `operator ${req.operator}, got ${JSON.stringify(values)}`,
    );
  }
  if (
    req.operator === 'In' &&
    req.minValues !== undefined &&
    values.length > 0 &&
    values.length < req.minValues
  ) {
    report(
      ctx,
      Rules.requirementMinValues,
      ['minValues'],
      `minValues ${req.minValues}, ${values.length} values`,
    );
  }
  const violation = restrictedLabelViolation(req.key, owner);
  if (violation) report(ctx, RESTRICTED_LABEL_RULES[violation], ['key'], `got "${req.key}"`);
}

/** A NodePool requirement. */
export const nodePoolRequirementSchema = nodeSelectorRequirementSchema.superRefine((req, ctx) =>
  checkRequirement(req, ctx, 'NodePool'),
);
/**
 * A NodeClaim requirement. Karpenter writes these itself, so fewer keys are restricted than for a NodePool: a
 * NodeClaim carries karpenter.sh/nodepool and may carry karpenter.k8s.aws/ec2nodeclass.
 */
export const nodeClaimRequirementSchema = nodeSelectorRequirementSchema.superRefine((req, ctx) =>
  checkRequirement(req, ctx, 'NodeClaim'),
);

/** Template labels: qualified keys outside the restricted domains, valid values. */
export const templateLabelsSchema = z.record(z.string(), labelValueSchema).superRefine((labels, ctx) => {
  for (const key of Object.keys(labels)) {
    if (!isQualifiedName(key)) {
      report(ctx, Rules.labelKeySyntax, [key], `got "${key}"`);
      continue;
    }
    const violation = restrictedLabelViolation(key, 'NodePool');
    if (violation) report(ctx, RESTRICTED_LABEL_RULES[violation], [key]);
  }
  // The bound also keeps the CEL cost of the per-key rules within what the API server accepts.
  if (Object.keys(labels).length > 100)
    report(ctx, Rules.templateLabelsTooMany, [], `${Object.keys(labels).length} labels`);
});

export const nodeClassReferenceSchema = z.strictObject({
  group: z
    .string()
    .min(1, { error: 'is empty: set the NodeClass API group, e.g. karpenter.k8s.aws' })
    .regex(/^[^/]*$/, {
      error: 'must be an API group without a version (e.g. "karpenter.k8s.aws", not "karpenter.k8s.aws/v1")',
    }),
  kind: z.string().min(1, { error: 'is empty: set the NodeClass kind, e.g. EC2NodeClass' }),
  name: z.string().min(1, { error: 'is empty: set the name of the NodeClass to use' }),
});

export const budgetSchema = z
  .strictObject({
    /** A count ("5") or a percentage of the pool's nodes ("10%"). */
    nodes: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? 'is required: set how many nodes may be disrupted at once, e.g. "10%" or "5"'
            : `must be a string: quote it, e.g. nodes: "${String(issue.input)}"`,
      })
      .regex(/^((100|[0-9]{1,2})%|[0-9]+)$/, {
        error: (issue) =>
          `must be a whole number of nodes such as "5" or a percentage from "0%" to "100%" such as "10%" (got ${JSON.stringify(issue.input)})`,
      }),
    /**
     * When the budget starts to apply: a 5-field cron or a macro, in UTC, or in the zone of a `CRON_TZ=<zone> ` or
     * `TZ=<zone> ` prefix (an extension over upstream Karpenter). The budget is active for `duration` of elapsed
     * time after each firing; see budget-schedule.ts for daylight-saving transitions.
     */
    schedule: z.string().optional(),
    duration: z
      .string()
      .regex(BUDGET_DURATION_PATTERN, {
        error: (issue) =>
          `must be a duration in hours and minutes such as "8h", "30m" or "1h30m"; cron has no seconds (got ${JSON.stringify(issue.input)})`,
      })
      .optional(),
    reasons: z
      .array(z.enum(DisruptionReasons, { error: oneOf(DisruptionReasons) }))
      .superRefine((reasons, ctx) => {
        reasons.forEach((reason, i) => {
          if (reasons.indexOf(reason) < i)
            report(ctx, Rules.budgetReasonsDuplicate, [i], `"${reason}" is listed twice`);
        });
      })
      .meta({ 'x-kubernetes-list-type': 'set' })
      .optional(),
  })
  .superRefine(
    (budget, ctx) => {
      if (budget.schedule !== undefined) {
        const parsed = parseBudgetSchedule(budget.schedule);
        if (!parsed.ok) {
          const rule = parsed.kind === 'zone' ? Rules.budgetScheduleTimeZone : Rules.budgetSchedule;
          report(ctx, rule, ['schedule'], parsed.problem);
        }
      }
      if (budget.schedule !== undefined && budget.duration === undefined) {
        report(ctx, Rules.budgetScheduleNeedsDuration, ['duration']);
      }
      if (budget.duration !== undefined && budget.schedule === undefined) {
        report(ctx, Rules.budgetDurationNeedsSchedule, ['schedule']);
      }
    },
    whenClean('schedule', 'duration'),
  );
export type Budget = z.infer<typeof budgetSchema>;

/** Lists are replaced whole on a merge, as upstream's CRDs say (`x-kubernetes-list-type: atomic`). */
const ATOMIC_LIST = { 'x-kubernetes-list-type': 'atomic' } as const;

const taintsSchema = z.array(taintSchema).meta(ATOMIC_LIST);

/** Fields of a NodeClaim that a NodePool stamps out, for either kind's requirement rules. */
function templateSpecShape<R extends z.ZodType<NodeSelectorRequirement>>(requirement: R) {
  return {
    /** Required, as upstream's CRDs have it; an empty list constrains nothing. */
    requirements: z
      .array(requirement, {
        error: (issue) =>
          issue.input === undefined
            ? 'is required: list the node requirements, or write requirements: [] to constrain nothing'
            : undefined,
      })
      .max(100, { error: 'has more than 100 requirements: merge or drop some' })
      .meta(ATOMIC_LIST),
    taints: taintsSchema.optional(),
    startupTaints: taintsSchema.optional(),
    nodeClassRef: nodeClassReferenceSchema,
    /** @default "720h" */
    expireAfter: durationOrNeverSchema.default('720h'),
    terminationGracePeriod: durationSchema.optional(),
  };
}
export const nodeClaimTemplateSpecShape = templateSpecShape(nodePoolRequirementSchema);
export const nodeClaimSpecShape = {
  ...templateSpecShape(nodeClaimRequirementSchema),
  resources: z.strictObject({ requests: resourceListSchema.optional() }).optional(),
};

/** NodePool.spec.template.spec. */
export const nodeClaimTemplateSpecSchema = z.strictObject(nodeClaimTemplateSpecShape);

export const ConsolidationPolicies = ['WhenEmpty', 'WhenEmptyOrUnderutilized', 'Balanced'] as const;
/**
 * Balanced takes a consolidation move only when its share of the pool's cost saved, over its share of the pool's
 * disruption cost, is at least 1/BALANCED_K (upstream's `BalancedK`, pkg/apis/v1/nodepool.go).
 */
export const BALANCED_K = 2;
export const disruptionSchema = z.strictObject({
  /**
   * WhenEmpty removes only empty nodes; WhenEmptyOrUnderutilized also consolidates any move that saves money;
   * Balanced consolidates only moves whose saving is worth their disruption (see BALANCED_K).
   * @default "WhenEmptyOrUnderutilized"
   */
  consolidationPolicy: z
    .enum(ConsolidationPolicies, { error: oneOf(ConsolidationPolicies) })
    .default('WhenEmptyOrUnderutilized'),
  /** @default "0s" */
  consolidateAfter: durationOrNeverSchema.default('0s'),
  /** @default [{ nodes: "10%" }] */
  budgets: z
    .array(budgetSchema)
    .max(50, { error: 'has more than 50 budgets: merge or drop some' })
    .meta(ATOMIC_LIST)
    .default(() => [{ nodes: '10%' }]),
});

/**
 * The static/dynamic switch upstream's CRD refuses (`has(self.replicas) == has(oldSelf.replicas)`): the message of
 * that transition rule, for the CRD and for any API server stand-in that checks updates.
 */
export const STATIC_TRANSITION_MESSAGE =
  'Cannot transition NodePool between static (replicas set) and dynamic (replicas unset) provisioning modes: create a new NodePool in the other mode and delete this one';

/** Why an update from `before` to `after` is refused by the transition rule on spec, if it is. */
export function nodePoolTransitionProblem(
  before: { replicas?: number | undefined },
  after: { replicas?: number | undefined },
): string | undefined {
  return (before.replicas === undefined) === (after.replicas === undefined)
    ? undefined
    : STATIC_TRANSITION_MESSAGE;
}

export const nodePoolSpecSchema = z
  .strictObject({
    template: z.strictObject({
      metadata: z
        .strictObject({
          labels: templateLabelsSchema.optional(),
          annotations: z.record(z.string(), z.string()).optional(),
        })
        .optional(),
      spec: nodeClaimTemplateSpecSchema,
    }),
    disruption: disruptionSchema.prefault({}),
    /**
     * Bounds on what the pool's nodes hold (cpu, memory, nodes, any resource) and, with the key
     * `karpenter-ts.sh/cost-per-hour` (karpenter-ts only), on what they cost in USD/hour, e.g. "50": a key of
     * upstream's map, so the manifest still applies on upstream's CRDs (where it never binds).
     * @default no limits
     */
    limits: resourceListSchema.optional(),
    weight: z
      .number()
      .int({ error: 'must be a whole number from 1 to 100' })
      .min(1, { error: 'must be at least 1: use 1 to 100 (higher is tried first), or remove weight' })
      .max(100, { error: 'must be at most 100: use 1 to 100 (higher is tried first)' })
      .optional(),
    /**
     * A static NodePool (alpha, behind the StaticCapacity feature gate): keep exactly this many nodes whatever the
     * pods need, instead of provisioning for pending pods. With replicas set, only `limits.nodes` may be given,
     * `weight` may not, and consolidation (`disruption.consolidationPolicy`, `consolidateAfter`) does not apply;
     * drift and expiration still replace its nodes. A pool cannot switch between static and dynamic. Scalable with
     * `kubectl scale nodepool <name> --replicas=N` (the scale subresource).
     */
    replicas: z
      .number()
      .int({ error: 'must be a whole number of nodes: set replicas to 0 or more' })
      .min(0, { error: 'must be 0 or more: the number of nodes the static NodePool keeps' })
      .optional(),
  })
  .superRefine(
    (spec, ctx) => {
      if (spec.replicas === undefined) return;
      const others = Object.keys(spec.limits ?? {}).filter((k) => k !== 'nodes');
      if (others.length > 0) report(ctx, Rules.staticLimitsNodesOnly, ['limits'], `got ${others.join(', ')}`);
      if (spec.weight !== undefined) report(ctx, Rules.staticWeightUnsupported, ['weight']);
    },
    whenClean('replicas', 'limits', 'weight'),
  );

export const nodePoolStatusSchema = z.looseObject({
  resources: resourceListSchema.optional(),
  nodes: z.number().int().optional(),
  /**
   * The node class generation last observed; when the node class's differs, NodeRegistrationHealthy resets to
   * Unknown. Written by the controller.
   */
  nodeClassObservedGeneration: z.number().int().optional(),
  conditions: conditionListSchema.optional(),
});

export const nodePoolSchema = z.strictObject({
  apiVersion: z.literal('karpenter.sh/v1', { error: 'must be "karpenter.sh/v1"' }),
  kind: z.literal('NodePool', { error: 'must be "NodePool"' }),
  metadata: objectMetaSchema,
  spec: nodePoolSpecSchema,
  status: nodePoolStatusSchema.optional(),
});

/** A NodePool after defaults are applied: what the controller works with. */
export type NodePool = z.infer<typeof nodePoolSchema>;
/** A NodePool as a user writes it: defaulted fields are optional. */
export type NodePoolInput = z.input<typeof nodePoolSchema>;
export type NodeClaimTemplateSpec = z.infer<typeof nodeClaimTemplateSpecSchema>;
export type BudgetInput = z.input<typeof budgetSchema>;
