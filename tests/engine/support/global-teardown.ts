/**
 * Deletes the engine tests' cluster and scratch directory, unless KARPENTER_TS_KEEP_ENGINE=1 (to inspect the
 * projects' logs and stacks afterwards).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { CLUSTER_DOWN } from '../../integration/support/control-plane';
import { ENGINE_CLUSTER, KUBECONFIG_ENV, SCRATCH_ENV, WORKDIR_ENV } from './engine';

export default function globalTeardown(): void {
  if (!process.env[KUBECONFIG_ENV]) return;
  if (process.env.KARPENTER_TS_KEEP_ENGINE === '1') {
    console.warn(
      `[engine] keeping the cluster (KUBECONFIG=${process.env[KUBECONFIG_ENV]}) and ${process.env[WORKDIR_ENV]}`,
    );
    return;
  }
  execFileSync(CLUSTER_DOWN, {
    env: { ...process.env, KARPENTER_TS_CLUSTER: ENGINE_CLUSTER },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const work = process.env[WORKDIR_ENV];
  if (work && work !== process.env[SCRATCH_ENV]) rmSync(work, { recursive: true, force: true });
}
