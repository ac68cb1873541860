/** Argument checks at construction, so a bad program fails before anything is registered, naming the fix. */
import * as pulumi from '@pulumi/pulumi';
import { buildContextProblem } from '../image/controller-image';
import { IAM_ROLE_NAME_MAX, nameTooLong, SQS_QUEUE_NAME_MAX } from '../iam/names';
import type { KarpenterInstallArgs } from './args';
import { CLUSTER_CAP_ARGS } from './manifests';
import { existingAwsProblems } from './aws-side';
import { savingsPlansSchema } from '../../runtime/scheduling/savings-plans';
import { formatPath } from '../../sdk/api/validate';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function installArgProblems(args: KarpenterInstallArgs): string[] {
  const problems: string[] = [];
  if (args.replicas !== undefined && (!Number.isInteger(args.replicas) || args.replicas < 1)) {
    problems.push(
      `replicas: ${args.replicas} is not a whole number of at least 1 (use 2 for leader election)`,
    );
  }
  for (const [field, value] of [
    ['namespace', args.namespace],
    ['serviceAccountName', args.serviceAccountName],
  ] as const) {
    if (value !== undefined && (value.length > 63 || !DNS_LABEL.test(value))) {
      problems.push(
        `${field}: "${value}" is not a DNS label (lowercase letters, digits and "-", at most 63)`,
      );
    }
  }
  if (args.image !== undefined && args.imageBuild !== undefined && args.existingAws === undefined) {
    problems.push('image and imageBuild are both set: give a prebuilt image or build options, not both');
  }
  problems.push(...existingAwsProblems(args));
  if (args.image === undefined && args.existingAws === undefined) {
    const problem = buildContextProblem(args.imageBuild ?? {});
    if (problem) problems.push(problem);
  }
  if (args.defaultNodePool) {
    if (args.nodePools && 'default' in args.nodePools) {
      problems.push(
        'nodePools.default: clashes with defaultNodePool: true; rename it or drop defaultNodePool',
      );
    }
    if (args.nodeClasses && 'default' in args.nodeClasses) {
      problems.push(
        'nodeClasses.default: clashes with defaultNodePool: true; rename it or drop defaultNodePool',
      );
    }
  }
  const dashboard = args.monitoring?.dashboard;
  const dashboardNamespace = typeof dashboard === 'object' ? dashboard.namespace : undefined;
  if (
    dashboardNamespace !== undefined &&
    (dashboardNamespace.length > 63 || !DNS_LABEL.test(dashboardNamespace))
  ) {
    problems.push(
      `monitoring.dashboard.namespace: "${dashboardNamespace}" is not a DNS label (the namespace Grafana's sidecar watches, e.g. "monitoring")`,
    );
  }
  for (const problem of [
    nameTooLong('nodeRoleName', args.nodeRoleName, IAM_ROLE_NAME_MAX),
    nameTooLong('interruptionQueueName', args.interruptionQueueName, SQS_QUEUE_NAME_MAX),
  ])
    if (problem) problems.push(problem);
  for (const [field, entries] of [
    ['nodePools', args.nodePools],
    ['nodeClasses', args.nodeClasses],
  ] as const) {
    for (const [key, value] of Object.entries(entries ?? {})) {
      if (value instanceof pulumi.Resource) {
        problems.push(
          `${field}.${key}: a resource built before the install cannot wait for its CRDs and controller (and on destroy would outlive them); pass its args, or a function (opts) => new ${field === 'nodePools' ? 'NodePool' : 'EC2NodeClass'}(name, args, opts)`,
        );
      }
    }
  }
  // The controller's own checks, so a bad cap fails the program, not the controller's start.
  for (const [k, setting] of Object.entries(CLUSTER_CAP_ARGS)) {
    const value = args.clusterCaps?.[k as keyof typeof CLUSTER_CAP_ARGS];
    if (value !== undefined && !setting.schema.safeParse(String(value)).success) {
      problems.push(
        `clusterCaps.${k}: ${JSON.stringify(value)} is invalid (${setting.env}): expected ${setting.expected}`,
      );
    }
  }
  if (args.savingsPlans !== undefined) {
    const parsed = savingsPlansSchema.safeParse(args.savingsPlans);
    for (const issue of parsed.error?.issues ?? []) {
      problems.push(`${formatPath(['savingsPlans', ...issue.path])}: ${issue.message} (SAVINGS_PLANS)`);
    }
  }
  if (args.createNamespace === false && args.namespace === undefined) {
    problems.push('createNamespace: false needs namespace, the existing namespace to install into');
  }
  return problems;
}

export function validateInstallArgs(name: string, args: KarpenterInstallArgs): void {
  const problems = installArgProblems(args);
  if (problems.length > 0) {
    throw new Error(`invalid KarpenterInstall "${name}":\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
