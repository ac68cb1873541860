/**
 * What users install, not the sources: `npm pack` (its prepack builds dist/ and the image context), the tarball
 * installed into a fresh project outside the repo the way an infra repo would, and everything exercised from
 * there: the three entry points (CommonJS and ESM), the bin, a Pulumi program under mocks whose drift preview
 * reads live NodeClaims through the default reader, the image build context the component passes, and a
 * TypeScript program typechecked against the installed types.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { get, startController, until, type StartedController } from '../support/controller-process';
import { layOutImage } from '../support/image-layout';
import { EC2NODECLASS_HASH_VERSION, NODEPOOL_HASH_VERSION } from '../../runtime/controllers/disruption/drift';

const root = join(__dirname, '..', '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** The version this checkout has installed, so the fresh project pins the same and installs from the cache. */
function installed(name: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `${name}@${pkg.version}`;
}

let work: string;
let project: string;
let pkgDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'karpenter-ts-package-'));
  // prepack (build, bundle) prints first; the JSON report is the array that follows.
  const packOut = await ok('npm', ['pack', '--json', '--pack-destination', work], root);
  const packed = JSON.parse(packOut.slice(packOut.search(/^\[/m))) as { filename: string }[];
  const tarball = join(work, packed[0].filename);
  project = join(work, 'infra');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'infra', version: '0.0.0', private: true }, null, 2),
  );
  await ok(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      tarball,
      installed('@pulumi/pulumi'),
      installed('@pulumi/kubernetes'),
      installed('typescript'),
      installed('@types/node'),
    ],
    project,
  );
  pkgDir = join(project, 'node_modules', 'karpenter-ts');
}, 600_000);

afterAll(() => {
  if (work && !process.env.KARPENTER_TS_KEEP_PACKAGE_TEST) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds what users need and nothing of the repo’s tests, benchmarks or sources', () => {
    const top = readdirSync(pkgDir).sort();
    expect(top).toEqual(['LICENSE', 'README.md', 'dist', 'examples', 'package.json', 'provider', 'sdk']);
    expect(readdirSync(join(pkgDir, 'examples')).sort()).toEqual(['lab', 'monitoring']);
    // What KarpenterInstall's `monitoring` option reads from the package (provider/monitoring).
    expect(readdirSync(join(pkgDir, 'examples', 'monitoring')).sort()).toEqual([
      'karpenter-dashboard.json',
      'prometheus-rules.yaml',
    ]);
    expect(readdirSync(join(pkgDir, 'dist')).sort()).toEqual(['image', 'provider', 'runtime', 'sdk']);
    expect(readdirSync(join(pkgDir, 'sdk'))).toEqual(['crds']);
    expect(readdirSync(join(pkgDir, 'provider'))).toEqual(['README.md']);
  });

  it('ships no unit tests and no test builders (testing.ts)', () => {
    const shipped = readdirSync(join(pkgDir, 'dist'), { recursive: true, encoding: 'utf8' });
    expect(shipped.filter((f) => /(^|[/\\])testing\.|\.test\./.test(f))).toEqual([]);
  });
});

describe('the installed entry points', () => {
  it('load with require(): the typed API and parseManifests, the Pulumi resources, the components, the policies', async () => {
    const script = `
      const fs = require('node:fs'), path = require('node:path');
      const api = require('karpenter-ts');
      const typed = require('karpenter-ts/pulumi');
      const provider = require('karpenter-ts/provider');
      const policy = require('karpenter-ts/policy');
      const lab = path.join(path.dirname(require.resolve('karpenter-ts/package.json')), 'examples', 'lab');
      // cluster.yaml is the simulator's starting cluster, not a manifest.
      const kinds = fs.readdirSync(lab).filter((f) => f !== 'cluster.yaml').sort().flatMap((f) =>
        api.parseManifests(fs.readFileSync(path.join(lab, f), 'utf8'), { source: f }).map((o) => o.kind));
      console.log(JSON.stringify({
        kinds,
        nodePool: typeof typed.NodePool, install: typeof provider.KarpenterInstall,
        cluster: typeof provider.KarpenterCluster,
        policies: policy.karpenterPolicies().length > 0,
      }));`;
    const out = JSON.parse(await ok(process.execPath, ['-e', script], project)) as Record<string, unknown>;
    expect(out).toEqual({
      kinds: expect.arrayContaining(['NodePool', 'EC2NodeClass', 'Deployment', 'StatefulSet']),
      nodePool: 'function',
      install: 'function',
      cluster: 'function',
      policies: true,
    });
  });

  it('load with import from an ES module', async () => {
    const script = `
      import { parseManifests } from 'karpenter-ts';
      import { NodePool } from 'karpenter-ts/pulumi';
      import { KarpenterInstall } from 'karpenter-ts/provider';
      console.log([parseManifests, NodePool, KarpenterInstall].map((f) => typeof f).join(','));`;
    const out = await ok(process.execPath, ['--input-type=module', '-e', script], project);
    expect(out.trim()).toBe('function,function,function');
  });

  it('the bin replays the seed lab: 1, 2, 1, 2, 1 workshop nodes and no pod left pending', async () => {
    const out = await ok(join(project, 'node_modules', '.bin', 'karpenter-ts'), ['lab', '--json'], project);
    const frames = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { nodes: unknown[]; pendingPods: number });
    expect(frames.map((f) => f.nodes.length)).toEqual([1, 2, 1, 2, 1]);
    expect(frames.map((f) => f.pendingPods)).toEqual([0, 0, 0, 0, 0]);
  });

  it('the bin prints the package version', async () => {
    const out = await ok(join(project, 'node_modules', '.bin', 'karpenter-ts'), ['--version'], project);
    expect(out.trim()).toBe(rootPackage.version);
  });
});

interface PreviewOutput {
  report: {
    mode: 'live' | 'offline';
    reason?: string;
    hashes: { nodePools: Record<string, string>; nodeClasses: Record<string, string> };
    pools?: { nodePool: string; nodes: number; drifted: { nodeClaim: string }[]; allowedPerRound: number }[];
    summary: string[];
  };
  images: { context: string; dockerfile: string }[];
}

async function preview(variant: 'before' | 'after', kubeconfigFile?: string): Promise<PreviewOutput> {
  const args = [join(project, 'preview.js'), variant, ...(kubeconfigFile ? [kubeconfigFile] : [])];
  const r = await run(process.execPath, args, project, 60_000);
  if (r.code !== 0) throw new Error(`preview.js exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"report"'));
  if (!line) throw new Error(`preview.js printed no report:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(line) as PreviewOutput;
}

describe('a Pulumi program using the installed KarpenterInstall', () => {
  let server: Server;
  const requests: string[] = [];
  let before: PreviewOutput;
  let after: PreviewOutput;
  let live: PreviewOutput;

  beforeAll(async () => {
    cpSync(join(__dirname, 'fixtures', 'preview.js'), join(project, 'preview.js'));
    [before, after] = await Promise.all([preview('before'), preview('after')]);
    const claim = (name: string, launchedFrom: PreviewOutput) => ({
      metadata: {
        name,
        labels: { 'karpenter.sh/nodepool': 'workshop', 'karpenter.sh/capacity-type': 'on-demand' },
        annotations: {
          'karpenter.sh/nodepool-hash': launchedFrom.report.hashes.nodePools.workshop,
          'karpenter.sh/nodepool-hash-version': NODEPOOL_HASH_VERSION,
          'karpenter.k8s.aws/ec2nodeclass-hash': launchedFrom.report.hashes.nodeClasses.default,
          'karpenter.k8s.aws/ec2nodeclass-hash-version': EC2NODECLASS_HASH_VERSION,
        },
      },
      spec: {
        requirements: [],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      },
      status: { nodeName: `node-${name}` },
    });
    // Two nodes launched from the NodePool as deployed, one already from the planned change.
    const items = [claim('workshop-a', before), claim('workshop-b', before), claim('workshop-c', after)];
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'NodeClaimList', metadata: { resourceVersion: '7' }, items }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const kubeconfig = join(work, 'kubeconfig.json');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'c',
        clusters: [
          {
            name: 'c',
            cluster: {
              server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
              'insecure-skip-tls-verify': true,
            },
          },
        ],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        users: [{ name: 'u', user: { token: 't' } }],
      }),
    );
    live = await preview('after', kubeconfig);
  }, 180_000);

  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('reports hashes only without a cluster, and the planned change moves the NodePool hash', () => {
    expect(before.report).toMatchObject({ mode: 'offline', reason: 'no cluster access configured' });
    expect(before.report.hashes.nodePools.workshop).not.toBe(after.report.hashes.nodePools.workshop);
    expect(before.report.hashes.nodeClasses.default).toBe(after.report.hashes.nodeClasses.default);
  });

  it('reads live NodeClaims through the default kubeconfig reader and lists the drifted ones', () => {
    expect(requests).toContain('GET /apis/karpenter.sh/v1/nodeclaims');
    expect(live.report.mode).toBe('live');
    expect(live.report.pools).toEqual([
      expect.objectContaining({
        nodePool: 'workshop',
        nodes: 3,
        drifted: [
          expect.objectContaining({ nodeClaim: 'workshop-a' }),
          expect.objectContaining({ nodeClaim: 'workshop-b' }),
        ],
        allowedPerRound: 1,
      }),
    ]);
  });

  describe('the default image build', () => {
    let controller: StartedController | undefined;
    let imageRoot: string;

    afterAll(() => {
      if (controller && controller.child.exitCode === null) controller.child.kill('SIGKILL');
    });

    it('builds from the installed package’s own context, which has every path its Dockerfile copies', () => {
      expect(live.images).toHaveLength(1);
      const [{ context, dockerfile }] = live.images;
      expect(relative(pkgDir, context)).toBe(join('dist', 'image'));
      expect(dockerfile).toBe(join(context, 'Dockerfile'));
      imageRoot = join(work, 'image-root');
      const layout = layOutImage(context, imageRoot, dockerfile);
      expect(layout.missing).toEqual([]);
      expect(layout.copied).toEqual(
        expect.arrayContaining(['karpenter-ts.js', 'package.json', 'examples/lab']),
      );
    });

    it('and the bundle laid out that way starts with --simulated-cluster, answering /healthz and /metrics', async () => {
      const layout = layOutImage(live.images[0].context, imageRoot);
      controller = await startController([...layout.entrypoint, '--simulated-cluster'], imageRoot);
      expect(await get(controller.healthProbePort, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
      const port = controller.metricsPort;
      const metrics = await until('a provisioned NodeClaim in /metrics', async () => {
        const { body } = await get(port, '/metrics');
        return body.includes('karpenter_nodeclaims_created_total{reason="provisioned"') ? body : undefined;
      });
      expect(metrics).toContain(`karpenter_build_info{version="${rootPackage.version}"`);
      controller.child.kill('SIGTERM');
      expect(await controller.exited).toBe(0);
    }, 60_000);
  });
});

describe('a TypeScript program against the installed types', () => {
  // Strict, and without skipLibCheck: every declaration file the entry points reach must typecheck.
  it('typechecks the examples/pulumi program with tsc --noEmit', async () => {
    const src = join(project, 'src');
    mkdirSync(src, { recursive: true });
    for (const file of readdirSync(join(root, 'examples', 'pulumi')).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(root, 'examples', 'pulumi', file), 'utf8')
        .replaceAll("'../../provider'", "'karpenter-ts/provider'")
        .replaceAll("'../../sdk/manifests'", "'karpenter-ts'")
        .replaceAll("'../../sdk/pulumi'", "'karpenter-ts/pulumi'");
      expect(text).not.toMatch(/from '\.\.\/\.\.\//);
      writeFileSync(join(src, file), text);
    }
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          types: ['node'],
        },
        include: ['src'],
      }),
    );
    const tsc = await run(join(project, 'node_modules', '.bin', 'tsc'), ['-p', '.'], project, 120_000);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  }, 150_000);
});
