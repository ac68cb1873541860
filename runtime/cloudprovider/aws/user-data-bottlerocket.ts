/**
 * Bottlerocket reads TOML settings. The node class's TOML is parsed and our settings applied over it, as upstream
 * merges them, and the TOML library writes the result, so it always parses.
 */
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { stringifyResourceList } from '../../scheduling/resources';
import { kubeletLabels, sortedEntries, USER_DATA_FIELD, type UserDataOptions } from './user-data-common';

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
 * The node class's TOML with our settings applied over it. Ours always:
 * cluster-name, api-server, cluster-certificate, and node-taints (the claim's taints replace any the user data
 * sets). node-labels are merged, ours winning on a key both set. From the node class's kubelet block, every
 * setting Bottlerocket has a key for: max-pods, cluster-dns-ip, system- and kube-reserved, eviction-hard/-soft,
 * the soft grace periods, eviction-max-pod-grace-period, the image GC thresholds and cpu-cfs-quota-enforced.
 * Everything else in the user data stays as the user wrote it.
 */
export function bottlerocketUserData(o: UserDataOptions): string {
  let doc: TomlTable;
  try {
    doc = o.custom ? (parseToml(o.custom) as TomlTable) : {};
  } catch (err) {
    throw new Error(
      `${USER_DATA_FIELD} is not valid TOML, which Bottlerocket needs: ${(err as Error).message.split('\n')[0]}: fix the TOML, or remove userData`,
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
