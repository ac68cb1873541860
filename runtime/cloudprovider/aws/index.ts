/** The AWS cloud provider's factory, as the controller command calls it. */
import { createAwsClients, type AwsClients } from './clients';
import { discoverCluster } from './cluster-discovery';
import { AwsCloudProvider, type AwsProviderSettings } from './provider';

export { AwsCloudProvider, DEFAULT_KUBERNETES_VERSION } from './provider';
export { CloudProviderError, type CloudProviderErrorReason } from './errors';
export { ICE_ERROR_CODES } from './unavailable-offerings';
export { createAwsClients, type AwsClients } from './clients';
export { ArcZonalShiftClient } from './arc-zonal-shift';
export { createArcZonalShiftSource } from './zonal-shift-source';

export interface AwsCloudProviderOptions extends Omit<
  AwsProviderSettings,
  'clusterEndpoint' | 'serviceCIDR'
> {
  /** CLUSTER_ENDPOINT; discovered with eks:DescribeCluster when unset. */
  clusterEndpoint?: string;
  /** The CA the controller's kube client trusts, used when CLUSTER_CA_BUNDLE is unset. */
  kubeCABundle?: string;
  /** An emulator URL (moto) for every AWS service; unset for real AWS. */
  endpoint?: string;
  /** The SQS interruption queue name; the interruption controller reads it, the provider does not. */
  interruptionQueue?: string;
  /** Pre-built clients (tests); otherwise built for `region` and `endpoint`. */
  clients?: AwsClients;
}

export async function createAwsCloudProvider(opts: AwsCloudProviderOptions): Promise<AwsCloudProvider> {
  const clients =
    opts.clients ??
    createAwsClients({ region: opts.region, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
  const cluster = await discoverCluster(
    clients.eks,
    {
      clusterName: opts.clusterName,
      ...(opts.clusterEndpoint ? { endpoint: opts.clusterEndpoint } : {}),
      ...(opts.clusterCABundle ? { caBundle: opts.clusterCABundle } : {}),
      ...(opts.kubeCABundle ? { kubeCABundle: opts.kubeCABundle } : {}),
    },
    opts.logger,
  );
  opts.logger.info(
    { endpoint: cluster.endpoint, serviceCIDR: cluster.serviceCIDR, from: cluster.sources },
    'discovered cluster',
  );
  return new AwsCloudProvider(
    {
      ...opts,
      clusterEndpoint: cluster.endpoint,
      serviceCIDR: cluster.serviceCIDR,
      ...(cluster.caBundle ? { clusterCABundle: cluster.caBundle } : {}),
      // Emulators and isolated VPCs have no Pricing API: use the static table there unless told otherwise.
      usePricingApi: opts.usePricingApi ?? (opts.endpoint === undefined && !opts.isolatedVpc),
    },
    clients,
  );
}
