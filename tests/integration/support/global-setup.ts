/**
 * Starts the integration tests' cluster once per jest run (scripts/cluster-up.sh), or explains why the tests are
 * skipped: the control-plane binaries take a long, one-off build (`npm run test:integration` does it).
 */
import { execFileSync } from 'node:child_process';
import { CLUSTER_UP, KUBECONFIG_ENV, clusterEnv, controlPlane } from './control-plane';

export default function globalSetup(): void {
  const cp = controlPlane();
  if (!cp.built) {
    console.warn(
      `\n[integration] SKIPPED: the control-plane binaries are not built in ${cp.binDir}.\n` +
        '[integration] Run `npm run test:integration` (builds them once; times in docs/TESTING.md) or ' +
        '`scripts/control-plane/build.sh`.\n',
    );
    return;
  }
  const kubeconfig = execFileSync(CLUSTER_UP, {
    env: clusterEnv(cp),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  // Test workers are forked after global setup and inherit this.
  process.env[KUBECONFIG_ENV] = kubeconfig;
}
