/**
 * Where the local control plane lives: the versions and cache paths come from scripts/control-plane/versions.sh
 * (the one place they are defined), the cluster is the one scripts/cluster-up.sh starts for the tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const VERSIONS = path.join(REPO_ROOT, 'scripts', 'control-plane', 'versions.sh');
export const CLUSTER_UP = path.join(REPO_ROOT, 'scripts', 'cluster-up.sh');
export const CLUSTER_DOWN = path.join(REPO_ROOT, 'scripts', 'cluster-down.sh');

/** Set by the global setup to the kubeconfig of the running test cluster; absent when the tests are skipped. */
export const KUBECONFIG_ENV = 'KARPENTER_TS_IT_KUBECONFIG';

export interface ControlPlane {
  /** The directory holding kube-apiserver, etcd, kwokctl, ... for the pinned versions. */
  binDir: string;
  cacheDir: string;
  /** The test cluster's name (its own, so a developer's `npm run cluster:up` cluster is left alone). */
  clusterName: string;
  /** kwokctl's work directory for the cluster: pids, logs, etcd data. */
  clusterWorkdir: string;
  /** Every binary built and stamped with the pinned versions. */
  built: boolean;
}

export function controlPlane(): ControlPlane {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source "$1"; printf "%s\\n" "$CONTROL_PLANE_BIN" "$KARPENTER_TS_CACHE" "$CONTROL_PLANE_KEY" "$CONTROL_PLANE_BINARIES"',
      '_',
      VERSIONS,
    ],
    { encoding: 'utf8' },
  ).split('\n');
  const [binDir = '', cacheDir = '', key = '', binaries = ''] = out;
  const clusterName = process.env.KARPENTER_TS_IT_CLUSTER ?? 'karpenter-ts-it';
  const stamp = path.join(binDir, '.stamp');
  const built =
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8').trim() === key &&
    binaries.split(' ').every((b) => existsSync(path.join(binDir, b)));
  return {
    binDir,
    cacheDir,
    clusterName,
    clusterWorkdir: path.join(cacheDir, 'kwok', 'clusters', clusterName),
    built,
  };
}

/** Environment for the cluster scripts, naming the test cluster. */
export function clusterEnv(cp: ControlPlane): NodeJS.ProcessEnv {
  return { ...process.env, KARPENTER_TS_CLUSTER: cp.clusterName };
}
