/**
 * Node bootstrap user data, per AMI family (each in its own file): AL2 calls bootstrap.sh from a MIME multipart
 * document, AL2023 gives nodeadm a NodeConfig in one, Bottlerocket reads TOML settings. Every family gets the cluster
 * name, API endpoint, CA bundle, cluster DNS, max pods, and the claim's labels and taints, so the kubelet registers
 * the node as Karpenter planned it; the node class's own userData is merged in as upstream documents for the family.
 */
import type { KubeletConfiguration } from '../../../sdk/api/ec2nodeclass';
import { Taints, type AmiFamily } from '../../../sdk/api/well-known';
import type { EC2NodeClass, NodeClaim, Taint } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { amiFamilyOf } from './block-devices';
import { al2UserData } from './user-data-al2';
import { al2023UserData } from './user-data-al2023';
import { bottlerocketUserData } from './user-data-bottlerocket';
import type { UserDataOptions } from './user-data-common';

export { MIME_BOUNDARY } from './mime';
export { al2UserData, bootstrapScript } from './user-data-al2';
export { al2023UserData, nodeConfig } from './user-data-al2023';
export { bottlerocketUserData } from './user-data-bottlerocket';
export { DEFAULT_SERVICE_CIDR, kubeletLabels, type UserDataOptions } from './user-data-common';

/** User data for the family, or the node class's own verbatim for Custom (and families we do not template). */
export async function userDataFor(family: AmiFamily, o: UserDataOptions): Promise<string | undefined> {
  if (family === 'AL2023') return al2023UserData(o);
  if (family === 'AL2') return al2UserData(o);
  if (family === 'Bottlerocket') return bottlerocketUserData(o);
  if (family.startsWith('Windows')) {
    // Validation refuses these node classes (rule windowsUnsupported); one that reached the API server anyway must
    // not launch nodes that never join.
    throw new Error(
      `EC2NodeClass spec.amiFamily resolves to ${family}, which is not supported (no Windows bootstrap user data): select an al2023 or bottlerocket alias, or set amiFamily Custom with user data that joins the node itself`,
    );
  }
  return o.custom;
}

/** What every node of the cluster is told about it, whatever its claim. */
export interface ClusterBootstrap extends Pick<
  UserDataOptions,
  'clusterName' | 'clusterEndpoint' | 'clusterCABundle' | 'serviceCIDR'
> {
  /** The kube-dns Service's ClusterIP (kube-dns.ts): the cluster DNS when the node class's kubelet sets none. */
  clusterDNS?: string;
}

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
 * The max pods to write into user data: always the pod capacity the scheduler planned with (maxPods, podsPerCore,
 * the ENI limit less RESERVED_ENIS), as upstream does, so the kubelet never takes more or fewer pods than that.
 */
export function fixedMaxPods(it: InstanceType): number | undefined {
  return it.capacity.pods;
}

/** The node class's kubelet block with clusterDNS defaulted to the discovered kube-dns IP, as upstream does. */
export function kubeletWithClusterDNS(
  kubelet: KubeletConfiguration | undefined,
  clusterDNS: string | undefined,
): KubeletConfiguration | undefined {
  if (!clusterDNS || kubelet?.clusterDNS?.length) return kubelet;
  return { ...kubelet, clusterDNS: [clusterDNS] };
}

/** User data for a claim's node under its node class, in the node class's AMI family. */
export async function claimUserData(
  cluster: ClusterBootstrap,
  nodeClass: EC2NodeClass,
  nodeClaim: NodeClaim,
  maxPods: number | undefined,
): Promise<string | undefined> {
  const kubelet = kubeletWithClusterDNS(nodeClass.spec.kubelet, cluster.clusterDNS);
  return userDataFor(amiFamilyOf(nodeClass), {
    clusterName: cluster.clusterName,
    clusterEndpoint: cluster.clusterEndpoint,
    ...(cluster.clusterCABundle ? { clusterCABundle: cluster.clusterCABundle } : {}),
    ...(cluster.serviceCIDR ? { serviceCIDR: cluster.serviceCIDR } : {}),
    ...(kubelet ? { kubelet } : {}),
    ...(maxPods !== undefined ? { maxPods } : {}),
    labels: { ...nodeClaim.metadata.labels },
    taints: registrationTaints(nodeClaim),
    ...(nodeClass.spec.userData ? { custom: nodeClass.spec.userData } : {}),
    ...(nodeClass.spec.instanceStorePolicy
      ? { instanceStorePolicy: nodeClass.spec.instanceStorePolicy }
      : {}),
  });
}
