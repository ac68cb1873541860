import type { Clock } from '../../clock/clock';
import type { KubeApi } from '../../kube/api';
import type { Logger } from '../../logging';
import type { CapacitySettings } from '../../scheduling/allocatable';
import { KwokCloudProvider } from './kwok-cloud';

export { KwokCloudProvider, type KwokCloudProviderOptions } from './kwok-cloud';
export {
  KWOK_NODE_ANNOTATION,
  KWOK_NODE_ANNOTATION_VALUE,
  KWOK_PROVIDER_ID_PREFIX,
  KWOK_PROVIDER_LABEL,
} from './kwok-node';

/** The factory `karpenter-ts controller` calls for CLOUD_PROVIDER=kwok. */
export async function createKwokCloudProvider(opts: {
  api: KubeApi;
  clock: Clock;
  logger: Logger;
  /** VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS. @default upstream's */
  capacity?: CapacitySettings;
}): Promise<KwokCloudProvider> {
  return new KwokCloudProvider(opts);
}
