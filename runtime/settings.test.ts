import { DEFAULT_PER_NODE_COST, loadSettings, SettingsError } from './settings';

const aws = {
  CLUSTER_NAME: 'prod',
  AWS_REGION: 'us-west-2',
  CLUSTER_ENDPOINT: 'https://abc.eks.amazonaws.com',
};

function problems(env: Record<string, string>, flags: Record<string, string> = {}): string[] {
  try {
    loadSettings(env, flags);
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  return [];
}

describe('controller settings', () => {
  it("defaults to Karpenter's values", () => {
    expect(loadSettings(aws)).toEqual({
      ...{ clusterName: 'prod', awsRegion: 'us-west-2', clusterEndpoint: 'https://abc.eks.amazonaws.com' },
      batchIdleMs: 1000,
      batchMaxMs: 10_000,
      featureGates: {},
      logLevel: 'info',
      metricsPort: 8080,
      healthProbePort: 8081,
      leaderElect: true,
      leaderElectionNamespace: 'kube-system',
      cloudProvider: 'aws',
      minValuesPolicy: 'Strict',
      perNodeCost: DEFAULT_PER_NODE_COST,
    });
  });

  it('reads PER_NODE_COST as USD per hour and names the setting when it is not a price', () => {
    expect(loadSettings({ ...aws, PER_NODE_COST: '0' }).perNodeCost).toBe(0);
    expect(loadSettings({ ...aws }, { PER_NODE_COST: '0.4' }).perNodeCost).toBe(0.4);
    expect(() => loadSettings({ ...aws, PER_NODE_COST: '-1' })).toThrow(
      /PER_NODE_COST="-1" is invalid: expected a number of USD/,
    );
    expect(() => loadSettings({ ...aws, PER_NODE_COST: 'cheap' })).toThrow(
      /PER_NODE_COST="cheap" is invalid/,
    );
  });

  it('parses durations, feature gates, booleans and ports', () => {
    const s = loadSettings({
      ...aws,
      BATCH_IDLE_DURATION: '500ms',
      BATCH_MAX_DURATION: '1m30s',
      FEATURE_GATES: 'SpotToSpotConsolidation=true, NodeRepair=false',
      LEADER_ELECT: 'FALSE',
      METRICS_PORT: '9090',
      POD_NAMESPACE: 'karpenter',
      MIN_VALUES_POLICY: 'BestEffort',
    });
    expect(s).toMatchObject({
      batchIdleMs: 500,
      batchMaxMs: 90_000,
      featureGates: { SpotToSpotConsolidation: true, NodeRepair: false },
      leaderElect: false,
      metricsPort: 9090,
      leaderElectionNamespace: 'karpenter',
      minValuesPolicy: 'BestEffort',
    });
  });

  it('lets flags override the environment', () => {
    const s = loadSettings({ ...aws, LOG_LEVEL: 'debug' }, { LOG_LEVEL: 'warn', CLUSTER_NAME: 'other' });
    expect(s.logLevel).toBe('warn');
    expect(s.clusterName).toBe('other');
  });

  it('reports every bad value at once, naming the variable, the value and the fix', () => {
    expect(
      problems({
        ...aws,
        BATCH_IDLE_DURATION: 'soon',
        FEATURE_GATES: 'Drift',
        METRICS_PORT: '99999',
        LOG_LEVEL: 'loud',
        CLOUD_PROVIDER: 'gcp',
        MIN_VALUES_POLICY: 'Loose',
      }),
    ).toEqual([
      'BATCH_IDLE_DURATION="soon" is invalid: expected a duration such as 1s, 500ms or 2m',
      'FEATURE_GATES="Drift" is invalid: expected comma-separated Name=true|false pairs, such as SpotToSpotConsolidation=true,NodeRepair=false',
      'LOG_LEVEL="loud" is invalid: expected one of silent, error, warn, info, debug, trace',
      'METRICS_PORT="99999" is invalid: expected a port number from 0 (any free port) to 65535',
      'CLOUD_PROVIDER="gcp" is invalid: expected one of aws, kwok, simulated',
      'MIN_VALUES_POLICY="Loose" is invalid: expected one of Strict, BestEffort',
    ]);
  });

  it('names the flag when the bad value came from a flag', () => {
    expect(problems(aws, { LEADER_ELECT: 'maybe' })).toEqual([
      '--leader-elect="maybe" is invalid: expected true or false',
    ]);
  });

  it('requires the cluster name and region for aws only, and a coherent batch window', () => {
    expect(problems({})).toEqual([
      'CLUSTER_NAME is required with CLOUD_PROVIDER=aws: set it to your EKS cluster name',
      'AWS_REGION is required with CLOUD_PROVIDER=aws: set it to the region of the cluster, e.g. us-east-1',
    ]);
    expect(loadSettings({ CLOUD_PROVIDER: 'kwok' }).clusterName).toBe('kwok');
    expect(problems({ CLOUD_PROVIDER: 'kwok', BATCH_IDLE_DURATION: '20s' })).toEqual([
      'BATCH_IDLE_DURATION (20000ms) is longer than BATCH_MAX_DURATION (10000ms): make the idle duration the shorter one',
    ]);
    expect(problems({ CLOUD_PROVIDER: 'kwok', METRICS_PORT: '8081' })).toEqual([
      'METRICS_PORT and HEALTH_PROBE_PORT are both 8081: give them different ports',
    ]);
  });

  it('makes the SettingsError message list the problems one per line', () => {
    expect(() => loadSettings({ CLOUD_PROVIDER: 'kwok', LOG_LEVEL: 'x', METRICS_PORT: 'y' })).toThrow(
      /^invalid settings:\n {2}- LOG_LEVEL="x".*\n {2}- METRICS_PORT="y"/,
    );
  });
});
