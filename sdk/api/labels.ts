/**
 * Label key and value syntax, and the label domains a NodePool may not use. Karpenter owns some domains (it
 * sets those labels itself) and the kubelet refuses to self-assign most of `kubernetes.io` / `k8s.io`, so a
 * NodePool that asked for them would launch nodes that never match or never register.
 */
import { AwsWellKnownLabels, Labels } from './well-known';

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

/** Keys in the `kubernetes.io` domain that Karpenter understands and a NodePool may constrain or set. */
export const KUBERNETES_IO_ALLOWED_KEYS: readonly string[] = [
  Labels.arch,
  Labels.os,
  Labels.zone,
  Labels.region,
  Labels.instanceType,
  'node.kubernetes.io/windows-build',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
];
/** Sub-domains of restricted domains that the kubelet may self-assign, so they are open to users. */
export const OPEN_SUBDOMAINS: readonly string[] = [
  'node.kubernetes.io',
  'node-restriction.kubernetes.io',
  'kops.k8s.io',
];
/** Keys in the `karpenter.sh` domain a NodePool may use (karpenter.sh/nodepool is set by Karpenter itself). */
export const KARPENTER_SH_ALLOWED_KEYS: readonly string[] = [Labels.capacityType];

/** Which restricted-label rule a NodePool requirement key or template label key breaks, if any. */
export type RestrictedLabelViolation =
  'hostname' | 'nodepool' | 'kubernetes.io' | 'k8s.io' | 'karpenter.sh' | 'karpenter.k8s.aws';

export function restrictedLabelViolation(key: string): RestrictedLabelViolation | undefined {
  if (key === Labels.hostname) return 'hostname';
  if (key === Labels.nodePool) return 'nodepool';
  const domain = labelDomain(key);
  if (OPEN_SUBDOMAINS.some((open) => inDomain(domain, open))) return undefined;
  if (inDomain(domain, 'kubernetes.io'))
    return KUBERNETES_IO_ALLOWED_KEYS.includes(key) ? undefined : 'kubernetes.io';
  if (inDomain(domain, 'k8s.io')) return 'k8s.io';
  if (inDomain(domain, 'karpenter.sh'))
    return KARPENTER_SH_ALLOWED_KEYS.includes(key) ? undefined : 'karpenter.sh';
  if (inDomain(domain, 'karpenter.k8s.aws'))
    return AwsWellKnownLabels.includes(key) ? undefined : 'karpenter.k8s.aws';
  return undefined;
}
