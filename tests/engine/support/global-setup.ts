/**
 * Once per jest run of the `engine` project: explain why the tests are skipped (the engine or the control plane is
 * not built: both are long one-off builds), or start the engine tests' cluster, pack karpenter-ts the way it is
 * published and install it into a scratch directory whose projects the tests create.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CLUSTER_DOWN, CLUSTER_UP, controlPlane } from '../../integration/support/control-plane';
import {
  ENGINE_BUILD,
  ENGINE_CLUSTER,
  KUBECONFIG_ENV,
  REPO_ROOT,
  SCRATCH_ENV,
  WORKDIR_ENV,
  engine,
} from './engine';

/** The version this checkout has installed, so the scratch project pins the same and installs from the cache. */
function installed(name: string): string {
  const pkg = JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return `${name}@${pkg.version}`;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

export default function globalSetup(): void {
  const e = engine();
  const cp = controlPlane();
  const missing = [
    ...(e.built ? [] : [`the Pulumi engine in ${e.binDir} (\`${path.relative(REPO_ROOT, ENGINE_BUILD)}\`)`]),
    ...(cp.built ? [] : [`the control plane in ${cp.binDir} (\`scripts/control-plane/build.sh\`)`]),
  ];
  if (missing.length > 0) {
    console.warn(
      `\n[engine] SKIPPED: not built: ${missing.join('; ')}.\n` +
        '[engine] Run `npm run test:engine` (builds both once; times in docs/TESTING.md).\n',
    );
    return;
  }
  // A fresh cluster each run: one kept from an earlier run holds objects no stack of this run knows.
  execFileSync(CLUSTER_DOWN, {
    env: { ...process.env, KARPENTER_TS_CLUSTER: ENGINE_CLUSTER },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const kubeconfig = execFileSync(CLUSTER_UP, {
    env: { ...process.env, KARPENTER_TS_CLUSTER: ENGINE_CLUSTER },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();

  // KARPENTER_TS_ENGINE_SCRATCH: a scratch directory a previous run kept (KARPENTER_TS_KEEP_ENGINE=1), reused as
  // is (no pack, no install) to iterate on a test; it is not deleted afterwards.
  const reuse = process.env[SCRATCH_ENV];
  if (reuse && existsSync(path.join(reuse, 'node_modules', 'karpenter-ts'))) {
    mkdirSync(path.join(reuse, 'projects'), { recursive: true });
    process.env[KUBECONFIG_ENV] = kubeconfig;
    process.env[WORKDIR_ENV] = reuse;
    return;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'karpenter-ts-engine-'));
  // prepack (build, bundle) prints first; the JSON report is the array that follows.
  const packOut = npm(['pack', '--json', '--pack-destination', work], REPO_ROOT);
  const packed = JSON.parse(packOut.slice(packOut.search(/^\[/m))) as { filename: string }[];
  writeFileSync(
    path.join(work, 'package.json'),
    JSON.stringify({ name: 'engine-tests', private: true }, null, 2),
  );
  npm(
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      path.join(work, packed[0].filename),
      installed('@pulumi/pulumi'),
      installed('@pulumi/kubernetes'),
      installed('@pulumi/policy'),
      installed('typescript'),
      installed('@types/node'),
    ],
    work,
  );
  mkdirSync(path.join(work, 'projects'));
  // Test workers are forked after global setup and inherit these.
  process.env[KUBECONFIG_ENV] = kubeconfig;
  process.env[WORKDIR_ENV] = work;
}
