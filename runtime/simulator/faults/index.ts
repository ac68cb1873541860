/** Built-in fault injection for the embedded simulator: wraps the Operator's two seams as a profile says. */
import type { CloudProvider } from '../../cloudprovider/types';
import type { KubeApi } from '../../kube/api';
import { FaultLog } from './fault-log';
import { faultyCloud } from './faulty-cloud';
import { faultyKubeApi } from './faulty-api';
import type { FaultProfile } from './profile';
import { forkSeed, mulberry32 } from '../prng';

export * from './profile';
export { FaultLog } from './fault-log';
export { NetworkError } from './faulty-api';

export interface FaultySeams {
  api: KubeApi;
  cloud: CloudProvider;
  log: FaultLog;
}

export function injectFaults(api: KubeApi, cloud: CloudProvider, profile: FaultProfile): FaultySeams {
  const log = new FaultLog(profile.maxFaults);
  return {
    api: faultyKubeApi(api, profile, mulberry32(forkSeed(profile.seed, 1)), log),
    cloud: faultyCloud(cloud, profile, mulberry32(forkSeed(profile.seed, 2)), log),
    log,
  };
}
