/** The README's first command, as a user runs it: `npm start -- --json` prints one JSON object per lab step. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

describe('karpenter-ts lab (CLI)', () => {
  it('prints one JSON line per step with the documented fields', () => {
    const out = execFileSync(tsx, ['runtime/cli.ts', 'lab', '--json'], { cwd: root, encoding: 'utf8' });
    const steps = out
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            step: string;
            nodes: { nodePool: string; cpuAllocatableMillis: number }[];
            pendingPods: number;
            pricePerHour: number;
          },
      );
    expect(steps.map((s) => s.step)).toEqual([
      'deploy',
      'scale-to-9',
      'scale-to-1',
      'scale-to-9-again',
      'scale-to-8',
    ]);
    expect(steps.map((s) => s.nodes.length)).toEqual([1, 2, 1, 2, 1]);
    expect(steps.map((s) => s.pendingPods)).toEqual([0, 0, 0, 0, 0]);
    expect(steps[1]?.pricePerHour).toBeCloseTo(0.0752, 4);
    expect(Object.keys(steps[0]?.nodes[0] ?? {}).sort()).toEqual(
      [
        'capacityType',
        'cpuAllocatableMillis',
        'cpuRequestedMillis',
        'instanceType',
        'name',
        'nodePool',
        'pods',
        'status',
        'zone',
      ].sort(),
    );
  }, 60_000);

  it('replays the lab under a seeded fault profile, reporting the faults and a clean convergence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    const profile = join(dir, 'faults.yaml');
    writeFileSync(
      profile,
      'seed: 4\napi:\n  writes: { conflict: 0.1, lostResponse: 0.1 }\ncloud:\n  create: { insufficientCapacity: 0.2 }\n',
    );
    const out = execFileSync(tsx, ['runtime/cli.ts', 'lab', '--json', '--faults', profile], {
      cwd: root,
      encoding: 'utf8',
    });
    const steps = out
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            nodes: unknown[];
            convergence: Record<string, unknown[]>;
            faultsInjected: Record<string, number>;
          },
      );
    expect(steps.map((s) => s.nodes.length)).toEqual([1, 2, 1, 2, 1]);
    const last = steps[steps.length - 1];
    expect(last?.convergence).toEqual({ leakedInstances: [], duplicateLaunches: [], orphanNodes: [] });
    expect(Object.values(last?.faultsInjected ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
  }, 60_000);

  it('refuses a bad fault profile, naming the field', () => {
    const run = spawnSync(tsx, ['runtime/cli.ts', 'lab', '--faults', 'api.writes=lots'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('--faults: "api.writes=lots" is not path=number');
  }, 30_000);

  it('exits non-zero with the field and the fix when a manifest is invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-'));
    cpSync(join(root, 'examples', 'lab'), dir, { recursive: true });
    const poolPath = join(dir, 'nodepool.yaml');
    writeFileSync(
      poolPath,
      readFileSync(poolPath, 'utf8').replace('consolidateAfter: 0s', 'consolidateAfter: soon'),
    );
    const run = spawnSync(tsx, ['runtime/cli.ts', 'lab', '--manifests', dir], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('invalid NodePool "developers-workshop-pool"');
    expect(run.stderr).toContain('spec.disruption.consolidateAfter');
  }, 60_000);
});

describe('karpenter-ts cost (CLI)', () => {
  it('reports, after each lab step, the pool at the price the lab shows and above its lower bound', () => {
    const lab = execFileSync(tsx, ['runtime/cli.ts', 'lab', '--json'], { cwd: root, encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { nodes: { nodePool: string }[]; pricePerHour: number });
    const out = execFileSync(tsx, ['runtime/cli.ts', 'cost', '--simulated', '--json'], {
      cwd: root,
      encoding: 'utf8',
    });
    type Row = {
      nodePool: string;
      nodes: number;
      dollarsPerHour: number;
      bound?: { dollarsPerHour: number };
    };
    const reports = out
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            title: string;
            pools: Row[];
            dollarsPerHour: number;
            savingsPerHour: Record<string, number>;
          },
      );
    expect(reports).toHaveLength(5);
    // Consolidation saved a node's price exactly in the steps where the lab loses a workshop node.
    reports.forEach((r, i) => {
      const saved = r.savingsPerHour['developers-workshop-pool'] ?? 0;
      const prev = reports[i - 1]?.pools.find((p) => p.nodePool === 'developers-workshop-pool')?.nodes ?? 0;
      const now = r.pools.find((p) => p.nodePool === 'developers-workshop-pool')?.nodes ?? 0;
      if (now < prev) expect(saved).toBeGreaterThan(0);
      else expect(saved).toBe(0);
    });
    reports.forEach((r, i) => {
      const pool = r.pools.find((p) => p.nodePool === 'developers-workshop-pool');
      const labPool = (lab[i]?.nodes ?? []).filter((n) => n.nodePool === 'developers-workshop-pool');
      expect(pool?.nodes).toBe(labPool.length);
      // The lab's price is the workshop pool's.
      expect(pool?.dollarsPerHour).toBeCloseTo(lab[i]?.pricePerHour ?? NaN, 4);
      expect(pool?.bound?.dollarsPerHour).toBeGreaterThan(0);
      expect(pool?.bound?.dollarsPerHour).toBeLessThanOrEqual(pool?.dollarsPerHour ?? 0);
    });
    expect(reports[0]?.title).toMatch(/^── deploy: kubectl apply/);
  }, 90_000);
});
