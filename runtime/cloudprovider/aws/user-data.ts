/**
 * Node bootstrap user data. AL2023 boots with nodeadm, which reads a NodeConfig from a MIME multipart document;
 * Bottlerocket reads TOML settings. Both get the cluster name, API endpoint, CA bundle, cluster DNS, max pods, and
 * the claim's labels and taints, so the kubelet registers the node as Karpenter planned it.
 */
import { dump } from 'js-yaml';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { inDomain, labelDomain, OPEN_SUBDOMAINS } from '../../../sdk/api/labels';
import type { KubeletConfiguration } from '../../../sdk/api/ec2nodeclass';
import { Taints, type AmiFamily } from '../../../sdk/api/well-known';
import type { EC2NodeClass, NodeClaim, Taint } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { stringifyResourceList } from '../../scheduling/resources';
import { amiFamilyOf } from './block-devices';

export interface UserDataOptions {
  clusterName: string;
  clusterEndpoint: string;
  /** Base64 PEM bundle of the cluster CA. */
  clusterCABundle?: string;
  /** The cluster's service CIDR, which nodeadm needs (discovered: cluster-discovery.ts). @default DEFAULT_SERVICE_CIDR */
  serviceCIDR?: string;
  kubelet?: KubeletConfiguration;
  maxPods?: number;
  labels: Record<string, string>;
  taints: Taint[];
  /** The EC2NodeClass's own userData, merged in. */
  custom?: string;
  /** RAID0: the instance store volumes become one RAID0 array for the kubelet and containerd. */
  instanceStorePolicy?: 'RAID0';
}

export const MIME_BOUNDARY = '//';

/** The service CIDR nodes are told when EKS cannot be asked: EKS's own default outside 10.0.0.0/8 VPCs. */
export const DEFAULT_SERVICE_CIDR = '10.100.0.0/16';

/** Labels the kubelet may set on itself (NodeRestriction forbids most of kubernetes.io and k8s.io). */
export function kubeletLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    const d = labelDomain(k);
    const restricted = inDomain(d, 'kubernetes.io') || inDomain(d, 'k8s.io');
    if (!restricted || OPEN_SUBDOMAINS.some((open) => inDomain(d, open))) out[k] = v;
  }
  return out;
}

function taintString(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

function sortedEntries(r: Record<string, string>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => a.localeCompare(b));
}

/** The nodeadm NodeConfig document. */
export function nodeConfig(o: UserDataOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (o.maxPods !== undefined) config.maxPods = o.maxPods;
  if (o.kubelet?.clusterDNS) config.clusterDNS = o.kubelet.clusterDNS;
  // Quantities as strings: the kubelet's config and Bottlerocket's settings take `cpu: "1"`, never a number.
  if (o.kubelet?.systemReserved) config.systemReserved = stringifyResourceList(o.kubelet.systemReserved);
  if (o.kubelet?.kubeReserved) config.kubeReserved = stringifyResourceList(o.kubelet.kubeReserved);
  if (o.kubelet?.evictionHard) config.evictionHard = o.kubelet.evictionHard;
  if (o.kubelet?.evictionSoft) config.evictionSoft = o.kubelet.evictionSoft;
  if (o.kubelet?.imageGCHighThresholdPercent !== undefined)
    config.imageGCHighThresholdPercent = o.kubelet.imageGCHighThresholdPercent;
  if (o.kubelet?.imageGCLowThresholdPercent !== undefined)
    config.imageGCLowThresholdPercent = o.kubelet.imageGCLowThresholdPercent;
  if (o.kubelet?.evictionSoftGracePeriod) config.evictionSoftGracePeriod = o.kubelet.evictionSoftGracePeriod;
  if (o.kubelet?.evictionMaxPodGracePeriod !== undefined)
    config.evictionMaxPodGracePeriod = o.kubelet.evictionMaxPodGracePeriod;
  if (o.kubelet?.cpuCFSQuota !== undefined) config.cpuCFSQuota = o.kubelet.cpuCFSQuota;
  const flags: string[] = [];
  const labels = sortedEntries(kubeletLabels(o.labels));
  if (labels.length) flags.push(`--node-labels=${labels.map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (o.taints.length) flags.push(`--register-with-taints=${o.taints.map(taintString).join(',')}`);
  return {
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: {
      cluster: {
        name: o.clusterName,
        apiServerEndpoint: o.clusterEndpoint,
        ...(o.clusterCABundle ? { certificateAuthority: o.clusterCABundle } : {}),
        cidr: o.serviceCIDR ?? DEFAULT_SERVICE_CIDR,
      },
      kubelet: { config, flags },
      ...(o.instanceStorePolicy === 'RAID0' ? { instance: { localStorage: { strategy: 'RAID0' } } } : {}),
    },
  };
}

/** The parts of a MIME multipart document, or the whole text as one part when it is not multipart. */
export function mimeParts(doc: string): { contentType: string; body: string }[] {
  const boundary = /boundary="?([^"\r\n;]+)"?/i.exec(doc)?.[1];
  if (!/^MIME-Version:/im.test(doc) || !boundary) {
    const contentType = doc.startsWith('#!')
      ? 'text/x-shellscript; charset="us-ascii"'
      : 'application/node.eks.aws';
    return [{ contentType, body: doc }];
  }
  const parts: { contentType: string; body: string }[] = [];
  for (const chunk of doc.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const text = chunk.replace(/^\r?\n/, '');
    const split = text.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const headers = text.slice(0, split);
    const body = text
      .slice(split)
      .replace(/^\r?\n\r?\n/, '')
      .replace(/\r?\n$/, '');
    const contentType = /^Content-Type:\s*(.+)$/im.exec(headers)?.[1]?.trim() ?? 'text/plain';
    parts.push({ contentType, body });
  }
  return parts;
}

export function mimeDocument(parts: { contentType: string; body: string }[]): string {
  const lines = ['MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`, ''];
  for (const p of parts) lines.push(`--${MIME_BOUNDARY}`, `Content-Type: ${p.contentType}`, '', p.body);
  lines.push(`--${MIME_BOUNDARY}--`, '');
  return lines.join('\n');
}

/** AL2023: the node class's parts first (so its scripts run and its NodeConfig is merged), then ours. */
export function al2023UserData(o: UserDataOptions): string {
  const parts = o.custom ? mimeParts(o.custom) : [];
  parts.push({
    contentType: 'application/node.eks.aws',
    body: dump(nodeConfig(o), { lineWidth: -1 }).trimEnd(),
  });
  return mimeDocument(parts);
}

type TomlTable = Record<string, unknown>;

/** The table at `key` of `parent`, made (or replacing a non-table value) when missing. */
function table(parent: TomlTable, key: string): TomlTable {
  const value = parent[key];
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date))
    return value as TomlTable;
  const made: TomlTable = {};
  parent[key] = made;
  return made;
}

/**
 * Bottlerocket: the node class's TOML with our settings applied over it, as upstream merges them. Ours always:
 * cluster-name, api-server, cluster-certificate, and node-taints (the claim's taints replace any the user data
 * sets). node-labels are merged, ours winning on a key both set. From the node class's kubelet block, every
 * setting Bottlerocket has a key for: max-pods, cluster-dns-ip, system- and kube-reserved, eviction-hard/-soft,
 * the soft grace periods, eviction-max-pod-grace-period, the image GC thresholds and cpu-cfs-quota-enforced.
 * Everything else in the user data stays as the user wrote it. The TOML library writes the result, so it always
 * parses (the old text concatenation defined [settings.kubernetes] twice when the user data had one).
 */
export function bottlerocketUserData(o: UserDataOptions): string {
  let doc: TomlTable;
  try {
    doc = o.custom ? (parseToml(o.custom) as TomlTable) : {};
  } catch (err) {
    throw new Error(
      `EC2NodeClass spec.userData is not valid TOML, which Bottlerocket needs: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  const k8s = table(table(doc, 'settings'), 'kubernetes');
  k8s['cluster-name'] = o.clusterName;
  k8s['api-server'] = o.clusterEndpoint;
  if (o.clusterCABundle) k8s['cluster-certificate'] = o.clusterCABundle;
  const labels = { ...(table(k8s, 'node-labels') as Record<string, string>), ...kubeletLabels(o.labels) };
  if (Object.keys(labels).length) k8s['node-labels'] = Object.fromEntries(sortedEntries(labels));
  else delete k8s['node-labels'];
  delete k8s['node-taints'];
  if (o.taints.length) {
    const byKey: Record<string, string[]> = {};
    for (const t of o.taints) (byKey[t.key] ??= []).push(`${t.value ?? ''}:${t.effect}`);
    k8s['node-taints'] = Object.fromEntries(Object.entries(byKey).sort(([a], [b]) => a.localeCompare(b)));
  }
  if (o.maxPods !== undefined) k8s['max-pods'] = o.maxPods;
  const kubelet = o.kubelet ?? {};
  const dns = kubelet.clusterDNS?.[0];
  if (dns) k8s['cluster-dns-ip'] = dns;
  if (kubelet.systemReserved) k8s['system-reserved'] = stringifyResourceList(kubelet.systemReserved);
  if (kubelet.kubeReserved) k8s['kube-reserved'] = stringifyResourceList(kubelet.kubeReserved);
  if (kubelet.evictionHard) k8s['eviction-hard'] = { ...kubelet.evictionHard };
  if (kubelet.evictionSoft) k8s['eviction-soft'] = { ...kubelet.evictionSoft };
  if (kubelet.evictionSoftGracePeriod)
    k8s['eviction-soft-grace-period'] = { ...kubelet.evictionSoftGracePeriod };
  if (kubelet.evictionMaxPodGracePeriod !== undefined)
    k8s['eviction-max-pod-grace-period'] = kubelet.evictionMaxPodGracePeriod;
  // Bottlerocket takes the thresholds as strings.
  if (kubelet.imageGCHighThresholdPercent !== undefined)
    k8s['image-gc-high-threshold-percent'] = String(kubelet.imageGCHighThresholdPercent);
  if (kubelet.imageGCLowThresholdPercent !== undefined)
    k8s['image-gc-low-threshold-percent'] = String(kubelet.imageGCLowThresholdPercent);
  if (kubelet.cpuCFSQuota !== undefined) k8s['cpu-cfs-quota-enforced'] = kubelet.cpuCFSQuota;
  if (o.instanceStorePolicy === 'RAID0') {
    // Bottlerocket's own way to put the instance store under containerd, the kubelet and pod logs.
    table(table(doc, 'settings'), 'bootstrap-commands')['000-mount-instance-storage'] = {
      commands: [
        ['apiclient', 'ephemeral-storage', 'init'],
        [
          'apiclient',
          'ephemeral-storage',
          'bind',
          '--dirs',
          '/var/lib/containerd',
          '/var/lib/kubelet',
          '/var/log/pods',
        ],
      ],
      mode: 'always',
      essential: true,
    };
  }
  return `${stringifyToml(doc)}\n`;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `--flag=k<sep>v,...` for a map setting, or nothing when it is empty. */
function mapFlag(flag: string, values: Record<string, string | number> | undefined, sep: string): string[] {
  const entries = Object.entries(values ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? [`${flag}=${entries.map(([k, v]) => `${k}${sep}${v}`).join(',')}`] : [];
}

/** The node class's kubelet settings as kubelet flags, for AL2's bootstrap.sh --kubelet-extra-args. */
function al2KubeletFlags(k: KubeletConfiguration): string[] {
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

/** AL2 (deprecated upstream, kept for clusters still on it): a bootstrap.sh call in a MIME part after the node class's. */
export function al2UserData(o: UserDataOptions): string {
  const extra: string[] = [];
  const labels = sortedEntries(kubeletLabels(o.labels));
  if (labels.length) extra.push(`--node-labels=${labels.map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (o.taints.length) extra.push(`--register-with-taints=${o.taints.map(taintString).join(',')}`);
  if (o.maxPods !== undefined) extra.push(`--max-pods=${o.maxPods}`);
  extra.push(...al2KubeletFlags(o.kubelet ?? {}));
  const args = [
    `/etc/eks/bootstrap.sh ${shellQuote(o.clusterName)}`,
    `--apiserver-endpoint ${shellQuote(o.clusterEndpoint)}`,
  ];
  if (o.clusterCABundle) args.push(`--b64-cluster-ca ${shellQuote(o.clusterCABundle)}`);
  const dns = o.kubelet?.clusterDNS?.[0];
  if (dns) args.push(`--dns-cluster-ip ${shellQuote(dns)}`);
  if (o.maxPods !== undefined) args.push('--use-max-pods false');
  if (extra.length) args.push(`--kubelet-extra-args ${shellQuote(extra.join(' '))}`);
  if (o.instanceStorePolicy === 'RAID0') args.push('--local-disks raid0');
  const script = ['#!/bin/bash -xe', args.join(' \\\n  ')].join('\n');
  const parts = o.custom ? mimeParts(o.custom) : [];
  parts.push({ contentType: 'text/x-shellscript; charset="us-ascii"', body: script });
  return mimeDocument(parts);
}

/** User data for the family, or the node class's own verbatim for Custom (and families we do not template). */
export function userDataFor(family: AmiFamily, o: UserDataOptions): string | undefined {
  if (family === 'AL2023') return al2023UserData(o);
  if (family === 'AL2') return al2UserData(o);
  if (family === 'Bottlerocket') return bottlerocketUserData(o);
  if (family.startsWith('Windows')) {
    // Validation refuses these node classes; one that reached the API server anyway must not launch nodes that
    // never join.
    throw new Error(
      `AMI family ${family} is not supported (no Windows bootstrap): use al2023 or bottlerocket`,
    );
  }
  return o.custom;
}

/** What every node of the cluster is told about it, whatever its claim. */
export type ClusterBootstrap = Pick<
  UserDataOptions,
  'clusterName' | 'clusterEndpoint' | 'clusterCABundle' | 'serviceCIDR'
>;

/**
 * The taints a claim's kubelet registers with: the claim's own and its startup taints, plus the unregistered taint
 * the lifecycle lifts at registration (as Karpenter does), so nothing schedules before then.
 */
export function registrationTaints(nodeClaim: NodeClaim): Taint[] {
  return [
    ...(nodeClaim.spec.taints ?? []),
    ...(nodeClaim.spec.startupTaints ?? []),
    { ...Taints.unregistered },
  ];
}

/**
 * The max pods to write into user data: the type's pod capacity when the node class fixes it (maxPods or
 * podsPerCore, already folded into that capacity), else undefined so the AMI's own ENI-based default applies.
 */
export function fixedMaxPods(nodeClass: EC2NodeClass, it: InstanceType): number | undefined {
  const fixed =
    nodeClass.spec.kubelet?.maxPods !== undefined || nodeClass.spec.kubelet?.podsPerCore !== undefined;
  return fixed ? it.capacity.pods : undefined;
}

/** User data for a claim's node under its node class, in the node class's AMI family. */
export function claimUserData(
  cluster: ClusterBootstrap,
  nodeClass: EC2NodeClass,
  nodeClaim: NodeClaim,
  maxPods: number | undefined,
): string | undefined {
  return userDataFor(amiFamilyOf(nodeClass), {
    clusterName: cluster.clusterName,
    clusterEndpoint: cluster.clusterEndpoint,
    ...(cluster.clusterCABundle ? { clusterCABundle: cluster.clusterCABundle } : {}),
    ...(cluster.serviceCIDR ? { serviceCIDR: cluster.serviceCIDR } : {}),
    ...(nodeClass.spec.kubelet ? { kubelet: nodeClass.spec.kubelet } : {}),
    ...(maxPods !== undefined ? { maxPods } : {}),
    labels: { ...nodeClaim.metadata.labels },
    taints: registrationTaints(nodeClaim),
    ...(nodeClass.spec.userData ? { custom: nodeClass.spec.userData } : {}),
    ...(nodeClass.spec.instanceStorePolicy
      ? { instanceStorePolicy: nodeClass.spec.instanceStorePolicy }
      : {}),
  });
}
