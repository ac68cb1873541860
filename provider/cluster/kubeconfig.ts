/** The API server endpoint and CA from a kubeconfig, the form @pulumi/eks hands them out in. */

export interface ClusterAccess {
  endpoint: string;
  certificateAuthority: string;
}

export function clusterAccessFromKubeconfig(kubeconfig: unknown): ClusterAccess {
  const parsed: unknown = typeof kubeconfig === 'string' ? JSON.parse(kubeconfig) : kubeconfig;
  const clusters = (parsed as { clusters?: { cluster?: Record<string, unknown> }[] } | undefined)?.clusters;
  const cluster = clusters?.[0]?.cluster;
  const endpoint = cluster?.server;
  const ca = cluster?.['certificate-authority-data'];
  if (typeof endpoint !== 'string' || typeof ca !== 'string') {
    throw new Error('kubeconfig has no clusters[0].cluster.server and certificate-authority-data');
  }
  return { endpoint, certificateAuthority: ca };
}
