/** Built-in fault injection for the embedded simulator: wraps the Operator's two seams as a profile says. */
import type { CloudProvider } from '../../cloudprovider/types';
import type { KubeApi } from '../../kube/api';
import { FaultLog } from './fault-log';
import { faultyCloud } from './faulty-cloud';
import { faultyKubeApi } from './faulty-api';
import type { FaultProfile } from './profile';
import { SeededRandom } from './rng';

export * from './profile';
export { FaultLog } from './fault-log';
export { NetworkError } from './faulty-api';

export interface FaultySeams {
  api: KubeApi;
  cloud: CloudProvider;
  log: FaultLog;
}

export function injectFaults(api: KubeApi, cloud: CloudProvider, profile: FaultProfile): FaultySeams {
  const rng = new SeededRandom(profile.seed);
  const log = new FaultLog(profile.maxFaults);
  return {
    api: faultyKubeApi(api, profile, rng.fork(1), log),
    cloud: faultyCloud(cloud, profile, rng.fork(2), log),
    log,
  };
}
