/**
 * The two controllers the e2e bench runs, each as its users run it outside a cluster: this project's built bundle
 * (`node dist/image/karpenter-ts.js controller`, as the image does) with CLOUD_PROVIDER=kwok, and upstream
 * Karpenter's kwok binary with its own CRDs, a KWOKNodeClass and the same catalog through INSTANCE_TYPES_FILE_PATH.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import yaml from 'js-yaml';
import type { KubeObject } from '../../runtime/kube/objects';
import { BENCH_CAPACITY, upstreamInstanceTypes } from './catalog';
import { ec2NodeClass, kwokNodeClass, nodePool } from './workload';

export const ROOT = path.resolve(__dirname, '../..');
export const BUNDLE = path.join(ROOT, 'dist/image/karpenter-ts.js');

export type ControllerName = 'karpenter-ts' | 'upstream';

export interface ControllerSpec {
  name: ControllerName;
  /** What was run: this repository's commit, or upstream's module version. */
  build: string;
  /** CRD manifests to install before anything else. */
  crds: KubeObject[];
  /** The node class and NodePool, in creation order. */
  objects: KubeObject[];
  start(kubeconfig: string, workdir: string, ports: Ports): RunningController;
}

export interface Ports {
  metrics: number;
  health: number;
}

export interface RunningController {
  child: ChildProcess;
  pid: number;
  metricsPort: number;
  healthPort: number;
  logFile: string;
  stop(): Promise<void>;
}

function launch(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  ports: Ports,
): RunningController {
  const log = createWriteStream(logFile);
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return {
    child,
    pid: child.pid,
    metricsPort: ports.metrics,
    healthPort: ports.health,
    logFile,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** This repository's commit, `+dirty` with uncommitted changes. */
function buildId(): string {
  const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    return `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain']) ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

function loadYamlDir(dir: string): KubeObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => yaml.loadAll(readFileSync(path.join(dir, f), 'utf8')) as KubeObject[])
    .filter((o) => o && typeof o === 'object');
}

/**
 * The Node.js flags the image's ENTRYPOINT gives (runtime/Dockerfile: `node <flags> /app/karpenter-ts.js
 * controller`), so the bench runs the bundle with the same heap settings users get.
 */
export function imageNodeFlags(dockerfile: string): string[] {
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT'));
  if (!line) throw new Error('runtime/Dockerfile has no ENTRYPOINT');
  const argv = JSON.parse(line.slice('ENTRYPOINT'.length).trim()) as string[];
  const script = argv.findIndex((a) => a.endsWith('.js'));
  if (argv[0] !== 'node' || script < 0) throw new Error(`unexpected ENTRYPOINT: ${line}`);
  return argv.slice(1, script);
}

export function karpenterTs(): ControllerSpec {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run bundle\` first`);
  return {
    name: 'karpenter-ts',
    build: buildId(),
    crds: loadYamlDir(path.join(ROOT, 'sdk/crds')),
    objects: [
      ec2NodeClass(),
      nodePool({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }),
    ],
    start: (kubeconfig, workdir, ports) =>
      launch(
        process.execPath,
        [
          ...imageNodeFlags(readFileSync(path.join(ROOT, 'runtime/Dockerfile'), 'utf8')),
          BUNDLE,
          'controller',
        ],
        {
          KUBECONFIG: kubeconfig,
          CLOUD_PROVIDER: 'kwok',
          // The values the catalog exported to upstream is sized with (catalog.ts).
          VM_MEMORY_OVERHEAD_PERCENT: String(BENCH_CAPACITY.vmMemoryOverheadPercent),
          RESERVED_ENIS: String(BENCH_CAPACITY.reservedENIs),
          DISABLE_LEADER_ELECTION: 'true',
          METRICS_PORT: String(ports.metrics),
          HEALTH_PROBE_PORT: String(ports.health),
          LOG_LEVEL: 'info',
        },
        path.join(workdir, 'karpenter-ts.log'),
        ports,
      ),
  };
}

/**
 * Upstream's kwok controller: `binary` is a build of sigs.k8s.io/karpenter/kwok, `moduleDir` that module's source
 * (for its CRDs: kwok/charts/crds and kwok/apis/crds).
 */
export function upstream(binary: string, moduleDir: string): ControllerSpec {
  if (!existsSync(binary)) throw new Error(`upstream binary ${binary} not found (--upstream)`);
  const crdDirs = ['kwok/charts/crds', 'kwok/apis/crds'].map((d) => path.join(moduleDir, d));
  for (const d of crdDirs) if (!existsSync(d)) throw new Error(`${d} not found (--upstream-module)`);
  return {
    name: 'upstream',
    build: path.basename(moduleDir),
    crds: crdDirs.flatMap(loadYamlDir),
    objects: [
      kwokNodeClass(),
      nodePool({ group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' }),
    ],
    start: (kubeconfig, workdir, ports) => {
      const catalog = path.join(workdir, 'instance-types.json');
      writeFileSync(catalog, JSON.stringify(upstreamInstanceTypes(BENCH_CAPACITY), null, 1));
      return launch(
        binary,
        [],
        {
          KUBECONFIG: kubeconfig,
          DISABLE_LEADER_ELECTION: 'true',
          SYSTEM_NAMESPACE: 'kube-system',
          INSTANCE_TYPES_FILE_PATH: catalog,
          METRICS_PORT: String(ports.metrics),
          HEALTH_PROBE_PORT: String(ports.health),
          LOG_LEVEL: 'info',
        },
        path.join(workdir, 'upstream.log'),
        ports,
      );
    },
  };
}
