/**
 * What a node must know about its cluster to join it, found as upstream finds it: the settings where given, the
 * rest from EKS. The API endpoint (CLUSTER_ENDPOINT, else eks:DescribeCluster), its CA bundle (CLUSTER_CA_BUNDLE,
 * else the CA the controller's own kube client trusts, else DescribeCluster's) and the service CIDR nodeadm
 * needs (DescribeCluster's IPv4 service CIDR, else its IPv6 one).
 */
import { DescribeClusterCommand, type Cluster, type EKSClient } from '@aws-sdk/client-eks';
import type { Logger } from '../../logging';
import { DEFAULT_SERVICE_CIDR } from './user-data';

export interface ClusterDiscoveryOptions {
  clusterName: string;
  /** CLUSTER_ENDPOINT. */
  endpoint?: string;
  /** CLUSTER_CA_BUNDLE. */
  caBundle?: string;
  /** The CA the controller's kube client trusts (base64 PEM), from its kubeconfig or service account. */
  kubeCABundle?: string;
}

export interface ClusterFacts {
  endpoint: string;
  caBundle?: string;
  serviceCIDR: string;
  /** Where each fact came from, for the start-up log. */
  sources: Record<
    'endpoint' | 'caBundle' | 'serviceCIDR',
    'setting' | 'kubeconfig' | 'eks' | 'default' | 'none'
  >;
}

/** The cluster's service CIDR from a DescribeCluster answer: IPv4 if it has one, else IPv6. */
export function serviceCidrOf(cluster: Cluster | undefined): string | undefined {
  const network = cluster?.kubernetesNetworkConfig;
  return network?.serviceIpv4Cidr ?? network?.serviceIpv6Cidr ?? undefined;
}

export async function discoverCluster(
  eks: Pick<EKSClient, 'send'>,
  o: ClusterDiscoveryOptions,
  logger: Logger,
): Promise<ClusterFacts> {
  let cluster: Cluster | undefined;
  let failure: string | undefined;
  try {
    cluster = (await eks.send(new DescribeClusterCommand({ name: o.clusterName }))).cluster;
  } catch (err) {
    failure = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const endpoint = o.endpoint ?? cluster?.endpoint;
  if (!endpoint) {
    throw new Error(
      `CLUSTER_ENDPOINT is not set and eks:DescribeCluster for cluster "${o.clusterName}" did not give it` +
        `${failure ? ` (${failure})` : ''}: set CLUSTER_ENDPOINT to the API server URL, or check CLUSTER_NAME and the controller's eks:DescribeCluster permission`,
    );
  }
  const caBundle = o.caBundle ?? o.kubeCABundle ?? cluster?.certificateAuthority?.data;
  const discoveredCidr = serviceCidrOf(cluster);
  if (!discoveredCidr) {
    logger.warn(
      { cluster: o.clusterName, err: failure, serviceCIDR: DEFAULT_SERVICE_CIDR },
      'could not discover the service CIDR from eks:DescribeCluster; AL2023 nodes are told the EKS default',
    );
  }
  return {
    endpoint,
    ...(caBundle ? { caBundle } : {}),
    serviceCIDR: discoveredCidr ?? DEFAULT_SERVICE_CIDR,
    sources: {
      endpoint: o.endpoint ? 'setting' : 'eks',
      caBundle: o.caBundle ? 'setting' : o.kubeCABundle ? 'kubeconfig' : caBundle ? 'eks' : 'none',
      serviceCIDR: discoveredCidr ? 'eks' : 'default',
    },
  };
}
