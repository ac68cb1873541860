/** `karpenter-ts controller` as an operator starts it: settings are checked before anything else happens. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

describe('karpenter-ts controller (CLI)', () => {
  it('refuses bad settings with one line per problem, naming the variable or flag, and exits 2', () => {
    const run = spawnSync(tsx, ['runtime/cli.ts', 'controller', '--batch-max-duration', 'later'], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, CLOUD_PROVIDER: 'aws', FEATURE_GATES: 'Drift=yes' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      'karpenter-ts controller: invalid settings:',
      '  - --batch-max-duration="later" is invalid: expected a duration such as 10s or 1m',
      '  - FEATURE_GATES="Drift=yes" is invalid: expected comma-separated Name=true|false pairs, such as SpotToSpotConsolidation=true,NodeRepair=false',
      '  - CLUSTER_NAME is required with CLOUD_PROVIDER=aws: set it to your EKS cluster name',
      '  - AWS_REGION is required with CLOUD_PROVIDER=aws: set it to the region of the cluster, e.g. us-east-1',
    ]);
  }, 30_000);

  it('lists every setting with its environment variable in --help', () => {
    const run = spawnSync(tsx, ['runtime/cli.ts', 'controller', '--help'], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(0);
    for (const env of [
      'CLUSTER_NAME',
      'INTERRUPTION_QUEUE',
      'BATCH_IDLE_DURATION',
      'FEATURE_GATES',
      'LEADER_ELECT',
    ]) {
      expect(run.stdout.replace(/\s+/g, ' ')).toContain(`[env ${env}]`);
    }
    expect(run.stdout).toContain('--simulated-cluster');
  }, 30_000);

  it('warns at start-up, before serving, about every setting it will not apply and a misspelling, not about a gate it honours', async () => {
    const child = spawn(tsx, ['runtime/cli.ts', 'controller', '--simulated-cluster'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        METRICS_PORT: '0',
        HEALTH_PROBE_PORT: '0',
        DISABLE_LEADER_ELECTION: 'true',
        ENABLE_PROFILING: 'true',
        FEATURE_GATES: 'ReservedCapacity=true',
        BATCH_IDLE_DURATON: '2s',
      },
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "serving" line in 25 s:\n${out}`)), 25_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('serving /metrics')) {
          clearTimeout(timer);
          resolve();
        }
      });
    }).finally(() => child.kill('SIGTERM'));
    expect(await exited).toBe(0);
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    const serving = lines.findIndex((l) => l.msg.startsWith('serving /metrics'));
    const warnings = lines
      .slice(0, serving)
      .filter((l) => l.level === 40)
      .map((l) => l.msg);
    expect(warnings).toEqual([
      'ENABLE_PROFILING="true" has no effect: karpenter-ts serves no pprof endpoints; use node --inspect or --cpu-prof instead',
      'BATCH_IDLE_DURATON is not a setting and has no effect: did you mean BATCH_IDLE_DURATION?',
    ]);
    // An applied upstream setting is not reported: DISABLE_LEADER_ELECTION=true is what this run did.
    expect(out).not.toContain('DISABLE_LEADER_ELECTION');
  }, 40_000);
});
