import { DEFAULT_FEATURE_GATES, FEATURE_GATES } from './feature-gates';
import { DEFAULT_LEASE_NAME } from './leader';
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
      featureGates: {
        NodeRepair: false,
        ReservedCapacity: true,
        SpotToSpotConsolidation: false,
        NodeOverlay: false,
        StaticCapacity: false,
        CapacityBuffer: false,
        TerminateFirstDrift: false,
        TerminateFirstRepair: false,
        PodDeletionCostManagement: false,
      },
      logLevel: 'info',
      metricsPort: 8080,
      healthProbePort: 8081,
      leaderElect: true,
      disableLeaderElection: false,
      leaderElectionName: 'karpenter-leader-election',
      leaderElectionNamespace: 'kube-system',
      cloudProvider: 'aws',
      minValuesPolicy: 'Strict',
      preferencePolicy: 'Respect',
      kubeClientQps: 200,
      kubeClientBurst: 300,
      isolatedVpc: false,
      enableZonalShift: false,
      perNodeCost: DEFAULT_PER_NODE_COST,
      // karpenter-ts's own: plans for the pods ReplicaSets are still creating.
      planDeclaredReplicas: true,
      podDeletionCost: true,
      consolidationRepack: false,
      vmMemoryOverheadPercent: 0.075,
      reservedENIs: 0,
    });
    expect(loadSettings(aws).leaderElectionName).toBe(DEFAULT_LEASE_NAME);
  });

  it("reads VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS under upstream's names and flags", () => {
    expect(loadSettings({ ...aws, VM_MEMORY_OVERHEAD_PERCENT: '0.1', RESERVED_ENIS: '1' })).toMatchObject({
      vmMemoryOverheadPercent: 0.1,
      reservedENIs: 1,
    });
    expect(loadSettings({ ...aws, VM_MEMORY_OVERHEAD_PERCENT: '0' }).vmMemoryOverheadPercent).toBe(0);
    expect(loadSettings(aws, { VM_MEMORY_OVERHEAD_PERCENT: '0.05', RESERVED_ENIS: '2' })).toMatchObject({
      vmMemoryOverheadPercent: 0.05,
      reservedENIs: 2,
    });
  });

  it('refuses negative, non-numeric and whole-percent overheads and fractional or negative ENIs, saying what fits', () => {
    const fraction = 'expected a fraction of memory from 0 up to (not including) 1, e.g. 0.075 for 7.5%';
    const enis = 'expected a whole number of ENIs, 0 or more';
    expect(problems({ ...aws, VM_MEMORY_OVERHEAD_PERCENT: '-0.01', RESERVED_ENIS: '-1' })).toEqual([
      `VM_MEMORY_OVERHEAD_PERCENT="-0.01" is invalid: ${fraction}`,
      `RESERVED_ENIS="-1" is invalid: ${enis}`,
    ]);
    expect(problems({ ...aws, VM_MEMORY_OVERHEAD_PERCENT: '7.5', RESERVED_ENIS: '1.5' })).toEqual([
      `VM_MEMORY_OVERHEAD_PERCENT="7.5" is invalid: ${fraction}`,
      `RESERVED_ENIS="1.5" is invalid: ${enis}`,
    ]);
    expect(problems(aws, { VM_MEMORY_OVERHEAD_PERCENT: 'lots', RESERVED_ENIS: 'two' })).toEqual([
      `--vm-memory-overhead-percent="lots" is invalid: ${fraction}`,
      `--reserved-enis="two" is invalid: ${enis}`,
    ]);
  });

  it('reads POD_DELETION_COST, naming the variable and the fix on a bad value', () => {
    expect(loadSettings({ ...aws, POD_DELETION_COST: 'false' }).podDeletionCost).toBe(false);
    expect(() => loadSettings({ ...aws, POD_DELETION_COST: 'sometimes' })).toThrow(
      /POD_DELETION_COST.*true or false/,
    );
  });

  it('reads PLAN_DECLARED_REPLICAS, naming the variable and the fix on a bad value', () => {
    expect(loadSettings({ ...aws, PLAN_DECLARED_REPLICAS: 'false' }).planDeclaredReplicas).toBe(false);
    expect(() => loadSettings({ ...aws, PLAN_DECLARED_REPLICAS: 'maybe' })).toThrow(
      /PLAN_DECLARED_REPLICAS.*true or false/,
    );
  });

  describe('leader election', () => {
    it("reads upstream's DISABLE_LEADER_ELECTION and the older LEADER_ELECT", () => {
      expect(loadSettings({ ...aws, DISABLE_LEADER_ELECTION: 'true' })).toMatchObject({
        leaderElect: false,
        disableLeaderElection: true,
      });
      expect(loadSettings({ ...aws, LEADER_ELECT: 'false' })).toMatchObject({
        leaderElect: false,
        disableLeaderElection: true,
      });
      expect(
        loadSettings({ ...aws, DISABLE_LEADER_ELECTION: 'false', LEADER_ELECT: 'true' }).leaderElect,
      ).toBe(true);
    });

    it('refuses the two names when they disagree, naming both values', () => {
      expect(problems({ ...aws, DISABLE_LEADER_ELECTION: 'true', LEADER_ELECT: 'true' })).toEqual([
        'DISABLE_LEADER_ELECTION=true and LEADER_ELECT=true disagree: set only DISABLE_LEADER_ELECTION (LEADER_ELECT is the older name)',
      ]);
      expect(problems({ ...aws, LEADER_ELECT: 'false' }, { DISABLE_LEADER_ELECTION: 'false' })).toEqual([
        '--disable-leader-election=false and LEADER_ELECT=false disagree: set only DISABLE_LEADER_ELECTION (LEADER_ELECT is the older name)',
      ]);
    });

    it("takes the Lease name and falls back to the namespace upstream's chart sets", () => {
      expect(loadSettings({ ...aws, LEADER_ELECTION_NAME: 'kts-leader' }).leaderElectionName).toBe(
        'kts-leader',
      );
      expect(problems({ ...aws, LEADER_ELECTION_NAME: 'Not A Name' })).toEqual([
        'LEADER_ELECTION_NAME="Not A Name" is invalid: expected a Lease name (lower-case letters, digits, "-" and ".")',
      ]);
      expect(loadSettings({ ...aws, SYSTEM_NAMESPACE: 'karpenter' }).leaderElectionNamespace).toBe(
        'karpenter',
      );
      expect(
        loadSettings({ ...aws, SYSTEM_NAMESPACE: 'karpenter', POD_NAMESPACE: 'pods' })
          .leaderElectionNamespace,
      ).toBe('pods');
    });
  });

  it('reads the client rate, the preference policy and ISOLATED_VPC', () => {
    expect(
      loadSettings({
        ...aws,
        KUBE_CLIENT_QPS: '50',
        KUBE_CLIENT_BURST: '80',
        PREFERENCE_POLICY: 'Ignore',
        ISOLATED_VPC: 'true',
      }),
    ).toMatchObject({
      kubeClientQps: 50,
      kubeClientBurst: 80,
      preferencePolicy: 'Ignore',
      isolatedVpc: true,
    });
    expect(problems({ ...aws, KUBE_CLIENT_QPS: '0', PREFERENCE_POLICY: 'Prefer' })).toEqual([
      'KUBE_CLIENT_QPS="0" is invalid: expected a whole number of requests per second, at least 1',
      'PREFERENCE_POLICY="Prefer" is invalid: expected one of Respect, Ignore',
    ]);
    expect(problems({ ...aws, KUBE_CLIENT_QPS: '400' })).toEqual([
      'KUBE_CLIENT_BURST (300) is below KUBE_CLIENT_QPS (400): make the burst at least the rate',
    ]);
  });

  it('reads ENABLE_ZONAL_SHIFT (env or --enable-zonal-shift) and refuses anything but a boolean', () => {
    expect(loadSettings({ ...aws, ENABLE_ZONAL_SHIFT: 'true' }).enableZonalShift).toBe(true);
    expect(loadSettings(aws, { ENABLE_ZONAL_SHIFT: 'true' }).enableZonalShift).toBe(true);
    expect(problems({ ...aws, ENABLE_ZONAL_SHIFT: 'yes please' })).toEqual([
      'ENABLE_ZONAL_SHIFT="yes please" is invalid: expected true or false',
    ]);
  });

  describe('feature gates', () => {
    it("overlays the given gates on upstream's defaults", () => {
      expect(loadSettings({ ...aws, FEATURE_GATES: 'SpotToSpotConsolidation=true' }).featureGates).toEqual({
        ...DEFAULT_FEATURE_GATES,
        SpotToSpotConsolidation: true,
      });
    });

    it("accepts what upstream's chart renders by default", () => {
      const chart =
        'ReservedCapacity=true,SpotToSpotConsolidation=false,NodeRepair=false,NodeOverlay=false,StaticCapacity=false,CapacityBuffer=false';
      expect(loadSettings({ ...aws, FEATURE_GATES: chart }).featureGates).toEqual(DEFAULT_FEATURE_GATES);
    });

    it('refuses unknown gates, listing the known ones; every default-off gate is a feature here', () => {
      expect(
        problems({
          ...aws,
          FEATURE_GATES: 'Drift=true,TerminateFirstRepair=true,TerminateFirstDrift=true,NodeRepair=true',
        }),
      ).toEqual([
        'FEATURE_GATES: unknown gate "Drift"; known gates: NodeRepair, ReservedCapacity, SpotToSpotConsolidation, NodeOverlay, StaticCapacity, CapacityBuffer, TerminateFirstDrift, TerminateFirstRepair, PodDeletionCostManagement',
      ]);
      expect(FEATURE_GATES.filter((g) => !g.supported && !g.upstreamDefault)).toEqual([]);
    });
  });

  it("lets upstream's PodDeletionCostManagement gate turn pod deletion costs off or on, and refuses a contradiction", () => {
    expect(loadSettings(aws).podDeletionCost).toBe(true);
    const off = { ...aws, FEATURE_GATES: 'PodDeletionCostManagement=false' };
    expect(loadSettings(off).podDeletionCost).toBe(false);
    const on = { ...aws, POD_DELETION_COST: 'true', FEATURE_GATES: 'PodDeletionCostManagement=true' };
    expect(loadSettings(on).podDeletionCost).toBe(true);
    expect(() =>
      loadSettings({ ...aws, POD_DELETION_COST: 'false', FEATURE_GATES: 'PodDeletionCostManagement=true' }),
    ).toThrow(/PodDeletionCostManagement=true contradicts POD_DELETION_COST=false: keep one of them/);
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
      disableLeaderElection: true,
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
