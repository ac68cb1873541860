import {
  editDistance,
  KNOWN_SETTING_NAMES,
  misspelledSettingNotices,
  startupSettingNotices,
  unappliedSettingNotices,
} from './settings-upstream';

describe('upstream settings karpenter-ts does not apply', () => {
  it('warns when a value would change what upstream does, naming the variable and why', () => {
    expect(unappliedSettingNotices({ MEMORY_LIMIT: '1073741824', ENABLE_PROFILING: 'true' })).toEqual([
      {
        level: 'warn',
        message:
          'ENABLE_PROFILING="true" has no effect: karpenter-ts serves no pprof endpoints; use node --inspect or --cpu-prof instead',
      },
      {
        level: 'warn',
        message:
          'MEMORY_LIMIT="1073741824" has no effect: Node.js has no runtime soft memory limit to set from it; size the heap with NODE_OPTIONS=--max-old-space-size',
      },
    ]);
  });

  it('no longer lists VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS: both are applied', () => {
    expect(unappliedSettingNotices({ VM_MEMORY_OVERHEAD_PERCENT: '0.1', RESERVED_ENIS: '1' })).toEqual([]);
    expect(
      startupSettingNotices({ VM_MEMORY_OVERHEAD_PERCENT: '0.1', RESERVED_ENIS: '1', RESERVED_ENI: '1' }).map(
        (n) => n.message,
      ),
    ).toEqual(['RESERVED_ENI is not a setting and has no effect: did you mean RESERVED_ENIS?']);
  });

  it("only informs about the values upstream's chart renders that match karpenter-ts", () => {
    const chart = {
      LOG_OUTPUT_PATHS: 'stdout',
      LOG_ERROR_OUTPUT_PATHS: 'stderr',
      KARPENTER_SERVICE: 'karpenter',
      AMI_REFRESH_INTERVAL: '1m',
      IGNORE_DRA_REQUESTS: 'true',
    };
    expect(unappliedSettingNotices(chart).every((n) => n.level === 'info')).toBe(true);
    expect(unappliedSettingNotices({ AMI_REFRESH_INTERVAL: '5m' })[0]?.level).toBe('warn');
  });

  it('names the flag when the value came from one', () => {
    expect(unappliedSettingNotices({}, { EKS_CONTROL_PLANE: 'true' })[0]?.message).toMatch(
      /^--eks-control-plane="true" has no effect: /,
    );
  });

  it('warns about removed settings, not about a default-on gate whose feature is there', () => {
    expect(
      unappliedSettingNotices({
        ASSUME_ROLE_ARN: 'arn:aws:iam::1:role/x',
        FEATURE_GATES: 'ReservedCapacity=true,NodeRepair=false',
      }).map((n) => n.message),
    ).toEqual([
      'ASSUME_ROLE_ARN has no effect: removed upstream in v1.0; the controller uses the default AWS credential chain (IRSA, Pod Identity)',
    ]);
  });
});

describe('misspelled settings', () => {
  it('measures edit distance with adjacent swaps as one edit', () => {
    expect(editDistance('LOG_LEVEL', 'LOG_LEVEL')).toBe(0);
    expect(editDistance('LOG_LEVLE', 'LOG_LEVEL')).toBe(1);
    expect(editDistance('BATCH_IDLE_DURATON', 'BATCH_IDLE_DURATION')).toBe(1);
    expect(editDistance('HOME', 'LOG_LEVEL')).toBeGreaterThan(2);
  });

  it('warns only about variables close to a setting name, suggesting it', () => {
    const env = {
      BATCH_IDLE_DURATON: '2s',
      CLUSTR_NAME: 'x',
      LOG_LEVEL: 'info',
      PATH: '/usr/bin',
      HOME: '/root',
      HOSTNAME: 'karpenter-0',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KARPENTER_SERVICE_PORT: '8080',
      AWS_ROLE_ARN: 'arn',
      AWS_DEFAULT_REGION: 'us-east-1',
      KUBERNETES_MIN_VERSION: '1.19.0-0',
      log_level: 'debug',
    };
    expect(misspelledSettingNotices(env, KNOWN_SETTING_NAMES).map((n) => n.message)).toEqual([
      'BATCH_IDLE_DURATON is not a setting and has no effect: did you mean BATCH_IDLE_DURATION?',
      'CLUSTR_NAME is not a setting and has no effect: did you mean CLUSTER_NAME?',
      'log_level is not a setting and has no effect: did you mean LOG_LEVEL?',
    ]);
  });

  it('keeps short names to one edit so that unrelated short variables stay quiet', () => {
    expect(misspelledSettingNotices({ AWS_REGON: 'x', USER: 'y' }, KNOWN_SETTING_NAMES)).toEqual([
      { level: 'warn', message: 'AWS_REGON is not a setting and has no effect: did you mean AWS_REGION?' },
    ]);
  });

  it('puts warnings before info lines at start-up', () => {
    const levels = startupSettingNotices({ LOG_OUTPUT_PATHS: 'stdout', METRIC_PORT: '1' }).map(
      (n) => n.level,
    );
    expect(levels).toEqual(['warn', 'info']);
  });
});
