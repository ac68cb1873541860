/**
 * The controller image's payload: `npm run bundle` writes one CommonJS file that starts the controller by itself
 * (no node_modules), serves /healthz, /readyz and /metrics, acts on its simulated cluster, and shuts down cleanly
 * on SIGTERM, releasing its Lease.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from '../scripts/bundle';

const root = join(__dirname, '..');

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('controller bundle', () => {
  let child: ChildProcess | undefined;
  let out = '';
  let dir: string | undefined;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds, starts with no arguments but --simulated-cluster, serves probes and metrics, and stops on SIGTERM', async () => {
    const file = await bundle(root);
    expect(existsSync(file)).toBe(true);
    // Lay it out as runtime/Dockerfile does, away from node_modules: the bundle, package.json (marks the package
    // root) and the lab manifests. The bundle must need nothing else.
    dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    copyFileSync(file, join(dir, 'karpenter-ts.js'));
    copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
    cpSync(join(root, 'examples', 'lab'), join(dir, 'examples', 'lab'), { recursive: true });
    child = spawn(process.execPath, [join(dir, 'karpenter-ts.js'), '--simulated-cluster'], {
      cwd: dir,
      env: { PATH: process.env.PATH, METRICS_PORT: '0', HEALTH_PROBE_PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));

    const ports = await until('the serving log line', async () => {
      const line = out.split('\n').find((l) => l.includes('"serving /metrics, /healthz and /readyz"'));
      return line ? (JSON.parse(line) as { metricsPort: number; healthProbePort: number }) : undefined;
    });
    expect(await get(ports.healthProbePort, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect((await get(ports.healthProbePort, '/readyz')).status).toBe(200);
    expect((await get(ports.healthProbePort, '/nope')).status).toBe(404);

    // The lab's app goes pending on an empty cluster: the controller launches a node for it.
    const metrics = await until('a provisioned NodeClaim in /metrics', async () => {
      const { body } = await get(ports.metricsPort, '/metrics');
      return /karpenter_nodeclaims_created_total\{reason="provisioned",nodepool="developers-workshop-pool"\} 1/.test(
        body,
      )
        ? body
        : undefined;
    });
    expect(metrics).toContain('leader_election_master_status{name="karpenter-leader-election"} 1');
    expect(metrics).toMatch(
      /karpenter_cloudprovider_duration_seconds_count\{[^}]*method="Create",provider="simulated"\} 1/,
    );
    expect(metrics).toMatch(/karpenter_build_info\{version="[^"]+",nodeversion="v20/);
    expect(metrics).toContain('process_resident_memory_bytes');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('"released leadership"');
    expect(out).toContain('"controller stopped"');
  }, 90_000);
});
