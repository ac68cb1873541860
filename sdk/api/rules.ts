/**
 * The cross-field validation rules of the Karpenter API, as data.
 *
 * How the schemas are built (for whoever turns them into CRDs, Pulumi args or docs):
 * - Every exported zod schema in sdk/api is ONE schema: its structural shape (types, enums, patterns, min/max,
 *   defaults) plus refinements. zod 4 stores refinements as checks on the same schema object and
 *   `z.toJSONSchema` skips them, so `z.toJSONSchema(nodePoolSchema, { io: 'input' })` is the structural shape.
 *   Structural checks carry their own messages; patterns are RE2-compatible (no look-arounds).
 * - Everything a JSON Schema cannot say is a refinement, and every refinement is one entry of `Rules` below:
 *   - `targets`: the schema nodes the refinement is attached to, as `<Kind> <path>`, `[*]` = every list item;
 *     that is where the matching `x-kubernetes-validations` entry belongs.
 *   - `path`: where the error points, relative to the target (`<key>` = the offending map key, `<n>` = the index).
 *   - `message`: the exact text zod reports (some issues append specifics in parentheses); reuse it in CEL.
 *   - `cel`: a suggested CEL rule with `self` = the target node. Suggestions, not tested against an API server.
 *     The label-key rules are written for a requirement (`self.key`); on a labels map use `self.all(k, ...)`
 *     with `k` in place of `self.key`.
 * - Each zod issue a refinement raises carries `params.rule` = the rule id, so tests and tools can map an
 *   error back to its rule.
 * Transition rules (immutable nodeClassRef.group/kind, immutable NodeClaim spec, no static/dynamic switch of a
 * NodePool) need the old object and so are left to the CRD (sdk/crd/generate.ts); they are not here. List
 * semantics (`x-kubernetes-list-type`) are `.meta()` on the schemas; where the API server enforces them for user
 * input (a `set` holds no duplicates) a rule without CEL says so to zod.
 */

import { RESTRICTED_DOMAIN_ALLOWED_KEYS } from './labels';
import { AWS_GROUP, KARPENTER_GROUP } from './well-known';

export type ManifestKind = 'NodePool' | 'NodeClaim' | 'EC2NodeClass' | 'NodeOverlay' | 'CapacityBuffer';

export interface Rule {
  readonly id: string;
  readonly targets: readonly string[];
  readonly path: string;
  readonly message: string;
  readonly cel?: string;
}

type RuleBody = Omit<Rule, 'id'>;

function defineRules<T extends Record<string, RuleBody>>(rules: T): { readonly [K in keyof T]: Rule } {
  return Object.fromEntries(Object.entries(rules).map(([id, body]) => [id, { id, ...body }])) as {
    readonly [K in keyof T]: Rule;
  };
}

const REQUIREMENT_TARGETS = [
  'NodePool spec.template.spec.requirements[*]',
  'NodeClaim spec.requirements[*]',
  'NodeOverlay spec.requirements[*]',
];
const NODEPOOL_LABEL_TARGETS = [
  'NodePool spec.template.spec.requirements[*] (path: key)',
  'NodePool spec.template.metadata.labels (path: <key>)',
];
const OVERLAY_KEY_TARGET = 'NodeOverlay spec.requirements[*] (path: key)';
/** Where upstream's CRDs check label keys: NodePool requirements and template labels, NodeClaim and NodeOverlay requirements. */
const LABEL_KEY_TARGETS = [
  ...NODEPOOL_LABEL_TARGETS,
  'NodeClaim spec.requirements[*] (path: key)',
  OVERLAY_KEY_TARGET,
];
const SELECTOR_TAG_TARGETS = [
  'EC2NodeClass spec.subnetSelectorTerms[*].tags',
  'EC2NodeClass spec.securityGroupSelectorTerms[*].tags',
  'EC2NodeClass spec.amiSelectorTerms[*].tags',
  'EC2NodeClass spec.capacityReservationSelectorTerms[*].tags',
];
const celList = (items: readonly string[]) => `[${items.map((i) => `'${i}'`).join(', ')}]`;
/** CEL for "the key is outside `domain`, or one of its allowed keys" (see keyDomainText in labels.ts). */
const domainRuleCel = (domain: keyof typeof RESTRICTED_DOMAIN_ALLOWED_KEYS) =>
  `!self.key.split('/')[0].endsWith('${domain}') || self.key in ${celList(RESTRICTED_DOMAIN_ALLOWED_KEYS[domain])}`;

export const Rules = defineRules({
  // --- NodePool / NodeClaim requirements -------------------------------------------------------------------
  requirementValuesRequired: {
    targets: REQUIREMENT_TARGETS,
    path: 'values',
    message:
      'operators In and NotIn need at least one value: list the values to match, or use Exists / DoesNotExist to match on the key alone',
    cel: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
  },
  requirementValuesForbidden: {
    targets: REQUIREMENT_TARGETS,
    path: 'values',
    message:
      'operators Exists and DoesNotExist take no values: remove values, or use In / NotIn to match specific values',
    cel: "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
  },
  requirementSingleInteger: {
    targets: REQUIREMENT_TARGETS,
    path: 'values',
    message:
      'operators Gt, Lt, Gte and Lte compare against exactly one non-negative integer: set values to a single integer such as ["4"]',
    cel: "!(self.operator in ['Gt', 'Lt', 'Gte', 'Lte']) || (has(self.values) && size(self.values) == 1 && self.values[0].matches('^[0-9]+$'))",
  },
  requirementMinValues: {
    // A NodeOverlay requirement has no minValues.
    targets: REQUIREMENT_TARGETS.filter((t) => !t.startsWith('NodeOverlay')),
    path: 'minValues',
    message: 'minValues is larger than the number of values: add values or lower minValues',
    cel: "!(self.operator == 'In' && has(self.minValues)) || size(self.values) >= self.minValues",
  },

  // --- Label keys (NodePool requirement keys and template labels, NodeClaim requirement keys; see labels.ts) ----
  labelKeySyntax: {
    targets: ['NodePool spec.template.metadata.labels (path: <key>)'],
    path: '<key>',
    message:
      'label key is not a valid qualified name: use an optional DNS prefix and "/", then a name of at most 63 letters, digits, "-", "_" or "." that starts and ends with a letter or digit (e.g. "example.com/team")',
    cel: "self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$'))",
  },
  labelHostnameRestricted: {
    targets: LABEL_KEY_TARGETS,
    path: 'key',
    message:
      'label "kubernetes.io/hostname" is restricted: Karpenter gives every node its own hostname; spread or separate pods per node with topologySpreadConstraints or pod anti-affinity instead',
    cel: "self.key != 'kubernetes.io/hostname'",
  },
  labelNodePoolRestricted: {
    targets: NODEPOOL_LABEL_TARGETS,
    path: 'key',
    message:
      'label "karpenter.sh/nodepool" is restricted: Karpenter sets it to the NodePool\'s name; remove it (pods can still select a pool with a nodeSelector on it)',
    cel: "self.key != 'karpenter.sh/nodepool'",
  },
  labelNodeClassRestricted: {
    targets: [...NODEPOOL_LABEL_TARGETS, OVERLAY_KEY_TARGET],
    path: 'key',
    message:
      'label "karpenter.k8s.aws/ec2nodeclass" is restricted: Karpenter sets it to the name of the node class; remove it and choose the EC2NodeClass with spec.template.spec.nodeClassRef',
    // No CEL: upstream's NodePool CRD admits the key and its controller refuses it (IsRestrictedLabel), leaving the
    // NodePool not ready. The CRD here admits it too; the controller reports ValidationSucceeded=False.
  },
  labelKarpenterShRestricted: {
    targets: LABEL_KEY_TARGETS,
    path: 'key',
    message:
      'label domain "karpenter.sh" (or a domain ending in it) is restricted: Karpenter sets those labels itself; of its keys only karpenter.sh/capacity-type can be required or set, so use a key in your own domain (e.g. "example.com/team")',
    cel: domainRuleCel(KARPENTER_GROUP),
  },
  labelKarpenterK8sAwsRestricted: {
    targets: LABEL_KEY_TARGETS,
    path: 'key',
    message:
      'label domain "karpenter.k8s.aws" (or a domain ending in it) is restricted: use one of its well-known keys (such as karpenter.k8s.aws/instance-family or karpenter.k8s.aws/instance-category) or a key in your own domain',
    cel: domainRuleCel(AWS_GROUP),
  },

  // --- NodeOverlay (karpenter.sh/v1alpha1) ------------------------------------------------------------------------
  overlayPriceExclusive: {
    targets: ['NodeOverlay spec'],
    path: 'priceAdjustment',
    message:
      "cannot set both 'price' and 'priceAdjustment': keep price to replace the offerings' price, or priceAdjustment to change it (e.g. \"-10%\" or \"+0.05\")",
    cel: '!has(self.price) || !has(self.priceAdjustment)',
  },
  overlayCapacityRestricted: {
    targets: ['NodeOverlay spec.capacity'],
    path: '<key>',
    message:
      'capacity adds extended resources only: cpu, memory, ephemeral-storage and pods come from the instance type; remove them and name an extended resource (e.g. "example.com/device")',
    cel: "self.all(x, !(x in ['cpu', 'memory', 'ephemeral-storage', 'pods']))",
  },

  // --- CapacityBuffer (autoscaling.x-k8s.io/v1beta1) -----------------------------------------------------------
  // The first two are upstream's CRD rules (core v1.15.0 autoscaling.x-k8s.io_capacitybuffers.yaml), with a fix.
  bufferTemplateNeedsSize: {
    targets: ['CapacityBuffer spec'],
    path: 'replicas',
    message:
      'a buffer with podTemplateRef needs replicas or limits to size it: set replicas (how many pods of the template to keep room for) or limits (as many as fit in them)',
    cel: '!has(self.podTemplateRef) || has(self.replicas) || has(self.limits)',
  },
  bufferOneRef: {
    targets: ['CapacityBuffer spec'],
    path: 'scalableRef',
    message:
      'set either podTemplateRef or scalableRef, not both: keep podTemplateRef for a PodTemplate, or scalableRef for a Deployment, StatefulSet or ReplicaSet',
    cel: '!(has(self.podTemplateRef) && has(self.scalableRef))',
  },
  // Upstream ignores percentage without scalableRef; karpenter-ts refuses it rather than ignore it.
  bufferPercentageNeedsScalable: {
    targets: ['CapacityBuffer spec'],
    path: 'percentage',
    message:
      "percentage is a share of the scalableRef's replicas: set scalableRef, or size a podTemplateRef buffer with replicas",
    cel: '!has(self.percentage) || has(self.scalableRef)',
  },

  // --- NodePool disruption budgets -----------------------------------------------------------------------------
  budgetSchedule: {
    targets: ['NodePool spec.disruption.budgets[*]'],
    path: 'schedule',
    message:
      'schedule is not a valid cron expression: use 5 fields (minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5") or a macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly), in UTC or after one time zone prefix (e.g. "CRON_TZ=Europe/Berlin 0 9 * * 1-5")',
    // The shape only (an optional CRON_TZ=/TZ= prefix, then a macro or five fields without "="); cron-parser checks
    // the fields. It becomes the CRD's pattern.
    cel: "!has(self.schedule) || self.schedule.matches('^((CRON_TZ|TZ)=[A-Za-z0-9_+/-]+\\\\s+)?(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|[^\\\\s=]+\\\\s+[^\\\\s=]+\\\\s+[^\\\\s=]+\\\\s+[^\\\\s=]+\\\\s+[^\\\\s=]+)$')",
  },
  budgetScheduleTimeZone: {
    targets: ['NodePool spec.disruption.budgets[*]'],
    path: 'schedule',
    message:
      'schedule names a time zone that is not in the IANA time zone database: after CRON_TZ= or TZ= write an IANA name such as Europe/Berlin, America/New_York or UTC',
    // No CEL: the API server has no list of zones to check against. The controller reports the NodePool as
    // ValidationSucceeded=False and treats the budget as allowing no disruption.
  },
  budgetScheduleNeedsDuration: {
    targets: ['NodePool spec.disruption.budgets[*]'],
    path: 'duration',
    message:
      'a budget with a schedule needs a duration: add duration (e.g. "8h") for how long the budget applies after each scheduled time, or remove schedule',
    cel: '!has(self.schedule) || has(self.duration)',
  },
  budgetReasonsDuplicate: {
    targets: ['NodePool spec.disruption.budgets[*].reasons'],
    path: '<n>',
    message: 'reasons lists a disruption reason twice: list each reason once',
    // No CEL: the CRD marks reasons `x-kubernetes-list-type: set`, as upstream's does, and the API server refuses
    // duplicates in a set itself.
  },
  budgetDurationNeedsSchedule: {
    targets: ['NodePool spec.disruption.budgets[*]'],
    path: 'schedule',
    message:
      'a budget with a duration needs a schedule: add a cron schedule (e.g. "0 9 * * 1-5"), or remove duration to make the budget always apply',
    cel: '!has(self.duration) || has(self.schedule)',
  },

  // --- Static NodePools (spec.replicas) -----------------------------------------------------------------------
  staticLimitsNodesOnly: {
    targets: ['NodePool spec'],
    path: 'limits',
    message:
      "only 'limits.nodes' is supported on static NodePools: a static pool keeps spec.replicas nodes whatever they hold, so remove the other limits (or remove replicas for a pool that scales with pods)",
    cel: "!has(self.replicas) || (!has(self.limits) || size(self.limits) == 0 || (size(self.limits) == 1 && 'nodes' in self.limits))",
  },
  staticWeightUnsupported: {
    targets: ['NodePool spec'],
    path: 'weight',
    message:
      "'weight' is not supported on static NodePools: pods never choose a static pool over another, so remove weight (or remove replicas for a pool that scales with pods)",
    cel: '!has(self.replicas) || !has(self.weight)',
  },

  // --- EC2NodeClass selector terms -----------------------------------------------------------------------------
  subnetTermEmpty: {
    targets: ['EC2NodeClass spec.subnetSelectorTerms[*]'],
    path: '',
    message:
      'a subnet selector term needs tags or id: add tags (e.g. karpenter.sh/discovery: <cluster>) or a subnet id ("subnet-...")',
    cel: 'has(self.tags) || has(self.id)',
  },
  subnetTermIdExclusive: {
    targets: ['EC2NodeClass spec.subnetSelectorTerms[*]'],
    path: 'id',
    message:
      'id cannot be combined with tags in one subnet selector term: keep the id alone, or move the tags to a separate term',
    cel: '!(has(self.id) && has(self.tags))',
  },
  securityGroupTermEmpty: {
    targets: ['EC2NodeClass spec.securityGroupSelectorTerms[*]'],
    path: '',
    message:
      'a security group selector term needs tags, id or name: add tags (e.g. karpenter.sh/discovery: <cluster>), a group id ("sg-...") or a group name',
    cel: 'has(self.tags) || has(self.id) || has(self.name)',
  },
  securityGroupTermIdExclusive: {
    targets: ['EC2NodeClass spec.securityGroupSelectorTerms[*]'],
    path: 'id',
    message:
      'id cannot be combined with tags or name in one security group selector term: keep the id alone, or move the other fields to a separate term',
    cel: '!(has(self.id) && (has(self.tags) || has(self.name)))',
  },
  securityGroupTermNameExclusive: {
    targets: ['EC2NodeClass spec.securityGroupSelectorTerms[*]'],
    path: 'name',
    message:
      'name cannot be combined with tags in one security group selector term: keep the name alone, or move the tags to a separate term',
    cel: '!(has(self.name) && has(self.tags))',
  },
  capacityReservationTermEmpty: {
    targets: ['EC2NodeClass spec.capacityReservationSelectorTerms[*]'],
    path: '',
    message:
      'a capacity reservation selector term needs tags, id or instanceMatchCriteria: add one of them (e.g. id: cr-0123456789abcdef0)',
    cel: 'has(self.tags) || has(self.id) || has(self.instanceMatchCriteria)',
  },
  capacityReservationTermIdExclusive: {
    targets: ['EC2NodeClass spec.capacityReservationSelectorTerms[*]'],
    path: 'id',
    message:
      'id cannot be combined with tags, ownerID or instanceMatchCriteria in one capacity reservation selector term: keep the id alone, or move the other fields to a separate term',
    cel: '!(has(self.id) && (has(self.tags) || has(self.ownerID) || has(self.instanceMatchCriteria)))',
  },
  placementGroupSelectorEmpty: {
    targets: ['EC2NodeClass spec.placementGroupSelector'],
    path: '',
    message: 'placementGroupSelector needs name or id: set the placement group name, or its id ("pg-...")',
    cel: 'has(self.name) || has(self.id)',
  },
  placementGroupSelectorExclusive: {
    targets: ['EC2NodeClass spec.placementGroupSelector'],
    path: 'id',
    message: "placementGroupSelector's name and id are mutually exclusive: keep one of them",
    cel: '!(has(self.name) && has(self.id))',
  },
  selectorTagsEmpty: {
    targets: SELECTOR_TAG_TARGETS,
    path: '<key>',
    message:
      'selector tag keys and values cannot be empty: give the tag a key, and use "*" as the value to match any value',
    cel: "self.all(k, k != '' && self[k] != '')",
  },
  templateLabelsTooMany: {
    targets: ['NodePool spec.template.metadata.labels'],
    path: '',
    message: 'a NodePool template can set at most 100 labels: drop some, or move them to a separate NodePool',
    cel: 'size(self) <= 100',
  },
  selectorTagsTooMany: {
    targets: SELECTOR_TAG_TARGETS,
    path: '',
    message:
      'a selector term can match at most 20 tags: drop some, or split the selection into several terms',
    cel: 'size(self) <= 20',
  },

  // --- EC2NodeClass AMI selection ------------------------------------------------------------------------------
  amiTermEmpty: {
    targets: ['EC2NodeClass spec.amiSelectorTerms[*]'],
    path: '',
    message:
      'an AMI selector term needs one of alias, tags, id, name or ssmParameter: e.g. alias: al2023@latest, or name plus owner',
    cel: 'has(self.alias) || has(self.tags) || has(self.id) || has(self.name) || has(self.ssmParameter)',
  },
  amiTermIdExclusive: {
    targets: ['EC2NodeClass spec.amiSelectorTerms[*]'],
    path: 'id',
    message:
      'id cannot be combined with alias, tags, name or owner in one AMI selector term: keep the id alone, or move the other fields to a separate term',
    cel: '!(has(self.id) && (has(self.alias) || has(self.tags) || has(self.name) || has(self.owner)))',
  },
  amiTermAliasExclusive: {
    targets: ['EC2NodeClass spec.amiSelectorTerms[*]'],
    path: 'alias',
    message:
      'alias cannot be combined with tags, id, name, owner or ssmParameter in one AMI selector term: keep the alias alone, or drop it and select by the other fields',
    cel: '!(has(self.alias) && (has(self.id) || has(self.tags) || has(self.name) || has(self.owner) || has(self.ssmParameter)))',
  },
  amiAliasOnlyTerm: {
    targets: ['EC2NodeClass spec.amiSelectorTerms'],
    path: '',
    message:
      'an alias must be the only AMI selector term: remove the other terms, or replace the alias with tags / id / name terms',
    cel: '!self.exists(t, has(t.alias)) || size(self) == 1',
  },
  amiAliasFormat: {
    targets: ['EC2NodeClass spec.amiSelectorTerms[*]'],
    path: 'alias',
    message:
      'alias must have the form family@version: e.g. al2023@latest, al2@v20240807 or bottlerocket@v1.20.0',
    cel: "!has(self.alias) || self.alias.matches('^[a-zA-Z0-9]+@.+$')",
  },
  amiAliasFamily: {
    targets: ['EC2NodeClass spec.amiSelectorTerms[*]'],
    path: 'alias',
    message:
      'alias family is not supported: use al2, al2023, bottlerocket, windows2019, windows2022 or windows2025 before the "@"',
    cel: "!has(self.alias) || !self.alias.contains('@') || self.alias.split('@')[0] in ['al2', 'al2023', 'bottlerocket', 'windows2019', 'windows2022', 'windows2025']",
  },
  amiAliasWindowsLatest: {
    targets: ['EC2NodeClass spec.amiSelectorTerms[*]'],
    path: 'alias',
    message: 'Windows aliases cannot pin a version: use "latest", e.g. windows2022@latest',
    cel: "!has(self.alias) || !self.alias.startsWith('windows') || self.alias.endsWith('@latest')",
  },
  windowsUnsupported: {
    targets: ['EC2NodeClass spec'],
    path: 'amiFamily',
    message:
      'Windows nodes are not supported yet (no Windows bootstrap user data): use an al2023 or bottlerocket alias, or amiFamily Custom with user data that joins the node itself',
  },
  bottlerocketUserDataToml: {
    targets: ['EC2NodeClass spec'],
    path: 'userData',
    message:
      'userData is not valid TOML, which Bottlerocket needs (Karpenter merges its settings.kubernetes into it): fix the TOML, or remove userData',
  },
  amiFamilyRequired: {
    targets: ['EC2NodeClass spec'],
    path: 'amiFamily',
    message:
      'amiFamily is required when amiSelectorTerms has no alias: set amiFamily (AL2023, AL2, Bottlerocket, Windows2019, Windows2022, Windows2025 or Custom), or select the AMI with an alias such as al2023@latest',
    cel: 'self.amiSelectorTerms.exists(t, has(t.alias)) || has(self.amiFamily)',
  },
  amiFamilyAliasMismatch: {
    targets: ['EC2NodeClass spec'],
    path: 'amiFamily',
    message:
      "amiFamily does not match the alias family: remove amiFamily (the alias implies it), or set it to the alias's family or Custom",
    cel: "!has(self.amiFamily) || self.amiFamily == 'Custom' || !self.amiSelectorTerms.exists(t, has(t.alias)) || self.amiSelectorTerms.exists(t, has(t.alias) && t.alias.split('@')[0] == self.amiFamily.lowerAscii())",
  },

  // --- EC2NodeClass identity and tags --------------------------------------------------------------------------
  roleOrInstanceProfileRequired: {
    targets: ['EC2NodeClass spec'],
    path: 'role',
    message:
      'one of role or instanceProfile is required: set role to the node IAM role (Karpenter manages the instance profile), or instanceProfile to an existing instance profile',
    cel: 'has(self.role) || has(self.instanceProfile)',
  },
  roleAndInstanceProfile: {
    targets: ['EC2NodeClass spec'],
    path: 'instanceProfile',
    message: 'role and instanceProfile are mutually exclusive: keep exactly one of them',
    cel: '!(has(self.role) && has(self.instanceProfile))',
  },
  tagsEmptyKey: {
    targets: ['EC2NodeClass spec.tags'],
    path: '<key>',
    message: 'tag keys cannot be empty: give the tag a key or remove it',
    cel: "self.all(k, k != '')",
  },
  tagsReserved: {
    targets: ['EC2NodeClass spec.tags'],
    path: '<key>',
    message:
      'tag key is reserved: Karpenter sets eks:eks-cluster-name, kubernetes.io/cluster/*, karpenter.sh/nodepool, karpenter.sh/nodeclaim and karpenter.k8s.aws/ec2nodeclass itself; remove it',
    cel: "self.all(k, !(k in ['eks:eks-cluster-name', 'karpenter.sh/nodepool', 'karpenter.sh/nodeclaim', 'karpenter.k8s.aws/ec2nodeclass']) && !k.startsWith('kubernetes.io/cluster'))",
  },

  // --- EC2NodeClass kubelet ------------------------------------------------------------------------------------
  kubeletReservedKey: {
    targets: ['EC2NodeClass spec.kubelet.systemReserved', 'EC2NodeClass spec.kubelet.kubeReserved'],
    path: '<key>',
    message: 'only cpu, memory, ephemeral-storage and pid can be reserved: remove or rename this resource',
    cel: "self.all(k, k in ['cpu', 'memory', 'ephemeral-storage', 'pid'])",
  },
  kubeletReservedNegative: {
    targets: ['EC2NodeClass spec.kubelet.systemReserved', 'EC2NodeClass spec.kubelet.kubeReserved'],
    path: '<key>',
    message: 'a reservation cannot be negative: use a quantity of zero or more, e.g. "100m" or "1Gi"',
    cel: "self.all(k, !string(self[k]).startsWith('-'))",
  },
  kubeletEvictionSignal: {
    targets: [
      'EC2NodeClass spec.kubelet.evictionHard',
      'EC2NodeClass spec.kubelet.evictionSoft',
      'EC2NodeClass spec.kubelet.evictionSoftGracePeriod',
    ],
    path: '<key>',
    message:
      'unknown eviction signal: use memory.available, nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree or pid.available',
    cel: "self.all(k, k in ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'])",
  },
  kubeletSoftNeedsGracePeriod: {
    targets: ['EC2NodeClass spec.kubelet'],
    path: 'evictionSoft.<key>',
    message:
      'a soft eviction threshold needs a grace period: add the same signal to evictionSoftGracePeriod (e.g. "1m30s")',
    cel: '!has(self.evictionSoft) || self.evictionSoft.all(k, has(self.evictionSoftGracePeriod) && k in self.evictionSoftGracePeriod)',
  },
  kubeletGracePeriodNeedsSoft: {
    targets: ['EC2NodeClass spec.kubelet'],
    path: 'evictionSoftGracePeriod.<key>',
    message:
      'a grace period without a soft eviction threshold has no effect: add the same signal to evictionSoft, or remove the grace period',
    cel: '!has(self.evictionSoftGracePeriod) || self.evictionSoftGracePeriod.all(k, has(self.evictionSoft) && k in self.evictionSoft)',
  },
  kubeletImageGcThresholds: {
    targets: ['EC2NodeClass spec.kubelet'],
    path: 'imageGCHighThresholdPercent',
    message:
      'imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent: raise the high threshold or lower the low one',
    cel: '!has(self.imageGCHighThresholdPercent) || !has(self.imageGCLowThresholdPercent) || self.imageGCHighThresholdPercent > self.imageGCLowThresholdPercent',
  },

  // --- EC2NodeClass network interface ----------------------------------------------------------------------------
  connectionTrackingEmpty: {
    targets: ['EC2NodeClass spec.connectionTracking'],
    path: '',
    message:
      'connectionTracking needs at least one of tcpEstablishedTimeout, udpStreamTimeout or udpTimeout: set one of them, or remove connectionTracking',
    cel: 'has(self.tcpEstablishedTimeout) || has(self.udpStreamTimeout) || has(self.udpTimeout)',
  },
  networkInterfacesPrimary: {
    targets: ['EC2NodeClass spec.networkInterfaces'],
    path: '',
    message:
      'networkInterfaces must include the primary interface (networkCardIndex 0, deviceIndex 0, interfaceType "interface"): add it, or remove networkInterfaces to launch with the default interface',
    cel: "size(self) == 0 || self.exists(n, n.networkCardIndex == 0 && n.deviceIndex == 0 && n.interfaceType == 'interface')",
  },
  networkInterfacesDistinct: {
    targets: ['EC2NodeClass spec.networkInterfaces'],
    path: '<n>',
    message:
      'networkInterfaces must not repeat a networkCardIndex and deviceIndex pair, and may have at most one efa-only interface per network card: give each interface its own deviceIndex on its card, and keep one efa-only interface per card',
    cel: "self.all(n, self.exists_one(m, m.networkCardIndex == n.networkCardIndex && m.deviceIndex == n.deviceIndex) && (n.interfaceType != 'efa-only' || self.exists_one(m, m.networkCardIndex == n.networkCardIndex && m.interfaceType == 'efa-only')))",
  },

  // --- EC2NodeClass block devices ------------------------------------------------------------------------------
  blockDeviceSingleRoot: {
    targets: ['EC2NodeClass spec.blockDeviceMappings'],
    path: '<n>.rootVolume',
    message:
      'only one block device mapping can be the root volume: set rootVolume: true on exactly one mapping',
    cel: 'size(self.filter(m, has(m.rootVolume) && m.rootVolume)) <= 1',
  },
  ebsSizeOrSnapshot: {
    targets: ['EC2NodeClass spec.blockDeviceMappings[*].ebs'],
    path: 'volumeSize',
    message: 'an EBS volume needs a volumeSize or a snapshotID: add volumeSize (e.g. "100Gi") or snapshotID',
    cel: 'has(self.volumeSize) || has(self.snapshotID)',
  },
  ebsInitializationRateNeedsSnapshot: {
    targets: ['EC2NodeClass spec.blockDeviceMappings[*].ebs'],
    path: 'volumeInitializationRate',
    message:
      'volumeInitializationRate only applies to volumes created from a snapshot: add snapshotID, or remove volumeInitializationRate',
    cel: "!has(self.volumeInitializationRate) || (has(self.snapshotID) && self.snapshotID != '')",
  },
});

export type RuleId = keyof typeof Rules;
export const ruleList: readonly Rule[] = Object.values(Rules);

/** The minimal surface of a zod refinement context that `report` needs. */
export interface IssueSink {
  addIssue(issue: {
    code: 'custom';
    message: string;
    path: PropertyKey[];
    params: { rule: string };
    input?: unknown;
  }): void;
}

/** Raise `rule` at `path` (relative to the refined schema), optionally naming the offending value. */
export function report(ctx: IssueSink, rule: Rule, path: PropertyKey[], detail?: string): void {
  ctx.addIssue({
    code: 'custom',
    message: detail === undefined ? rule.message : `${rule.message} (${detail})`,
    path,
    params: { rule: rule.id },
  });
}

type IssuePath = readonly PropertyKey[];
type RefinementWhen = { when: (payload: { issues: readonly { path?: PropertyKey[] }[] }) => boolean };

/**
 * zod skips a refinement once any field of the refined object failed hard (a wrong type, say), which would hide
 * cross-field problems behind unrelated ones. These options run it unless a field it reads is itself broken.
 */
export function whenNoIssue(breaks: (path: IssuePath) => boolean): RefinementWhen {
  return { when: (payload) => !payload.issues.some((issue) => breaks(issue.path ?? [])) };
}

/** Run the refinement unless one of these top-level fields of the refined object has a problem. */
export function whenClean(...fields: string[]): RefinementWhen {
  return whenNoIssue((path) => fields.includes(String(path[0])));
}
