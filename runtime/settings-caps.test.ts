import { CostPerHourLimit } from '../sdk/api/well-known';
import { loadSettings, SettingsError } from './settings';
import { clusterCapSettings, clusterCaps } from './settings-caps';

const aws = { CLUSTER_NAME: 'prod', AWS_REGION: 'us-west-2' };

function problems(env: Record<string, string>): string[] {
  try {
    loadSettings({ ...aws, ...env });
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  return [];
}

describe('cluster-wide caps (CLUSTER_MAX_*)', () => {
  it('are unset by default: no cap', () => {
    const settings = loadSettings(aws);
    expect(clusterCaps(settings)).toBeUndefined();
    expect(clusterCapSettings(settings)).toEqual({});
  });

  it('read nodes, quantities of cpu and memory, and USD/hour into the limit keys', () => {
    const settings = loadSettings({
      ...aws,
      CLUSTER_MAX_NODES: '200',
      CLUSTER_MAX_CPU: '1500500m',
      CLUSTER_MAX_MEMORY: '4Ti',
      CLUSTER_MAX_COST_PER_HOUR: '250.5',
    });
    expect(clusterCaps(settings)).toEqual({
      nodes: 200,
      cpu: 1500500,
      memory: 4 * 2 ** 40,
      [CostPerHourLimit]: 250.5,
    });
    // Flags win over the environment, as for every setting.
    const flagged = loadSettings({ ...aws, CLUSTER_MAX_NODES: '200' }, { CLUSTER_MAX_NODES: '10' });
    expect(flagged.clusterMaxNodes).toBe(10);
    expect(clusterCapSettings(loadSettings({ ...aws, CLUSTER_MAX_CPU: '64' }))).toEqual({
      clusterMaxCpu: 64000,
    });
  });

  it('name the variable and what it should hold when invalid', () => {
    expect(problems({ CLUSTER_MAX_NODES: '-1' })).toEqual([
      'CLUSTER_MAX_NODES="-1" is invalid: expected a whole number of nodes, 0 or more, e.g. 200',
    ]);
    expect(problems({ CLUSTER_MAX_CPU: 'lots' })).toEqual([
      'CLUSTER_MAX_CPU="lots" is invalid: expected a CPU quantity, 0 or more, e.g. 1000 or 500500m',
    ]);
    expect(problems({ CLUSTER_MAX_MEMORY: '4TB' })).toEqual([
      'CLUSTER_MAX_MEMORY="4TB" is invalid: expected a memory quantity, 0 or more, e.g. 4Ti or 2000Gi',
    ]);
    expect(problems({ CLUSTER_MAX_COST_PER_HOUR: '$50' })).toEqual([
      'CLUSTER_MAX_COST_PER_HOUR="$50" is invalid: expected a number of USD per hour, 0 or more, e.g. 250',
    ]);
  });
});
