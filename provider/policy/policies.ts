/** The mistake rules as @pulumi/policy resource policies (mandatory or advisory, per rule). */
import type { EnforcementLevel, ResourceValidationPolicy } from '@pulumi/policy';
import { checkResource, MISTAKE_RULES, type MistakeRule } from './rules';

export function resourcePolicy(
  rule: MistakeRule,
  enforcementLevel: EnforcementLevel,
): ResourceValidationPolicy {
  return {
    name: rule.name,
    description: `${rule.description}. Fix: ${rule.remedy}.`,
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      for (const problem of checkResource(rule, { type: args.type, props: args.props })) {
        reportViolation(problem);
      }
    },
  };
}

/** @default every rule advisory: the seed table lists mistakes, not hard errors */
export function karpenterPolicies(
  enforcementLevel: EnforcementLevel = 'advisory',
): ResourceValidationPolicy[] {
  return MISTAKE_RULES.map((rule) => resourcePolicy(rule, enforcementLevel));
}
