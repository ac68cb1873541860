/**
 * Where the real Pulumi engine lives (scripts/pulumi-engine/versions.sh, the one place its versions and cache paths
 * are defined) and what the engine tests share: the kubeconfig of their cluster and the scratch project holding the
 * packed karpenter-ts, both set by the global setup.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const VERSIONS = path.join(REPO_ROOT, 'scripts', 'pulumi-engine', 'versions.sh');
export const ENGINE_BUILD = path.join(REPO_ROOT, 'scripts', 'pulumi-engine', 'build.sh');

/** Set by the global setup: the shared cluster's kubeconfig (absent when the tests are skipped). */
export const KUBECONFIG_ENV = 'KARPENTER_TS_ENGINE_KUBECONFIG';
/** Set by the global setup: the scratch directory with node_modules (the packed karpenter-ts) and the projects. */
export const WORKDIR_ENV = 'KARPENTER_TS_ENGINE_WORKDIR';
/** A kept scratch directory to reuse instead of packing and installing again (see the global setup). */
export const SCRATCH_ENV = 'KARPENTER_TS_ENGINE_SCRATCH';

export interface Engine {
  /** pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes, pulumi-resource-pulumi-nodejs. */
  binDir: string;
  /** The PULUMI_HOME whose plugin cache holds the kubernetes plugin under the SDK's version. */
  home: string;
  /** Every binary built and stamped with the pinned versions. */
  built: boolean;
  pulumiVersion: string;
  kubernetesSdkVersion: string;
}

export function engine(): Engine {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source "$1"; printf "%s\\n" "$PULUMI_ENGINE_BIN" "$PULUMI_ENGINE_HOME" "$PULUMI_ENGINE_KEY" "$PULUMI_ENGINE_BINARIES" "$PULUMI_VERSION" "$PULUMI_KUBERNETES_SDK_VERSION"',
      '_',
      VERSIONS,
    ],
    { encoding: 'utf8' },
  ).split('\n');
  const [binDir = '', home = '', key = '', binaries = '', pulumiVersion = '', kubernetesSdkVersion = ''] =
    out;
  const stamp = path.join(binDir, '.stamp');
  const built =
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8').trim() === key &&
    binaries.split(' ').every((b) => existsSync(path.join(binDir, b)));
  return { binDir, home, built, pulumiVersion, kubernetesSdkVersion };
}

/** The shared cluster's name: its own, never the integration tests' or a developer's. */
export const ENGINE_CLUSTER = process.env.KARPENTER_TS_ENGINE_CLUSTER ?? 'karpenter-ts-engine';
