/**
 * Picks the CloudProvider named by CLOUD_PROVIDER. AWS and kwok are imported only when chosen, so a kwok or
 * simulated controller never loads the AWS SDK (the simulated cloud is small and always there).
 */
import type { Clock } from '../clock/clock';
import type { KubeApi } from '../kube/api';
import type { EC2NodeClass } from '../kube/objects';
import type { Logger } from '../logging';
import type { CapacitySettings } from '../scheduling/allocatable';
import type { Settings } from '../settings';
import { defaultCatalog } from './simulated/catalog';
import { SimulatedCloud } from './simulated/simulated-cloud';
import type { CloudProvider } from './types';
import type { ZonalShiftSource } from './zonal-shift';

export interface CloudProviderContext {
  api: KubeApi;
  clock: Clock;
  logger: Logger;
  settings: Settings;
  /** The CA the controller's kube client trusts (base64 PEM), when it has one of its own. */
  kubeCABundle?: string;
}

/** A provider, and what only some providers offer (AWS: marking offerings unavailable after interruptions). */
export interface ProviderHandle {
  cloud: CloudProvider;
  markUnavailable?: (instanceType: string, zone: string, capacityType: string) => void;
  /** Re-resolve every node class and write its status (subnets, security groups, AMIs, conditions). */
  refreshNodeClasses?: () => Promise<void>;
  /** Delete what was created for a node class (launch templates, instance profile) once it is deleted. */
  deleteNodeClassResources?: (nodeClass: EC2NodeClass) => Promise<void>;
  /** Where zonal shifts come from, with ENABLE_ZONAL_SHIFT (ARC on AWS, checked at start; the simulated ARC). */
  zonalShifts?: ZonalShiftSource;
}

type Factory = (ctx: CloudProviderContext) => Promise<ProviderHandle>;

/** VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS, which every provider's instance types are sized with. */
export function capacitySettingsOf(settings: Settings): CapacitySettings {
  return { vmMemoryOverheadPercent: settings.vmMemoryOverheadPercent, reservedENIs: settings.reservedENIs };
}

export const CLOUD_PROVIDER_FACTORIES: Record<Settings['cloudProvider'], Factory> = {
  aws: async ({ api, clock, logger, settings, kubeCABundle }) => {
    const { createAwsCloudProvider, ArcZonalShiftClient, createArcZonalShiftSource } =
      await import('./aws/index.js');
    // The endpoint, CA and service CIDR nodes need: from the settings, else discovered (aws/cluster-discovery.ts).
    const cloud = await createAwsCloudProvider({
      api,
      clock,
      logger,
      clusterName: settings.clusterName,
      ...(settings.clusterEndpoint ? { clusterEndpoint: settings.clusterEndpoint } : {}),
      ...(kubeCABundle ? { kubeCABundle } : {}),
      region: settings.awsRegion as string,
      ...(settings.clusterCABundle ? { clusterCABundle: settings.clusterCABundle } : {}),
      ...(settings.awsEndpoint ? { endpoint: settings.awsEndpoint } : {}),
      ...(settings.interruptionQueue ? { interruptionQueue: settings.interruptionQueue } : {}),
      ...(settings.isolatedVpc ? { isolatedVpc: true } : {}),
      capacity: capacitySettingsOf(settings),
      reservedCapacity: settings.featureGates.ReservedCapacity,
      // AMI aliases resolve to images built for the cluster's own Kubernetes minor version.
      ...(api.serverVersion ? { kubernetesVersion: await api.serverVersion() } : {}),
    });
    // As upstream, a cluster ARC does not know (or a controller that may not ask) stops the start.
    const zonalShifts = settings.enableZonalShift
      ? await createArcZonalShiftSource({
          arc: new ArcZonalShiftClient({
            region: settings.awsRegion as string,
            ...(settings.awsEndpoint ? { endpoint: settings.awsEndpoint } : {}),
          }),
          ec2: cloud.clients.ec2,
          eks: cloud.clients.eks,
          clusterName: settings.clusterName,
          logger,
        })
      : undefined;
    return {
      cloud,
      ...(zonalShifts ? { zonalShifts } : {}),
      markUnavailable: (it, zone, ct) => cloud.markUnavailable(it, zone, ct),
      refreshNodeClasses: () => cloud.refreshNodeClasses(),
      deleteNodeClassResources: (nc) => cloud.deleteNodeClassResources(nc),
    };
  },
  kwok: async ({ api, clock, logger, settings }) => {
    const { createKwokCloudProvider } = await import('./kwok/index.js');
    return {
      cloud: await createKwokCloudProvider({ api, clock, logger, capacity: capacitySettingsOf(settings) }),
    };
  },
  simulated: ({ api, clock, logger, settings }) => {
    const cloud = new SimulatedCloud({
      api,
      clock,
      catalog: defaultCatalog,
      capacity: capacitySettingsOf(settings),
      reservedCapacity: settings.featureGates.ReservedCapacity,
      warn: (message) => logger.warn(message),
    });
    return Promise.resolve({ cloud, zonalShifts: cloud.arc });
  },
};

export function createCloudProvider(ctx: CloudProviderContext): Promise<ProviderHandle> {
  return CLOUD_PROVIDER_FACTORIES[ctx.settings.cloudProvider](ctx);
}
