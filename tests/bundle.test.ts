/**
 * The controller image's build context: `npm run bundle` writes dist/image/, whose Dockerfile only copies; laid
 * out as its COPY lines say, the one CommonJS file starts the controller by itself (no node_modules), serves
 * /healthz, /readyz and /metrics, acts on its simulated cluster, and shuts down cleanly on SIGTERM, releasing its
 * Lease. tests/package checks the same from the packed tarball.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from '../scripts/bundle';
import { get, startController, until, type StartedController } from './support/controller-process';
import { layOutImage } from './support/image-layout';

const root = join(__dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

describe('controller bundle', () => {
  let controller: StartedController | undefined;
  let dir: string | undefined;

  afterAll(() => {
    if (controller && controller.child.exitCode === null) controller.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds, starts with no arguments but --simulated-cluster, serves probes and metrics, and stops on SIGTERM', async () => {
    const file = await bundle(root);
    expect(existsSync(file)).toBe(true);
    // One non-ASCII character would make V8 hold the whole source as UTF-16: twice the memory.
    const nonAscii = /[\u0080-\uffff].{0,40}/s.exec(readFileSync(file, 'latin1'));
    expect(nonAscii?.[0]).toBeUndefined();
    // Lay it out as the Dockerfile's COPY lines do, away from node_modules. The bundle must need nothing else.
    dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    const image = layOutImage(join(root, 'dist', 'image'), dir);
    expect(image.missing).toEqual([]);
    expect(image.copied).toEqual(expect.arrayContaining(['karpenter-ts.js', 'package.json', 'examples/lab']));
    controller = await startController([...image.entrypoint, '--simulated-cluster'], dir);
    const ports = controller;
    expect(await get(ports.healthProbePort, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect((await get(ports.healthProbePort, '/readyz')).status).toBe(200);
    expect((await get(ports.healthProbePort, '/nope')).status).toBe(404);

    // The lab's app goes pending on an empty cluster: the controller launches a node for it.
    const metrics = await until('a provisioned NodeClaim in /metrics', async () => {
      const { body } = await get(ports.metricsPort, '/metrics');
      return /karpenter_nodeclaims_created_total\{reason="provisioned",nodepool="developers-workshop-pool",min_values_relaxed="false"\} 1/.test(
        body,
      )
        ? body
        : undefined;
    });
    expect(metrics).toContain('leader_election_master_status{name="karpenter-leader-election"} 1');
    expect(metrics).toMatch(
      /karpenter_cloudprovider_duration_seconds_count\{[^}]*method="Create",provider="simulated"\} 1/,
    );
    expect(metrics).toContain(
      `karpenter_build_info{version="${version}",nodeversion="${process.version}"} 1`,
    );
    expect(metrics).toContain('process_resident_memory_bytes');

    controller.child.kill('SIGTERM');
    expect(await controller.exited).toBe(0);
    const out = controller.output();
    expect(out).toContain('"released leadership"');
    expect(out).toContain('"controller stopped"');
  }, 90_000);
});
