/**
 * Label key and value syntax, and the label keys a NodePool or NodeClaim may not use: Karpenter and its AWS
 * provider set the labels of their own domains themselves, so a NodePool that asked for them would fight them.
 */
import { AWS_GROUP, AwsUnmodelledLabels, AwsWellKnownLabels, KARPENTER_GROUP, Labels } from './well-known';

/**
 * A qualified name: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters.
 * Written without look-arounds so the same pattern works in a CRD (the API server evaluates patterns with RE2).
 */
export const QUALIFIED_NAME_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
/** Prefix (253) + "/" + name (63). */
export const QUALIFIED_NAME_MAX_LENGTH = 317;
/** A label value: empty, or at most 63 characters starting and ending with a letter or digit. */
export const LABEL_VALUE_PATTERN = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export const LABEL_KEY_HELP =
  'use an optional DNS prefix and "/", then a name of at most 63 letters, digits, "-", "_" or "." that starts and ends with a letter or digit (e.g. "example.com/team")';
export const LABEL_VALUE_HELP =
  'use at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';

export function isQualifiedName(key: string): boolean {
  return key.length <= QUALIFIED_NAME_MAX_LENGTH && QUALIFIED_NAME_PATTERN.test(key);
}

export function isLabelValue(value: string): boolean {
  return LABEL_VALUE_PATTERN.test(value);
}

/** The part of a label key before "/", or "" for an unprefixed key. */
export function labelDomain(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** `domain` is `parent` or one of its subdomains (a dot boundary, so "notkubernetes.io" is not inside "kubernetes.io"). */
export function inDomain(domain: string, parent: string): boolean {
  return domain === parent || domain.endsWith(`.${parent}`);
}

/**
 * Which keys a NodePool or NodeClaim may name, as upstream decides it (core v1.15.0 and AWS provider v1.14.1):
 * - `kubernetes.io/hostname` is restricted everywhere (labels.go RestrictedLabels, and a CEL rule in both CRDs).
 * - Two label domains are restricted: `karpenter.sh` (core labels.go RestrictedLabelDomains) and
 *   `karpenter.k8s.aws` (added by the AWS provider's labels.go init()). The CRDs' CEL rules match a domain by suffix
 *   of the text before the first "/" (the whole key when it has none), so "mykarpenter.sh/x" and an unprefixed
 *   "karpenter.sh" are in it too. Of `karpenter.sh`, capacity-type and nodepool pass that rule; of
 *   `karpenter.k8s.aws`, the AWS well-known labels and ec2nodeclass do.
 * - A NodePool may not name karpenter.sh/nodepool (CEL, and its controller's validation) nor
 *   karpenter.k8s.aws/ec2nodeclass: the NodePool CRD admits the latter, but the controller's IsRestrictedLabel
 *   refuses it (the AWS provider does not register it as well-known), so the NodePool never becomes ready.
 * - A NodeOverlay (v1alpha1) may name karpenter.sh/nodepool (its CRD's CEL allows it, so overlays can select a
 *   pool) but not karpenter.k8s.aws/ec2nodeclass (its controller's runtime validation runs IsRestrictedLabel).
 * - Nothing else is restricted: `kubernetes.io` and `k8s.io` keys (node-role.kubernetes.io/worker, say) are fine.
 */
export type LabelKeyOwner = 'NodePool' | 'NodeClaim' | 'NodeOverlay';

/** The label domains Karpenter and its AWS provider keep for the labels they set. */
export const RESTRICTED_LABEL_DOMAINS = [KARPENTER_GROUP, AWS_GROUP] as const;
export type RestrictedLabelDomain = (typeof RESTRICTED_LABEL_DOMAINS)[number];

/** The keys of each restricted domain that pass its domain rule (NodePools are narrowed further: see above). */
export const RESTRICTED_DOMAIN_ALLOWED_KEYS: Readonly<Record<RestrictedLabelDomain, readonly string[]>> = {
  [KARPENTER_GROUP]: [Labels.capacityType, Labels.nodePool],
  [AWS_GROUP]: [...AwsWellKnownLabels, ...AwsUnmodelledLabels],
};

/** The text a domain rule looks at: the part of the key before the first "/", or the whole key without one. */
export function keyDomainText(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

/** Which restricted-label rule a key breaks for its owner, if any. */
export type RestrictedLabelViolation = 'hostname' | 'nodepool' | 'ec2nodeclass' | RestrictedLabelDomain;

export function restrictedLabelViolation(
  key: string,
  owner: LabelKeyOwner,
): RestrictedLabelViolation | undefined {
  if (key === Labels.hostname) return 'hostname';
  if (owner === 'NodePool' && key === Labels.nodePool) return 'nodepool';
  if (owner !== 'NodeClaim' && key === Labels.ec2NodeClass) return 'ec2nodeclass';
  const text = keyDomainText(key);
  for (const domain of RESTRICTED_LABEL_DOMAINS) {
    if (text.endsWith(domain) && !RESTRICTED_DOMAIN_ALLOWED_KEYS[domain].includes(key)) return domain;
  }
  return undefined;
}
