/**
 * AL2 (deprecated upstream, kept for clusters still on it): the EKS AMI's /etc/eks/bootstrap.sh, called from a shell
 * script in a MIME multipart document after the node class's own parts, as upstream merges them: the user's scripts
 * run first, then ours joins the node with every parameter Karpenter controls.
 */
import { isIPv6 } from 'node:net';
import type { KubeletConfiguration } from '../../../sdk/api/ec2nodeclass';
import { isMimeDocument, mimePart, parseMime, serializeMime, type MimePart } from './mime';
import { registrationFlags, SHELL_SCRIPT, USER_DATA_FIELD, type UserDataOptions } from './user-data-common';

export const BOOTSTRAP_SH = '/etc/eks/bootstrap.sh';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `--flag=k<sep>v,...` for a map setting, or nothing when it is empty. */
function mapFlag(flag: string, values: Record<string, string | number> | undefined, sep: string): string[] {
  const entries = Object.entries(values ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? [`${flag}=${entries.map(([k, v]) => `${k}${sep}${v}`).join(',')}`] : [];
}

/** The node class's kubelet settings as kubelet flags, for bootstrap.sh --kubelet-extra-args. */
function kubeletFlags(k: KubeletConfiguration): string[] {
  return [
    ...mapFlag('--system-reserved', k.systemReserved, '='),
    ...mapFlag('--kube-reserved', k.kubeReserved, '='),
    ...mapFlag('--eviction-hard', k.evictionHard, '<'),
    ...mapFlag('--eviction-soft', k.evictionSoft, '<'),
    ...mapFlag('--eviction-soft-grace-period', k.evictionSoftGracePeriod, '='),
    ...(k.evictionMaxPodGracePeriod !== undefined
      ? [`--eviction-max-pod-grace-period=${k.evictionMaxPodGracePeriod}`]
      : []),
    ...(k.imageGCHighThresholdPercent !== undefined
      ? [`--image-gc-high-threshold=${k.imageGCHighThresholdPercent}`]
      : []),
    ...(k.imageGCLowThresholdPercent !== undefined
      ? [`--image-gc-low-threshold=${k.imageGCLowThresholdPercent}`]
      : []),
    ...(k.cpuCFSQuota !== undefined ? [`--cpu-cfs-quota=${k.cpuCFSQuota}`] : []),
  ];
}

/** Our script: one bootstrap.sh call with the cluster, DNS, max pods, kubelet flags and local disks. */
export function bootstrapScript(o: UserDataOptions): string {
  const extra = registrationFlags(o);
  if (o.maxPods !== undefined) extra.push(`--max-pods=${o.maxPods}`);
  extra.push(...kubeletFlags(o.kubelet ?? {}));
  const args = [
    `${BOOTSTRAP_SH} ${shellQuote(o.clusterName)}`,
    `--apiserver-endpoint ${shellQuote(o.clusterEndpoint)}`,
  ];
  if (o.clusterCABundle) args.push(`--b64-cluster-ca ${shellQuote(o.clusterCABundle)}`);
  const dns = o.kubelet?.clusterDNS?.[0];
  // An IPv6 cluster DNS means an IPv6 cluster: bootstrap.sh must set the kubelet up for it.
  if (dns && isIPv6(dns)) args.push('--ip-family ipv6');
  if (dns) args.push(`--dns-cluster-ip ${shellQuote(dns)}`);
  if (o.maxPods !== undefined) args.push('--use-max-pods false');
  if (extra.length) args.push(`--kubelet-extra-args ${shellQuote(extra.join(' '))}`);
  if (o.instanceStorePolicy === 'RAID0') args.push('--local-disks raid0');
  return [
    '#!/bin/bash -xe',
    // The script's output in /var/log/user-data.log and on the console, where a node that never joins is debugged.
    'exec > >(tee /var/log/user-data.log|logger -t user-data -s 2>/dev/console) 2>&1',
    args.join(' \\\n  '),
  ].join('\n');
}

/** The node class's user data as MIME parts: its own parts, or the whole text as one shell script. */
async function customParts(custom: string): Promise<MimePart[]> {
  const parts = isMimeDocument(custom)
    ? await parseMime(custom, USER_DATA_FIELD)
    : [mimePart(SHELL_SCRIPT, custom)];
  parts.forEach((p, i) => {
    // Two bootstrap.sh calls join the node twice, the user's without Karpenter's labels and taints.
    if (new RegExp(`^(?!\\s*#).*${BOOTSTRAP_SH.replace(/[./]/g, '\\$&')}`, 'm').test(p.body)) {
      throw new Error(
        `${USER_DATA_FIELD} calls ${BOOTSTRAP_SH}${parts.length > 1 ? ` (part ${i + 1})` : ''}, which Karpenter calls itself for amiFamily AL2: remove the call (set kubelet options through spec.kubelet), or use amiFamily Custom to bootstrap the node yourself`,
      );
    }
  });
  return parts;
}

export async function al2UserData(o: UserDataOptions): Promise<string> {
  const parts = o.custom ? await customParts(o.custom) : [];
  parts.push(mimePart(SHELL_SCRIPT, bootstrapScript(o)));
  return serializeMime(parts);
}
