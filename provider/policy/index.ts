/**
 * `karpenter-ts/policy`: the mistake rules as @pulumi/policy resource policies. A separate entry from
 * `karpenter-ts/provider` because @pulumi/policy's published type declarations do not typecheck without
 * `skipLibCheck`, and a component user should not need that flag.
 */
export { karpenterPolicies } from './policies';
export { MISTAKE_RULES, checkResource } from './rules';
export type { MistakeRule } from './rules';
