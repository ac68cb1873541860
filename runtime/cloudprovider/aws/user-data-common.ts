/** What every AMI family's user data is built from, and the helpers the families share. */
import { inDomain, labelDomain } from '../../../sdk/api/labels';
import type { KubeletConfiguration } from '../../../sdk/api/ec2nodeclass';
import type { Taint } from '../../kube/objects';

export interface UserDataOptions {
  clusterName: string;
  clusterEndpoint: string;
  /** Base64 PEM bundle of the cluster CA. */
  clusterCABundle?: string;
  /** The cluster's service CIDR, which nodeadm needs (discovered: cluster-discovery.ts). @default DEFAULT_SERVICE_CIDR */
  serviceCIDR?: string;
  /** The node class's kubelet block, clusterDNS already defaulted to the kube-dns Service's IP (claimUserData). */
  kubelet?: KubeletConfiguration;
  maxPods?: number;
  labels: Record<string, string>;
  taints: Taint[];
  /** The EC2NodeClass's own userData, merged in. */
  custom?: string;
  /** RAID0: the instance store volumes become one RAID0 array for the kubelet and containerd. */
  instanceStorePolicy?: 'RAID0';
}

/** The service CIDR nodes are told when EKS cannot be asked: EKS's own default outside 10.0.0.0/8 VPCs. */
export const DEFAULT_SERVICE_CIDR = '10.100.0.0/16';

/** The content type of a shell script part (what upstream gives user data that is not MIME on AL2). */
export const SHELL_SCRIPT = 'text/x-shellscript; charset="us-ascii"';

/** Where errors about the node class's own user data point. */
export const USER_DATA_FIELD = 'EC2NodeClass spec.userData';

/**
 * Labels for the kubelet's own command line: none in the kubernetes.io or k8s.io domains (or their subdomains),
 * as upstream, since the kubelet refuses most of them and NodeRestriction the node-restriction ones; the lifecycle
 * controller puts every label on the Node once it registers.
 */
export function kubeletLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    const d = labelDomain(k);
    if (!inDomain(d, 'kubernetes.io') && !inDomain(d, 'k8s.io')) out[k] = v;
  }
  return out;
}

export function taintString(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

export function sortedEntries(r: Record<string, string>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => a.localeCompare(b));
}

/** The kubelet's --node-labels and --register-with-taints flags for the claim, when it has any. */
export function registrationFlags(o: Pick<UserDataOptions, 'labels' | 'taints'>): string[] {
  const flags: string[] = [];
  const labels = sortedEntries(kubeletLabels(o.labels));
  if (labels.length) flags.push(`--node-labels=${labels.map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (o.taints.length) flags.push(`--register-with-taints=${o.taints.map(taintString).join(',')}`);
  return flags;
}
