/**
 * AL2023 boots with nodeadm, which reads every NodeConfig in a MIME multipart document and merges them in order, the
 * last one winning. So the node class's own parts come first (its scripts run, its NodeConfig fields Karpenter does
 * not set stay) and ours last: cluster, kubelet settings, labels and taints are always Karpenter's, as upstream.
 */
import { dump, loadAll } from 'js-yaml';
import { stringifyResourceList } from '../../scheduling/resources';
import { isMimeDocument, mimePart, parseMime, serializeMime, type MimePart } from './mime';
import {
  DEFAULT_SERVICE_CIDR,
  registrationFlags,
  SHELL_SCRIPT,
  USER_DATA_FIELD,
  type UserDataOptions,
} from './user-data-common';

export const NODECONFIG_CONTENT_TYPE = 'application/node.eks.aws';
export const NODECONFIG_API_VERSION = 'node.eks.aws/v1alpha1';
/** The first line of our NodeConfig part, as upstream marks it, so a reader of the user data can tell it apart. */
export const GENERATED_MARKER = '# Karpenter Generated NodeConfig';

/** The nodeadm NodeConfig document. */
export function nodeConfig(o: UserDataOptions): Record<string, unknown> {
  const k = o.kubelet ?? {};
  const config: Record<string, unknown> = {};
  if (o.maxPods !== undefined) config.maxPods = o.maxPods;
  if (k.clusterDNS) config.clusterDNS = k.clusterDNS;
  // Quantities as strings: the kubelet's config takes `cpu: "1"`, never a number.
  if (k.systemReserved) config.systemReserved = stringifyResourceList(k.systemReserved);
  if (k.kubeReserved) config.kubeReserved = stringifyResourceList(k.kubeReserved);
  if (k.evictionHard) config.evictionHard = k.evictionHard;
  if (k.evictionSoft) config.evictionSoft = k.evictionSoft;
  if (k.imageGCHighThresholdPercent !== undefined)
    config.imageGCHighThresholdPercent = k.imageGCHighThresholdPercent;
  if (k.imageGCLowThresholdPercent !== undefined)
    config.imageGCLowThresholdPercent = k.imageGCLowThresholdPercent;
  if (k.evictionSoftGracePeriod) config.evictionSoftGracePeriod = k.evictionSoftGracePeriod;
  if (k.evictionMaxPodGracePeriod !== undefined)
    config.evictionMaxPodGracePeriod = k.evictionMaxPodGracePeriod;
  if (k.cpuCFSQuota !== undefined) config.cpuCFSQuota = k.cpuCFSQuota;
  return {
    apiVersion: NODECONFIG_API_VERSION,
    kind: 'NodeConfig',
    spec: {
      cluster: {
        name: o.clusterName,
        apiServerEndpoint: o.clusterEndpoint,
        ...(o.clusterCABundle ? { certificateAuthority: o.clusterCABundle } : {}),
        cidr: o.serviceCIDR ?? DEFAULT_SERVICE_CIDR,
      },
      kubelet: { config, flags: registrationFlags(o) },
      ...(o.instanceStorePolicy === 'RAID0' ? { instance: { localStorage: { strategy: 'RAID0' } } } : {}),
    },
  };
}

function isMapping(doc: unknown): doc is Record<string, unknown> {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc);
}

/** The YAML documents of a text, or undefined when it is not YAML made of mappings only. */
function yamlMappings(text: string): Record<string, unknown>[] | undefined {
  try {
    const docs = loadAll(text).filter((d) => d !== null && d !== undefined);
    return docs.length && docs.every(isMapping) ? (docs as Record<string, unknown>[]) : undefined;
  } catch {
    return undefined;
  }
}

/** A NodeConfig part nodeadm would refuse at boot is refused now, where the error names the fix. */
function checkNodeConfigPart(part: MimePart, where: string, otherwise: string): void {
  // Content in base64 or quoted-printable is nodeadm's to decode; only plain text can be read here.
  if (/^content-transfer-encoding:\s*(base64|quoted-printable)/im.test(part.head)) return;
  let docs: unknown[];
  try {
    docs = loadAll(part.body);
  } catch (err) {
    throw new Error(
      `${where} is not valid YAML: ${(err as Error).message.split('\n')[0]}: fix the NodeConfig, or ${otherwise}`,
      { cause: err },
    );
  }
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue;
    if (!isMapping(doc) || doc.kind !== 'NodeConfig' || doc.apiVersion !== NODECONFIG_API_VERSION) {
      throw new Error(
        `${where} is YAML but not a nodeadm NodeConfig: give it apiVersion: ${NODECONFIG_API_VERSION} and kind: NodeConfig, or ${otherwise}`,
      );
    }
  }
}

/**
 * The node class's user data as MIME parts, as upstream reads it: a MIME document's own parts; else YAML made of
 * mappings is a NodeConfig and anything else a shell script. A "#!" or "#cloud-config" first line says what the text
 * is before YAML is asked (both are YAML comments, and `echo "a: b"` is a YAML mapping).
 */
async function customParts(custom: string): Promise<MimePart[]> {
  if (isMimeDocument(custom)) {
    const parts = await parseMime(custom, USER_DATA_FIELD);
    parts.forEach((p, i) => {
      if (p.contentType === NODECONFIG_CONTENT_TYPE)
        checkNodeConfigPart(
          p,
          `${USER_DATA_FIELD} part ${i + 1} (${NODECONFIG_CONTENT_TYPE})`,
          `give the part another Content-Type (${SHELL_SCRIPT} for a script)`,
        );
    });
    return parts;
  }
  const first = custom.trimStart().split('\n')[0] ?? '';
  if (first.startsWith('#!')) return [mimePart(SHELL_SCRIPT, custom)];
  if (/^#cloud-config\s*$/.test(first)) return [mimePart('text/cloud-config; charset="us-ascii"', custom)];
  if (yamlMappings(custom)) {
    const part = mimePart(NODECONFIG_CONTENT_TYPE, custom);
    checkNodeConfigPart(part, USER_DATA_FIELD, 'start it with a "#!" line if it is a script');
    return [part];
  }
  return [mimePart(SHELL_SCRIPT, custom)];
}

/** AL2023: the node class's parts first, then our NodeConfig. */
export async function al2023UserData(o: UserDataOptions): Promise<string> {
  const parts = o.custom ? await customParts(o.custom) : [];
  const ours = `${GENERATED_MARKER}\n${dump(nodeConfig(o), { lineWidth: -1 })}`.trimEnd();
  parts.push(mimePart(NODECONFIG_CONTENT_TYPE, ours));
  return serializeMime(parts);
}
