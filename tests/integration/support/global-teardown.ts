/** Deletes the integration tests' cluster, unless KARPENTER_TS_KEEP_CLUSTER=1 (to inspect it afterwards). */
import { execFileSync } from 'node:child_process';
import { CLUSTER_DOWN, KUBECONFIG_ENV, clusterEnv, controlPlane } from './control-plane';

export default function globalTeardown(): void {
  if (!process.env[KUBECONFIG_ENV]) return;
  if (process.env.KARPENTER_TS_KEEP_CLUSTER === '1') {
    console.warn(`[integration] keeping the cluster: KUBECONFIG=${process.env[KUBECONFIG_ENV]}`);
    return;
  }
  execFileSync(CLUSTER_DOWN, { env: clusterEnv(controlPlane()), stdio: ['ignore', 'inherit', 'inherit'] });
}
