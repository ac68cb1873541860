/** `karpenter-ts controller` as an operator starts it: settings are checked before anything else happens. */
import { spawnSync } from 'node:child_process';
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
});
