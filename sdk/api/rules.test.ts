import type { z } from 'zod';
import { capacityBufferSchema } from './capacitybuffer';
import { ec2NodeClassSchema } from './ec2nodeclass';
import { nodeClaimSchema } from './nodeclaim';
import { nodeOverlaySchema } from './nodeoverlay';
import { nodePoolSchema } from './nodepool';
import { ruleList, Rules, type Rule } from './rules';
import {
  budget,
  ebs,
  ec2NodeClass,
  kubelet,
  nodeClaim,
  nodeClassSpec,
  nodeOverlay,
  nodePool,
  requirement,
  templateLabels,
  templateSpec,
  type Obj,
} from './testing';
import { validate } from './validate';

interface Case {
  name: string;
  input: Obj;
  path: string;
  /** A cross-field rule (its message must start the error), or the exact structural message. */
  expect: Rule | string;
}

const SCHEMAS: Record<string, z.ZodType> = {
  NodePool: nodePoolSchema,
  NodeClaim: nodeClaimSchema,
  EC2NodeClass: ec2NodeClassSchema,
  NodeOverlay: nodeOverlaySchema,
  CapacityBuffer: capacityBufferSchema,
};

const R = 'spec.template.spec.requirements.0';
const capacityBuffer = (spec: Record<string, unknown>): Obj => ({
  apiVersion: 'autoscaling.x-k8s.io/v1beta1',
  kind: 'CapacityBuffer',
  metadata: { name: 'headroom', namespace: 'default' },
  spec,
});
const disc = { 'karpenter.sh/discovery': 'test' };
const manyTags = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`tag-${i}`, 'x']));

const cases: Case[] = [
  // --- NodePool requirements -----------------------------------------------------------------------------------
  {
    name: 'In without values',
    input: requirement({ key: 'example.com/team', operator: 'In' }),
    path: `${R}.values`,
    expect: Rules.requirementValuesRequired,
  },
  {
    name: 'NotIn with an empty list',
    input: requirement({ key: 'example.com/team', operator: 'NotIn', values: [] }),
    path: `${R}.values`,
    expect: Rules.requirementValuesRequired,
  },
  {
    name: 'Exists with values',
    input: requirement({ key: 'example.com/team', operator: 'Exists', values: ['a'] }),
    path: `${R}.values`,
    expect: Rules.requirementValuesForbidden,
  },
  {
    name: 'Gt with a non-integer',
    input: requirement({ key: 'karpenter.k8s.aws/instance-cpu', operator: 'Gt', values: ['four'] }),
    path: `${R}.values`,
    expect: Rules.requirementSingleInteger,
  },
  {
    name: 'Lte with two values',
    input: requirement({ key: 'karpenter.k8s.aws/instance-cpu', operator: 'Lte', values: ['4', '8'] }),
    path: `${R}.values`,
    expect: Rules.requirementSingleInteger,
  },
  {
    name: 'minValues above the number of In values',
    input: requirement({
      key: 'node.kubernetes.io/instance-type',
      operator: 'In',
      values: ['m5.large'],
      minValues: 2,
    }),
    path: `${R}.minValues`,
    expect: Rules.requirementMinValues,
  },
  {
    name: 'minValues above 50',
    input: requirement({ key: 'node.kubernetes.io/instance-type', operator: 'Exists', minValues: 51 }),
    path: `${R}.minValues`,
    expect: 'must be at most 50: lower minValues',
  },
  {
    name: 'minValues of 0',
    input: requirement({ key: 'node.kubernetes.io/instance-type', operator: 'Exists', minValues: 0 }),
    path: `${R}.minValues`,
    expect: 'must be at least 1: use a whole number from 1 to 50, or remove minValues',
  },
  {
    name: 'unknown operator',
    input: requirement({ key: 'example.com/team', operator: 'Equals', values: ['a'] }),
    path: `${R}.operator`,
    expect: 'must be "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte" or "Lte" (got "Equals")',
  },
  {
    name: 'requirement key that is not a label key',
    input: requirement({ key: 'team name', operator: 'Exists' }),
    path: `${R}.key`,
    expect:
      'is not a valid label key (got "team name"): use an optional DNS prefix and "/", then a name of at most 63 letters, digits, "-", "_" or "." that starts and ends with a letter or digit (e.g. "example.com/team")',
  },
  {
    name: 'requirement value that is not a label value',
    input: requirement({ key: 'example.com/team', operator: 'In', values: ['web team'] }),
    path: `${R}.values.0`,
    expect:
      'is not a valid label value (got "web team"): use at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  },
  {
    name: 'no requirements',
    input: templateSpec({ requirements: undefined }),
    path: 'spec.template.spec.requirements',
    expect: 'is required: list the node requirements, or write requirements: [] to constrain nothing',
  },
  {
    name: 'more than 100 requirements',
    input: templateSpec({
      requirements: Array.from({ length: 101 }, (_, i) => ({ key: `example.com/k${i}`, operator: 'Exists' })),
    }),
    path: 'spec.template.spec.requirements',
    expect: 'has more than 100 requirements: merge or drop some',
  },

  // --- NodeOverlay ----------------------------------------------------------------------------------------------
  {
    name: 'a NodeOverlay setting both price and priceAdjustment',
    input: nodeOverlay({ price: '0.1', priceAdjustment: '-10%' }),
    path: 'spec.priceAdjustment',
    expect: Rules.overlayPriceExclusive,
  },
  {
    name: 'a CapacityBuffer with podTemplateRef and no size',
    input: capacityBuffer({ podTemplateRef: { name: 'app' } }),
    path: 'spec.replicas',
    expect: Rules.bufferTemplateNeedsSize,
  },
  {
    name: 'a CapacityBuffer naming both a PodTemplate and a workload',
    input: capacityBuffer({
      podTemplateRef: { name: 'app' },
      scalableRef: { kind: 'Deployment', name: 'web' },
      replicas: 1,
    }),
    path: 'spec.scalableRef',
    expect: Rules.bufferOneRef,
  },
  {
    name: 'a CapacityBuffer with a percentage of no workload',
    input: capacityBuffer({ podTemplateRef: { name: 'app' }, replicas: 1, percentage: 10 }),
    path: 'spec.percentage',
    expect: Rules.bufferPercentageNeedsScalable,
  },
  {
    name: 'a NodeOverlay adding cpu',
    input: nodeOverlay({ capacity: { cpu: '4' } }),
    path: 'spec.capacity.cpu',
    expect: Rules.overlayCapacityRestricted,
  },
  {
    name: 'a NodeOverlay requirement on karpenter.k8s.aws/ec2nodeclass',
    input: nodeOverlay({
      requirements: [{ key: 'karpenter.k8s.aws/ec2nodeclass', operator: 'In', values: ['default'] }],
    }),
    path: 'spec.requirements.0.key',
    expect: Rules.labelNodeClassRestricted,
  },

  // --- NodePool restricted label domains -----------------------------------------------------------------------
  {
    name: 'requirement on kubernetes.io/hostname',
    input: requirement({ key: 'kubernetes.io/hostname', operator: 'Exists' }),
    path: `${R}.key`,
    expect: Rules.labelHostnameRestricted,
  },
  {
    name: 'requirement on karpenter.sh/nodepool',
    input: requirement({ key: 'karpenter.sh/nodepool', operator: 'In', values: ['other'] }),
    path: `${R}.key`,
    expect: Rules.labelNodePoolRestricted,
  },
  {
    name: 'more than 100 template labels',
    input: templateLabels(Object.fromEntries(Array.from({ length: 101 }, (_, n) => [`team-${n}`, 'x']))),
    path: 'spec.template.metadata.labels',
    expect: Rules.templateLabelsTooMany,
  },
  {
    name: 'template label karpenter.k8s.aws/ec2nodeclass',
    input: templateLabels({ 'karpenter.k8s.aws/ec2nodeclass': 'default' }),
    path: 'spec.template.metadata.labels["karpenter.k8s.aws/ec2nodeclass"]',
    expect: Rules.labelNodeClassRestricted,
  },
  {
    name: 'requirement in a domain that ends in karpenter.sh',
    input: requirement({ key: 'mykarpenter.sh/team', operator: 'Exists' }),
    path: `${R}.key`,
    expect: Rules.labelKarpenterShRestricted,
  },
  {
    name: 'template label in karpenter.sh',
    input: templateLabels({ 'karpenter.sh/registered': 'true' }),
    path: 'spec.template.metadata.labels["karpenter.sh/registered"]',
    expect: Rules.labelKarpenterShRestricted,
  },
  {
    name: 'requirement on an unknown karpenter.k8s.aws key',
    input: requirement({ key: 'karpenter.k8s.aws/ami-id', operator: 'Exists' }),
    path: `${R}.key`,
    expect: Rules.labelKarpenterK8sAwsRestricted,
  },
  {
    name: 'template label key that is not a qualified name',
    input: templateLabels({ 'team name': 'web' }),
    path: 'spec.template.metadata.labels["team name"]',
    expect: Rules.labelKeySyntax,
  },
  {
    name: 'template label value that is not a label value',
    input: templateLabels({ team: '-web' }),
    path: 'spec.template.metadata.labels.team',
    expect:
      'is not a valid label value (got "-web"): use at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  },

  // --- NodePool template spec ----------------------------------------------------------------------------------
  {
    name: 'taint with an unknown effect',
    input: templateSpec({ taints: [{ key: 'example.com/gpu', effect: 'NoRun' }] }),
    path: 'spec.template.spec.taints.0.effect',
    expect: 'must be "NoSchedule", "PreferNoSchedule" or "NoExecute" (got "NoRun")',
  },
  {
    name: 'startup taint with an invalid key',
    input: templateSpec({ startupTaints: [{ key: '/gpu', effect: 'NoSchedule' }] }),
    path: 'spec.template.spec.startupTaints.0.key',
    expect:
      'is not a valid label key (got "/gpu"): use an optional DNS prefix and "/", then a name of at most 63 letters, digits, "-", "_" or "." that starts and ends with a letter or digit (e.g. "example.com/team")',
  },
  {
    name: 'nodeClassRef with an empty group',
    input: templateSpec({ nodeClassRef: { group: '', kind: 'EC2NodeClass', name: 'default' } }),
    path: 'spec.template.spec.nodeClassRef.group',
    expect: 'is empty: set the NodeClass API group, e.g. karpenter.k8s.aws',
  },
  {
    name: 'nodeClassRef group with a version',
    input: templateSpec({
      nodeClassRef: { group: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', name: 'default' },
    }),
    path: 'spec.template.spec.nodeClassRef.group',
    expect: 'must be an API group without a version (e.g. "karpenter.k8s.aws", not "karpenter.k8s.aws/v1")',
  },
  {
    name: 'nodeClassRef with an empty kind',
    input: templateSpec({ nodeClassRef: { group: 'karpenter.k8s.aws', kind: '', name: 'default' } }),
    path: 'spec.template.spec.nodeClassRef.kind',
    expect: 'is empty: set the NodeClass kind, e.g. EC2NodeClass',
  },
  {
    name: 'nodeClassRef without a name',
    input: templateSpec({ nodeClassRef: { name: undefined } }),
    path: 'spec.template.spec.nodeClassRef.name',
    expect: 'is required: add name',
  },
  {
    name: 'expireAfter in days',
    input: templateSpec({ expireAfter: '30d' }),
    path: 'spec.template.spec.expireAfter',
    expect:
      'must be "Never" or a duration in whole hours, minutes and seconds, such as "30s", "15m" or "720h" (got "30d")',
  },
  {
    name: 'fractional terminationGracePeriod',
    input: templateSpec({ terminationGracePeriod: '1.5h' }),
    path: 'spec.template.spec.terminationGracePeriod',
    expect:
      'must be a duration in whole hours, minutes and seconds, such as "30s", "15m", "1h30m" or "720h" (got "1.5h")',
  },
  {
    name: 'misspelt field',
    input: templateSpec({ expireafter: '720h' }),
    path: 'spec.template.spec',
    expect:
      'unknown field "expireafter": remove it or fix the spelling (known fields: requirements, taints, startupTaints, nodeClassRef, expireAfter, terminationGracePeriod)',
  },

  // --- NodePool disruption -------------------------------------------------------------------------------------
  {
    name: 'unknown consolidationPolicy',
    input: nodePool({ spec: { disruption: { consolidationPolicy: 'WhenIdle' } } }),
    path: 'spec.disruption.consolidationPolicy',
    expect: 'must be "WhenEmpty", "WhenEmptyOrUnderutilized" or "Balanced" (got "WhenIdle")',
  },
  {
    name: 'consolidateAfter that is not a duration',
    input: nodePool({ spec: { disruption: { consolidateAfter: 'soon' } } }),
    path: 'spec.disruption.consolidateAfter',
    expect:
      'must be "Never" or a duration in whole hours, minutes and seconds, such as "30s", "15m" or "720h" (got "soon")',
  },
  {
    name: 'budget nodes above 100%',
    input: budget({ nodes: '150%' }),
    path: 'spec.disruption.budgets.0.nodes',
    expect:
      'must be a whole number of nodes such as "5" or a percentage from "0%" to "100%" such as "10%" (got "150%")',
  },
  {
    name: 'budget nodes as a YAML number',
    input: budget({ nodes: 5 }),
    path: 'spec.disruption.budgets.0.nodes',
    expect: 'must be a string: quote it, e.g. nodes: "5"',
  },
  {
    name: 'budget schedule with four fields',
    input: budget({ nodes: '0', schedule: '0 9 * *', duration: '8h' }),
    path: 'spec.disruption.budgets.0.schedule',
    expect: Rules.budgetSchedule,
  },
  {
    name: 'budget schedule with an out-of-range minute',
    input: budget({ nodes: '0', schedule: '61 9 * * 1-5', duration: '8h' }),
    path: 'spec.disruption.budgets.0.schedule',
    expect: Rules.budgetSchedule,
  },
  {
    name: 'budget schedule in a time zone the IANA database does not have',
    input: budget({ nodes: '0', schedule: 'CRON_TZ=Europe/Berlyn 0 9 * * 1-5', duration: '8h' }),
    path: 'spec.disruption.budgets.0.schedule',
    expect: Rules.budgetScheduleTimeZone,
  },
  {
    name: 'budget schedule with two time zone prefixes',
    input: budget({ nodes: '0', schedule: 'TZ=UTC CRON_TZ=Europe/Berlin 0 9 * * 1-5', duration: '8h' }),
    path: 'spec.disruption.budgets.0.schedule',
    expect: Rules.budgetSchedule,
  },
  {
    name: 'budget schedule without duration',
    input: budget({ nodes: '0', schedule: '@daily' }),
    path: 'spec.disruption.budgets.0.duration',
    expect: Rules.budgetScheduleNeedsDuration,
  },
  {
    name: 'budget duration without schedule',
    input: budget({ nodes: '0', duration: '8h' }),
    path: 'spec.disruption.budgets.0.schedule',
    expect: Rules.budgetDurationNeedsSchedule,
  },
  {
    name: 'budget duration in seconds',
    input: budget({ nodes: '0', schedule: '@daily', duration: '30s' }),
    path: 'spec.disruption.budgets.0.duration',
    expect:
      'must be a duration in hours and minutes such as "8h", "30m" or "1h30m"; cron has no seconds (got "30s")',
  },
  {
    name: 'budget reason that is not a consolidation reason',
    input: budget({ nodes: '1', reasons: ['Expired'] }),
    path: 'spec.disruption.budgets.0.reasons.0',
    expect: 'must be "Underutilized", "Empty", "Drifted" or "Unhealthy" (got "Expired")',
  },
  {
    name: 'budget reason listed twice',
    input: budget({ nodes: '1', reasons: ['Empty', 'Drifted', 'Empty'] }),
    path: 'spec.disruption.budgets.0.reasons.2',
    expect: Rules.budgetReasonsDuplicate,
  },
  // --- Static NodePools -----------------------------------------------------------------------------------------
  {
    name: 'a static NodePool with a cpu limit',
    input: nodePool({ spec: { replicas: 3, limits: { cpu: '100', nodes: '5' } } }),
    path: 'spec.limits',
    expect: Rules.staticLimitsNodesOnly,
  },
  {
    name: 'a static NodePool with a weight',
    input: nodePool({ spec: { replicas: 3, weight: 10 } }),
    path: 'spec.weight',
    expect: Rules.staticWeightUnsupported,
  },
  {
    name: 'negative replicas',
    input: nodePool({ spec: { replicas: -1 } }),
    path: 'spec.replicas',
    expect: 'must be 0 or more: the number of nodes the static NodePool keeps',
  },
  {
    name: 'fractional replicas',
    input: nodePool({ spec: { replicas: 1.5 } }),
    path: 'spec.replicas',
    expect: 'must be a whole number of nodes: set replicas to 0 or more',
  },
  {
    name: 'more than 50 budgets',
    input: nodePool({
      spec: { disruption: { budgets: Array.from({ length: 51 }, () => ({ nodes: '1' })) } },
    }),
    path: 'spec.disruption.budgets',
    expect: 'has more than 50 budgets: merge or drop some',
  },

  // --- NodePool weight and limits ------------------------------------------------------------------------------
  {
    name: 'weight 0',
    input: nodePool({ spec: { weight: 0 } }),
    path: 'spec.weight',
    expect: 'must be at least 1: use 1 to 100 (higher is tried first), or remove weight',
  },
  {
    name: 'weight 101',
    input: nodePool({ spec: { weight: 101 } }),
    path: 'spec.weight',
    expect: 'must be at most 100: use 1 to 100 (higher is tried first)',
  },
  {
    name: 'fractional weight',
    input: nodePool({ spec: { weight: 1.5 } }),
    path: 'spec.weight',
    expect: 'must be a whole number from 1 to 100',
  },
  {
    name: 'limit that is not a quantity',
    input: nodePool({ spec: { limits: { cpu: 'lots' } } }),
    path: 'spec.limits.cpu',
    expect:
      'is not a resource quantity (got "lots"): use a number with an optional unit, such as 4, "500m", "16Gi" or "1e3"',
  },
  {
    name: 'NodePool name with capitals',
    input: nodePool({ metadata: { name: 'General' } }),
    path: 'metadata.name',
    expect:
      'is not a valid name (got "General"): use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (e.g. "general-purpose")',
  },
  {
    name: 'wrong apiVersion',
    input: nodePool({ apiVersion: 'karpenter.sh/v2' }),
    path: 'apiVersion',
    expect: 'must be "karpenter.sh/v1"',
  },

  // --- NodeClaim -----------------------------------------------------------------------------------------------
  {
    name: 'NodeClaim requirement In without values',
    input: nodeClaim({ spec: { requirements: [{ key: 'example.com/team', operator: 'In', values: [] }] } }),
    path: 'spec.requirements.0.values',
    expect: Rules.requirementValuesRequired,
  },
  {
    name: 'NodeClaim without requirements',
    input: nodeClaim({ spec: { requirements: undefined } }),
    path: 'spec.requirements',
    expect: 'is required: list the node requirements, or write requirements: [] to constrain nothing',
  },
  {
    name: 'NodeClaim requirement on kubernetes.io/hostname',
    input: nodeClaim({ spec: { requirements: [{ key: 'kubernetes.io/hostname', operator: 'Exists' }] } }),
    path: 'spec.requirements.0.key',
    expect: Rules.labelHostnameRestricted,
  },
  {
    name: 'NodeClaim requirement on an unknown karpenter.k8s.aws key',
    input: nodeClaim({ spec: { requirements: [{ key: 'karpenter.k8s.aws/ami-id', operator: 'Exists' }] } }),
    path: 'spec.requirements.0.key',
    expect: Rules.labelKarpenterK8sAwsRestricted,
  },
  {
    name: 'NodeClaim request that is not a quantity',
    input: nodeClaim({ spec: { resources: { requests: { cpu: 'one' } } } }),
    path: 'spec.resources.requests.cpu',
    expect:
      'is not a resource quantity (got "one"): use a number with an optional unit, such as 4, "500m", "16Gi" or "1e3"',
  },

  // --- EC2NodeClass selectors ----------------------------------------------------------------------------------
  {
    name: 'no subnetSelectorTerms',
    input: nodeClassSpec({ subnetSelectorTerms: undefined }),
    path: 'spec.subnetSelectorTerms',
    expect:
      'is required: add at least one subnet selector term, e.g. - tags: {karpenter.sh/discovery: my-cluster}',
  },
  {
    name: 'empty subnetSelectorTerms',
    input: nodeClassSpec({ subnetSelectorTerms: [] }),
    path: 'spec.subnetSelectorTerms',
    expect: 'is empty: add a subnet selector term, e.g. - tags: {karpenter.sh/discovery: my-cluster}',
  },
  {
    name: 'subnet term with neither tags nor id',
    input: nodeClassSpec({ subnetSelectorTerms: [{}] }),
    path: 'spec.subnetSelectorTerms.0',
    expect: Rules.subnetTermEmpty,
  },
  {
    name: 'subnet term with id and tags',
    input: nodeClassSpec({ subnetSelectorTerms: [{ id: 'subnet-0abc', tags: disc }] }),
    path: 'spec.subnetSelectorTerms.0.id',
    expect: Rules.subnetTermIdExclusive,
  },
  {
    name: 'subnet id without the subnet- prefix',
    input: nodeClassSpec({ subnetSelectorTerms: [{ id: 'sn-0abc' }] }),
    path: 'spec.subnetSelectorTerms.0.id',
    expect: 'must be a subnet ID such as "subnet-0123456789abcdef0" (got "sn-0abc")',
  },
  {
    name: 'no securityGroupSelectorTerms',
    input: nodeClassSpec({ securityGroupSelectorTerms: undefined }),
    path: 'spec.securityGroupSelectorTerms',
    expect:
      'is required: add at least one security group selector term, e.g. - tags: {karpenter.sh/discovery: my-cluster}',
  },
  {
    name: 'security group term with nothing to match',
    input: nodeClassSpec({ securityGroupSelectorTerms: [{}] }),
    path: 'spec.securityGroupSelectorTerms.0',
    expect: Rules.securityGroupTermEmpty,
  },
  {
    name: 'security group term with id and name',
    input: nodeClassSpec({ securityGroupSelectorTerms: [{ id: 'sg-0abc', name: 'nodes' }] }),
    path: 'spec.securityGroupSelectorTerms.0.id',
    expect: Rules.securityGroupTermIdExclusive,
  },
  {
    name: 'security group term with name and tags',
    input: nodeClassSpec({ securityGroupSelectorTerms: [{ name: 'nodes', tags: disc }] }),
    path: 'spec.securityGroupSelectorTerms.0.name',
    expect: Rules.securityGroupTermNameExclusive,
  },
  {
    name: 'selector tag with an empty value',
    input: nodeClassSpec({ subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': '' } }] }),
    path: 'spec.subnetSelectorTerms.0.tags["karpenter.sh/discovery"]',
    expect: Rules.selectorTagsEmpty,
  },
  {
    name: 'selector term with 21 tags',
    input: nodeClassSpec({ securityGroupSelectorTerms: [{ tags: manyTags }] }),
    path: 'spec.securityGroupSelectorTerms.0.tags',
    expect: Rules.selectorTagsTooMany,
  },
  {
    name: 'capacity reservation term with only an owner',
    input: nodeClassSpec({ capacityReservationSelectorTerms: [{ ownerID: '123456789012' }] }),
    path: 'spec.capacityReservationSelectorTerms.0',
    expect: Rules.capacityReservationTermEmpty,
  },
  {
    name: 'capacity reservation term with id and owner',
    input: nodeClassSpec({ capacityReservationSelectorTerms: [{ id: 'cr-0abc', ownerID: '123456789012' }] }),
    path: 'spec.capacityReservationSelectorTerms.0.id',
    expect: Rules.capacityReservationTermIdExclusive,
  },

  // --- EC2NodeClass AMIs ---------------------------------------------------------------------------------------
  {
    name: 'no amiSelectorTerms',
    input: nodeClassSpec({ amiSelectorTerms: undefined, amiFamily: 'AL2023' }),
    path: 'spec.amiSelectorTerms',
    expect: 'is required: add at least one AMI selector term, e.g. - alias: al2023@latest',
  },
  {
    name: 'AMI term with only an owner',
    input: nodeClassSpec({ amiFamily: 'AL2023', amiSelectorTerms: [{ owner: 'amazon' }] }),
    path: 'spec.amiSelectorTerms.0',
    expect: Rules.amiTermEmpty,
  },
  {
    name: 'AMI term with id and name',
    input: nodeClassSpec({ amiFamily: 'AL2023', amiSelectorTerms: [{ id: 'ami-0abc', name: 'my-ami' }] }),
    path: 'spec.amiSelectorTerms.0.id',
    expect: Rules.amiTermIdExclusive,
  },
  {
    name: 'alias with an owner in the same term',
    input: nodeClassSpec({ amiSelectorTerms: [{ alias: 'al2023@latest', owner: 'amazon' }] }),
    path: 'spec.amiSelectorTerms.0.alias',
    expect: Rules.amiTermAliasExclusive,
  },
  {
    name: 'alias next to another term',
    input: nodeClassSpec({ amiSelectorTerms: [{ alias: 'al2023@latest' }, { tags: { team: 'x' } }] }),
    path: 'spec.amiSelectorTerms',
    expect: Rules.amiAliasOnlyTerm,
  },
  {
    name: 'alias without a version',
    input: nodeClassSpec({ amiSelectorTerms: [{ alias: 'al2023' }] }),
    path: 'spec.amiSelectorTerms.0.alias',
    expect: Rules.amiAliasFormat,
  },
  {
    name: 'alias with an unknown family',
    input: nodeClassSpec({ amiSelectorTerms: [{ alias: 'ubuntu@latest' }] }),
    path: 'spec.amiSelectorTerms.0.alias',
    expect: Rules.amiAliasFamily,
  },
  {
    name: 'Windows alias with a pinned version',
    input: nodeClassSpec({ amiSelectorTerms: [{ alias: 'windows2022@v20240101' }] }),
    path: 'spec.amiSelectorTerms.0.alias',
    expect: Rules.amiAliasWindowsLatest,
  },
  {
    name: 'alias longer than 30 characters',
    input: nodeClassSpec({ amiSelectorTerms: [{ alias: 'bottlerocket@v1.20.0-rc.1-build.12345' }] }),
    path: 'spec.amiSelectorTerms.0.alias',
    expect: 'is longer than 30 characters: use family@version, e.g. al2023@latest',
  },
  {
    name: 'AMI selected by id without amiFamily',
    input: nodeClassSpec({ amiSelectorTerms: [{ id: 'ami-0abc' }] }),
    path: 'spec.amiFamily',
    expect: Rules.amiFamilyRequired,
  },
  {
    name: 'a Windows node class',
    input: nodeClassSpec({ amiSelectorTerms: [{ alias: 'windows2022@latest' }] }),
    path: 'spec.amiFamily',
    expect: Rules.windowsUnsupported,
  },
  {
    name: 'Bottlerocket user data that is not TOML',
    input: nodeClassSpec({
      amiSelectorTerms: [{ alias: 'bottlerocket@latest' }],
      userData: '#!/bin/bash\necho hi',
    }),
    path: 'spec.userData',
    expect: Rules.bottlerocketUserDataToml,
  },
  {
    name: 'amiFamily that contradicts the alias',
    input: nodeClassSpec({ amiFamily: 'AL2', amiSelectorTerms: [{ alias: 'al2023@latest' }] }),
    path: 'spec.amiFamily',
    expect: Rules.amiFamilyAliasMismatch,
  },
  {
    name: 'unknown amiFamily',
    input: nodeClassSpec({ amiFamily: 'Ubuntu' }),
    path: 'spec.amiFamily',
    expect:
      'must be "AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022" or "Windows2025" (got "Ubuntu")',
  },

  // --- EC2NodeClass identity and tags --------------------------------------------------------------------------
  {
    name: 'neither role nor instanceProfile',
    input: nodeClassSpec({ role: undefined }),
    path: 'spec.role',
    expect: Rules.roleOrInstanceProfileRequired,
  },
  {
    name: 'both role and instanceProfile',
    input: nodeClassSpec({ instanceProfile: 'KarpenterNodeInstanceProfile' }),
    path: 'spec.instanceProfile',
    expect: Rules.roleAndInstanceProfile,
  },
  {
    name: 'empty role',
    input: nodeClassSpec({ role: '' }),
    path: 'spec.role',
    expect: 'is empty: set the node IAM role name, or use instanceProfile',
  },
  ...[
    'eks:eks-cluster-name',
    'kubernetes.io/cluster/test',
    'karpenter.sh/nodepool',
    'karpenter.sh/nodeclaim',
    'karpenter.k8s.aws/ec2nodeclass',
  ].map((key): Case => ({
    name: `reserved tag ${key}`,
    input: nodeClassSpec({ tags: { [key]: 'x' } }),
    path: `spec.tags[${JSON.stringify(key)}]`,
    expect: Rules.tagsReserved,
  })),
  {
    name: 'tag with an empty key',
    input: nodeClassSpec({ tags: { '': 'x' } }),
    path: 'spec.tags[""]',
    expect: Rules.tagsEmptyKey,
  },

  // --- EC2NodeClass kubelet ------------------------------------------------------------------------------------
  {
    name: 'reserving an unknown resource',
    input: kubelet({ systemReserved: { gpu: '1' } }),
    path: 'spec.kubelet.systemReserved.gpu',
    expect: Rules.kubeletReservedKey,
  },
  {
    name: 'negative reservation',
    input: kubelet({ kubeReserved: { memory: '-1Gi' } }),
    path: 'spec.kubelet.kubeReserved.memory',
    expect: Rules.kubeletReservedNegative,
  },
  {
    name: 'unknown eviction signal',
    input: kubelet({ evictionHard: { 'memory.free': '100Mi' } }),
    path: 'spec.kubelet.evictionHard["memory.free"]',
    expect: Rules.kubeletEvictionSignal,
  },
  {
    name: 'eviction threshold that is neither a percentage nor a quantity',
    input: kubelet({ evictionHard: { 'memory.available': 'low' } }),
    path: 'spec.kubelet.evictionHard["memory.available"]',
    expect: 'must be a percentage such as "10%" or a quantity such as "100Mi" (got "low")',
  },
  {
    name: 'soft eviction without a grace period',
    input: kubelet({ evictionSoft: { 'memory.available': '10%' } }),
    path: 'spec.kubelet.evictionSoft["memory.available"]',
    expect: Rules.kubeletSoftNeedsGracePeriod,
  },
  {
    name: 'grace period without a soft eviction threshold',
    input: kubelet({ evictionSoftGracePeriod: { 'nodefs.available': '1m' } }),
    path: 'spec.kubelet.evictionSoftGracePeriod["nodefs.available"]',
    expect: Rules.kubeletGracePeriodNeedsSoft,
  },
  {
    name: 'grace period that is not a duration',
    input: kubelet({
      evictionSoft: { 'nodefs.available': '10%' },
      evictionSoftGracePeriod: { 'nodefs.available': 'a while' },
    }),
    path: 'spec.kubelet.evictionSoftGracePeriod["nodefs.available"]',
    expect: 'must be a duration such as "90s", "1m30s" or "500ms" (got "a while")',
  },
  {
    name: 'image GC high threshold not above the low one',
    input: kubelet({ imageGCHighThresholdPercent: 60, imageGCLowThresholdPercent: 60 }),
    path: 'spec.kubelet.imageGCHighThresholdPercent',
    expect: Rules.kubeletImageGcThresholds,
  },
  {
    name: 'image GC percentage above 100',
    input: kubelet({ imageGCLowThresholdPercent: 101 }),
    path: 'spec.kubelet.imageGCLowThresholdPercent',
    expect: 'must be at most 100: use a percentage from 0 to 100',
  },
  {
    name: 'negative maxPods',
    input: kubelet({ maxPods: -1 }),
    path: 'spec.kubelet.maxPods',
    expect: 'cannot be negative',
  },

  // --- EC2NodeClass block devices and metadata options ---------------------------------------------------------
  {
    name: 'two root volumes',
    input: nodeClassSpec({
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '20Gi' } },
        { deviceName: '/dev/xvdb', rootVolume: true, ebs: { volumeSize: '100Gi' } },
      ],
    }),
    path: 'spec.blockDeviceMappings.1.rootVolume',
    expect: Rules.blockDeviceSingleRoot,
  },
  {
    name: 'EBS volume without size or snapshot',
    input: ebs({ volumeType: 'gp3' }),
    path: 'spec.blockDeviceMappings.0.ebs.volumeSize',
    expect: Rules.ebsSizeOrSnapshot,
  },
  {
    name: 'volume initialization rate without a snapshot',
    input: ebs({ volumeSize: '20Gi', volumeInitializationRate: 200 }),
    path: 'spec.blockDeviceMappings.0.ebs.volumeInitializationRate',
    expect: Rules.ebsInitializationRateNeedsSnapshot,
  },
  {
    name: 'volume size in GB',
    input: ebs({ volumeSize: '100GB' }),
    path: 'spec.blockDeviceMappings.0.ebs.volumeSize',
    expect:
      'must be a whole size from 1 to 59000Gi, 64000G, 58Ti or 64T, such as "20Gi" or "1Ti" (got "100GB")',
  },
  {
    name: 'volume size above 58Ti',
    input: ebs({ volumeSize: '64Ti' }),
    path: 'spec.blockDeviceMappings.0.ebs.volumeSize',
    expect:
      'must be a whole size from 1 to 59000Gi, 64000G, 58Ti or 64T, such as "20Gi" or "1Ti" (got "64Ti")',
  },
  {
    name: 'EC2NodeClass name with an underscore',
    input: ec2NodeClass({ metadata: { name: 'gpu_nodes' } }),
    path: 'metadata.name',
    expect:
      'is not a valid name (got "gpu_nodes"): use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (e.g. "general-purpose")',
  },
  {
    name: 'unknown volume type',
    input: ebs({ volumeSize: '20Gi', volumeType: 'gp4' }),
    path: 'spec.blockDeviceMappings.0.ebs.volumeType',
    expect: 'must be "standard", "io1", "io2", "gp2", "sc1", "st1" or "gp3" (got "gp4")',
  },
  {
    name: 'hop limit above 64',
    input: nodeClassSpec({ metadataOptions: { httpPutResponseHopLimit: 65 } }),
    path: 'spec.metadataOptions.httpPutResponseHopLimit',
    expect: 'must be at most 64: use 1 to 64',
  },
  {
    name: 'unknown httpTokens',
    input: nodeClassSpec({ metadataOptions: { httpTokens: 'maybe' } }),
    path: 'spec.metadataOptions.httpTokens',
    expect: 'must be "required" or "optional" (got "maybe")',
  },
  {
    name: 'unknown instanceStorePolicy',
    input: nodeClassSpec({ instanceStorePolicy: 'RAID1' }),
    path: 'spec.instanceStorePolicy',
    expect: 'must be "RAID0", or remove instanceStorePolicy',
  },

  // --- EC2NodeClass placement group ----------------------------------------------------------------------------
  {
    name: 'placementGroupSelector with neither name nor id',
    input: nodeClassSpec({ placementGroupSelector: {} }),
    path: 'spec.placementGroupSelector',
    expect: Rules.placementGroupSelectorEmpty,
  },
  {
    name: 'placementGroupSelector with both name and id',
    input: nodeClassSpec({ placementGroupSelector: { name: 'training', id: 'pg-0123abcd' } }),
    path: 'spec.placementGroupSelector.id',
    expect: Rules.placementGroupSelectorExclusive,
  },
  {
    name: 'placementGroupSelector id not a placement group id',
    input: nodeClassSpec({ placementGroupSelector: { id: 'sg-0123abcd' } }),
    path: 'spec.placementGroupSelector.id',
    expect: 'must be a placement group id ("pg-" then lowercase letters and digits)',
  },
  {
    name: 'placementGroupSelector with an empty name',
    input: nodeClassSpec({ placementGroupSelector: { name: '' } }),
    path: 'spec.placementGroupSelector.name',
    expect: 'is empty: set the placement group name, or use id',
  },

  // --- EC2NodeClass network interface --------------------------------------------------------------------------
  {
    name: 'connectionTracking without a timeout',
    input: nodeClassSpec({ connectionTracking: {} }),
    path: 'spec.connectionTracking',
    expect: Rules.connectionTrackingEmpty,
  },
  {
    name: 'udpTimeout below 30 seconds',
    input: nodeClassSpec({ connectionTracking: { udpTimeout: 29 } }),
    path: 'spec.connectionTracking.udpTimeout',
    expect: 'must be at least 30 seconds: use 30 to 60',
  },
  {
    name: 'udpStreamTimeout above 180 seconds',
    input: nodeClassSpec({ connectionTracking: { udpStreamTimeout: 181 } }),
    path: 'spec.connectionTracking.udpStreamTimeout',
    expect: 'must be at most 180 seconds: use 60 to 180',
  },
  {
    name: 'tcpEstablishedTimeout above 5 days',
    input: nodeClassSpec({ connectionTracking: { tcpEstablishedTimeout: 432_001 } }),
    path: 'spec.connectionTracking.tcpEstablishedTimeout',
    expect: 'must be at most 432000 seconds: use 60 to 432000',
  },
  {
    name: 'fractional tcpEstablishedTimeout',
    input: nodeClassSpec({ connectionTracking: { tcpEstablishedTimeout: 90.5 } }),
    path: 'spec.connectionTracking.tcpEstablishedTimeout',
    expect: 'must be a whole number of seconds from 60 to 432000',
  },
  {
    name: 'misspelt connectionTracking timeout',
    input: nodeClassSpec({ connectionTracking: { udpTimeout: 30, tcpTimeout: 60 } }),
    path: 'spec.connectionTracking',
    expect:
      'unknown field "tcpTimeout": remove it or fix the spelling (known fields: tcpEstablishedTimeout, udpStreamTimeout, udpTimeout)',
  },
  {
    name: 'nestedVirtualization neither enabled nor disabled',
    input: nodeClassSpec({ cpuOptions: { nestedVirtualization: 'on' } }),
    path: 'spec.cpuOptions.nestedVirtualization',
    expect: 'must be "enabled" or "disabled" (got "on")',
  },
  {
    name: 'misspelt cpuOptions field',
    input: nodeClassSpec({ cpuOptions: { nestedVirtualisation: 'enabled' } }),
    path: 'spec.cpuOptions',
    expect:
      'unknown field "nestedVirtualisation": remove it or fix the spelling (known fields: nestedVirtualization)',
  },
  {
    name: 'networkInterfaces without the primary interface',
    input: nodeClassSpec({
      networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 1, interfaceType: 'interface' }],
    }),
    path: 'spec.networkInterfaces',
    expect: Rules.networkInterfacesPrimary,
  },
  {
    name: 'an efa-only primary interface',
    input: nodeClassSpec({
      networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'efa-only' }],
    }),
    path: 'spec.networkInterfaces',
    expect: Rules.networkInterfacesPrimary,
  },
  {
    name: 'a network card and device index pair given twice',
    input: nodeClassSpec({
      networkInterfaces: [
        { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
        { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
        { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'interface' },
        { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' },
      ],
    }),
    path: 'spec.networkInterfaces.3',
    expect: Rules.networkInterfacesDistinct,
  },
  {
    name: 'two efa-only interfaces on one network card',
    input: nodeClassSpec({
      networkInterfaces: [
        { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
        { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' },
        { networkCardIndex: 1, deviceIndex: 1, interfaceType: 'efa-only' },
      ],
    }),
    path: 'spec.networkInterfaces.2',
    expect: Rules.networkInterfacesDistinct,
  },
  {
    name: 'interfaceType efa (not offered: interface or efa-only)',
    input: nodeClassSpec({
      networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'efa' }],
    }),
    path: 'spec.networkInterfaces.0.interfaceType',
    expect: 'must be "interface" or "efa-only" (got "efa")',
  },
  {
    name: 'a negative networkCardIndex',
    input: nodeClassSpec({
      networkInterfaces: [
        { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
        { networkCardIndex: -1, deviceIndex: 0, interfaceType: 'interface' },
      ],
    }),
    path: 'spec.networkInterfaces.1.networkCardIndex',
    expect: 'cannot be negative: network card indexes are counted from 0',
  },
  {
    name: 'a fractional deviceIndex',
    input: nodeClassSpec({
      networkInterfaces: [{ networkCardIndex: 0, deviceIndex: 0.5, interfaceType: 'interface' }],
    }),
    path: 'spec.networkInterfaces.0.deviceIndex',
    expect: 'must be a whole number: the device index, counted from 0',
  },
  {
    name: 'a network interface without deviceIndex',
    input: nodeClassSpec({ networkInterfaces: [{ networkCardIndex: 0, interfaceType: 'interface' }] }),
    path: 'spec.networkInterfaces.0.deviceIndex',
    expect: 'is required: add deviceIndex',
  },
  {
    name: 'more than 150 network interfaces',
    input: nodeClassSpec({
      networkInterfaces: Array.from({ length: 151 }, (_, card) => ({
        networkCardIndex: card,
        deviceIndex: 0,
        interfaceType: 'interface',
      })),
    }),
    path: 'spec.networkInterfaces',
    expect: 'has more than 150 network interfaces: drop some',
  },
  {
    name: 'negative ipPrefixCount',
    input: nodeClassSpec({ ipPrefixCount: -1 }),
    path: 'spec.ipPrefixCount',
    expect: 'cannot be negative',
  },
  {
    // Not an upstream (v1.14.1) field: rejected like any unknown one rather than accepted and ignored.
    name: 'enclaveOptions',
    input: nodeClassSpec({ enclaveOptions: { enabled: true } }),
    path: 'spec',
    expect:
      'unknown field "enclaveOptions": remove it or fix the spelling (known fields: subnetSelectorTerms, securityGroupSelectorTerms, capacityReservationSelectorTerms, placementGroupSelector, amiSelectorTerms, amiFamily, role, instanceProfile, userData, tags, kubelet, blockDeviceMappings, instanceStorePolicy, networkInterfaces, associatePublicIPAddress, detailedMonitoring, ipPrefixCount, connectionTracking, context, cpuOptions, metadataOptions)',
  },
];

describe('invalid manifests: one case per rule, each naming the field and the fix', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const schema = SCHEMAS[c.input.kind as string] as z.ZodType;
    const result = validate(schema, c.input);
    expect(result.success).toBe(false);
    if (result.success) return;
    // The base manifests are valid, so each variant fails for exactly the one reason it was built for.
    expect(result.problems).toHaveLength(1);
    const [problem] = result.problems;
    expect(problem?.path).toBe(c.path);
    if (typeof c.expect === 'string') {
      expect(problem?.message).toBe(c.expect);
      expect(problem?.rule).toBeUndefined();
    } else {
      expect(problem?.rule).toBe(c.expect.id);
      expect(problem?.message.startsWith(c.expect.message)).toBe(true);
    }
  });

  it('covers every cross-field rule', () => {
    const covered = new Set(cases.flatMap((c) => (typeof c.expect === 'string' ? [] : [c.expect.id])));
    expect(ruleList.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it('names every target as "<Kind> <schema path>", optionally with "(path: ...)"', () => {
    for (const rule of ruleList) {
      for (const target of rule.targets) {
        expect(target).toMatch(
          /^(NodePool|NodeClaim|EC2NodeClass|NodeOverlay|CapacityBuffer) [A-Za-z.[\]*]+( \(path: [^)]+\))?$/,
        );
      }
    }
  });

  it('every message says what is wrong and how to fix it', () => {
    for (const rule of ruleList) expect(rule.message).toMatch(/: /);
  });
});

describe('valid edge cases', () => {
  it.each([
    [
      'a NodeClaim may carry karpenter.sh/nodepool and karpenter.k8s.aws/ec2nodeclass requirements',
      nodeClaimSchema,
      nodeClaim({
        spec: {
          requirements: [
            { key: 'karpenter.sh/nodepool', operator: 'In', values: ['default'] },
            { key: 'karpenter.k8s.aws/ec2nodeclass', operator: 'In', values: ['default'] },
          ],
        },
      }),
    ],
    ['an empty requirements list', nodePoolSchema, templateSpec({ requirements: [] })],
    [
      'a static NodePool with only limits.nodes, and one of zero replicas',
      nodePoolSchema,
      nodePool({ spec: { replicas: 0, limits: { nodes: '4' } } }),
    ],
    [
      'a dynamic NodePool with cpu limits and a weight',
      nodePoolSchema,
      nodePool({ spec: { weight: 5, limits: { cpu: '8' } } }),
    ],
    [
      'each disruption reason once',
      nodePoolSchema,
      budget({ nodes: '1', reasons: ['Underutilized', 'Empty', 'Drifted'] }),
    ],
    [
      'volume sizes at the upper bound of each unit',
      ec2NodeClassSchema,
      nodeClassSpec({
        blockDeviceMappings: ['59000Gi', '64000G', '58Ti', '64T'].map((volumeSize, i) => ({
          deviceName: `/dev/xvd${'abcd'[i]}`,
          ebs: { volumeSize },
        })),
      }),
    ],
    [
      'a name with dots and dashes, at the length limit',
      nodePoolSchema,
      nodePool({ metadata: { name: `team-a.${'x'.repeat(246)}` } }),
    ],
    [
      'well-known keys in restricted domains, and kubernetes.io / k8s.io keys',
      nodePoolSchema,
      templateSpec({
        requirements: [
          { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
          { key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['us-east-1a'] },
          { key: 'node.kubernetes.io/instance-type', operator: 'Exists', minValues: 50 },
          { key: 'node-restriction.kubernetes.io/team', operator: 'Exists' },
          { key: 'kops.k8s.io/instancegroup', operator: 'Exists' },
          { key: 'node-role.kubernetes.io/worker', operator: 'Exists' },
          { key: 'k8s.io/owner', operator: 'Exists' },
          { key: 'karpenter.k8s.aws/instance-tenancy', operator: 'In', values: ['default'] },
          { key: 'karpenter.k8s.aws/capacity-reservation-id', operator: 'DoesNotExist' },
          {
            key: 'karpenter.sh/capacity-type',
            operator: 'In',
            values: ['spot', 'on-demand', 'reserved'],
            minValues: 2,
          },
          { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gte', values: ['6'] },
          { key: 'karpenter.k8s.aws/instance-memory', operator: 'Lt', values: ['65536'] },
          { key: 'topology.k8s.aws/zone-id', operator: 'Exists' },
          { key: 'unprefixed', operator: 'DoesNotExist' },
        ],
      }),
    ],
    [
      'every cron macro, a weekday range, and CRON_TZ= / TZ= prefixes',
      nodePoolSchema,
      nodePool({
        spec: {
          disruption: {
            budgets: [
              '@yearly',
              '@annually',
              '@monthly',
              '@weekly',
              '@daily',
              '@midnight',
              '@hourly',
              '0 9 * * MON-FRI',
              '*/15 0-6 1,15 * *',
              'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
              'TZ=America/New_York @midnight',
              'TZ=UTC 0 0 * * *',
            ].map((schedule) => ({ nodes: '0', schedule, duration: '1h30m' })),
          },
        },
      }),
    ],
    [
      'Never for expireAfter and consolidateAfter',
      nodePoolSchema,
      nodePool({
        spec: { template: { spec: { expireAfter: 'Never' } }, disruption: { consolidateAfter: 'Never' } },
      }),
    ],
    [
      // Upstream's CRD test: an ENA and an efa-only interface on each of two cards.
      'network interfaces on two cards, one efa-only on each',
      ec2NodeClassSchema,
      nodeClassSpec({
        networkInterfaces: [
          { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
          { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
          { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' },
          { networkCardIndex: 1, deviceIndex: 1, interfaceType: 'interface' },
        ],
      }),
    ],
    [
      // Upstream's docs (concepts/nodeclasses, spec.networkInterfaces).
      'an ENA primary and an efa-only interface on the default card',
      ec2NodeClassSchema,
      nodeClassSpec({
        networkInterfaces: [
          { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
          { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
        ],
      }),
    ],
    ['an empty networkInterfaces list', ec2NodeClassSchema, nodeClassSpec({ networkInterfaces: [] })],
    [
      'instanceProfile instead of role',
      ec2NodeClassSchema,
      nodeClassSpec({ role: undefined, instanceProfile: 'my-profile' }),
    ],
    [
      'Custom amiFamily with an alias',
      ec2NodeClassSchema,
      nodeClassSpec({ amiFamily: 'Custom', amiSelectorTerms: [{ alias: 'bottlerocket@v1.20.0' }] }),
    ],
    [
      'matching amiFamily with an alias',
      ec2NodeClassSchema,
      nodeClassSpec({ amiFamily: 'AL2', amiSelectorTerms: [{ alias: 'al2@v20240807' }] }),
    ],
    [
      // The Windows AMI, bootstrapped by the user's own user data.
      'Custom amiFamily with a Windows alias',
      ec2NodeClassSchema,
      nodeClassSpec({ amiFamily: 'Custom', amiSelectorTerms: [{ alias: 'windows2025@latest' }] }),
    ],
    [
      'AMIs by name and owner, and by SSM parameter',
      ec2NodeClassSchema,
      nodeClassSpec({
        amiFamily: 'AL2023',
        amiSelectorTerms: [
          { name: 'my-ami-*', owner: '123456789012' },
          { ssmParameter: '/my/ami' },
          { tags: { team: '*' } },
        ],
      }),
    ],
    [
      'a full kubelet block',
      ec2NodeClassSchema,
      kubelet({
        clusterDNS: ['10.0.0.10'],
        maxPods: 110,
        podsPerCore: 10,
        systemReserved: { cpu: '100m', memory: 100, 'ephemeral-storage': '1Gi', pid: '100' },
        kubeReserved: { cpu: '200m' },
        evictionHard: { 'memory.available': '5%', 'nodefs.available': '10%', 'pid.available': '1k' },
        evictionSoft: { 'memory.available': '500Mi' },
        evictionSoftGracePeriod: { 'memory.available': '1m30s' },
        evictionMaxPodGracePeriod: 60,
        imageGCHighThresholdPercent: 85,
        imageGCLowThresholdPercent: 80,
        cpuCFSQuota: true,
      }),
    ],
    [
      'a volume from a snapshot',
      ec2NodeClassSchema,
      ebs({ snapshotID: 'snap-0abc', volumeInitializationRate: 300 }),
    ],
    [
      'connection tracking at its bounds, prefixes and a fleet context',
      ec2NodeClassSchema,
      nodeClassSpec({
        ipPrefixCount: 0,
        context: 'ctx-123',
        connectionTracking: { tcpEstablishedTimeout: 432_000, udpStreamTimeout: 60, udpTimeout: 30 },
      }),
    ],
    [
      'connection tracking with a single timeout',
      ec2NodeClassSchema,
      nodeClassSpec({ connectionTracking: { udpTimeout: 60 } }),
    ],
    [
      'nested virtualization enabled',
      ec2NodeClassSchema,
      nodeClassSpec({ cpuOptions: { nestedVirtualization: 'enabled' } }),
    ],
    [
      'nested virtualization disabled',
      ec2NodeClassSchema,
      nodeClassSpec({ cpuOptions: { nestedVirtualization: 'disabled' } }),
    ],
    // Upstream admits an empty cpuOptions; it sets nothing.
    ['empty cpuOptions', ec2NodeClassSchema, nodeClassSpec({ cpuOptions: {} })],
    [
      'capacity reservations',
      ec2NodeClassSchema,
      nodeClassSpec({
        capacityReservationSelectorTerms: [
          { id: 'cr-0abc' },
          { tags: { team: 'x' }, ownerID: '123456789012' },
          { instanceMatchCriteria: 'open' },
        ],
      }),
    ],
    [
      'server-set metadata and status fields',
      nodePoolSchema,
      nodePool({
        metadata: { name: 'p', managedFields: [{ manager: 'kubectl' }] },
        status: { resources: { cpu: '4' }, observedGeneration: 2 },
      }),
    ],
  ] as const)('%s', (_name, schema: z.ZodType, input) => {
    const result = validate(schema, input);
    expect(result.success ? [] : result.problems).toEqual([]);
  });
});
