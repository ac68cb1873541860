import fc from 'fast-check';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { parseManifests } from '../manifests';
import { ec2NodeClassSchema } from './ec2nodeclass';
import { LABEL_VALUE_PATTERN } from './labels';
import { nodeClaimSchema } from './nodeclaim';
import { nodePoolSchema } from './nodepool';
import type { Obj } from './testing';
import { DisruptionReasons, EvictionSignals } from './well-known';

// --- Arbitraries that generate valid objects -----------------------------------------------------------------

const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?$/);
const labelName = fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/);
/** Keys in a user's own domain (or unprefixed), which no restriction applies to. */
const customKey = fc
  .tuple(
    fc.option(fc.tuple(dnsLabel, fc.constantFrom('example.com', 'acme.io', 'team.dev')), { nil: undefined }),
    labelName,
  )
  .map(([prefix, name]) => (prefix ? `${prefix[0]}.${prefix[1]}/${name}` : name));
const wellKnownKey = fc.constantFrom(
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'topology.kubernetes.io/zone',
  'node.kubernetes.io/instance-type',
  'karpenter.sh/capacity-type',
  'karpenter.k8s.aws/instance-family',
  'karpenter.k8s.aws/instance-cpu',
  'karpenter.k8s.aws/instance-tenancy',
  'topology.k8s.aws/zone-id',
  'node-role.kubernetes.io/worker',
  'k8s.io/team',
);
const labelKey = fc.oneof(customKey, wellKnownKey);
/** Values YAML would read as numbers, booleans or null if they were not quoted on the way out. */
const yamlAmbiguous = fc.constantFrom(
  '',
  '0',
  '007',
  '123',
  '1e3',
  '1.0',
  'true',
  'False',
  'null',
  'yes',
  'on',
  '0x1F',
);
const labelValue = fc.oneof(fc.stringMatching(LABEL_VALUE_PATTERN), yamlAmbiguous);
const text = fc.string({ unit: 'grapheme', maxLength: 20 });
const nonEmptyText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });

const requirementArb = fc.oneof(
  fc
    .record({
      key: labelKey,
      operator: fc.constantFrom('In', 'NotIn'),
      values: fc.array(labelValue, { minLength: 1, maxLength: 4 }),
    })
    .chain((r) =>
      fc
        .option(fc.integer({ min: 1, max: r.values.length }), { nil: undefined })
        .map((minValues) => (minValues === undefined || r.operator !== 'In' ? r : { ...r, minValues })),
    ),
  fc.record(
    {
      key: labelKey,
      operator: fc.constantFrom('Exists', 'DoesNotExist'),
      minValues: fc.integer({ min: 1, max: 50 }),
    },
    { requiredKeys: ['key', 'operator'] },
  ),
  fc.record({
    key: labelKey,
    operator: fc.constantFrom('Gt', 'Lt', 'Gte', 'Lte'),
    values: fc.nat(100_000).map((n) => [String(n)]),
  }),
);
const taintArb = fc.record(
  {
    key: labelKey,
    value: labelValue,
    effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute'),
  },
  { requiredKeys: ['key', 'effect'] },
);
const durationArb = fc
  .array(fc.tuple(fc.nat(1000), fc.constantFrom('h', 'm', 's')), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.map(([n, unit]) => `${n}${unit}`).join(''));
const durationOrNever = fc.oneof(durationArb, fc.constant('Never'));
const quantityArb = fc.oneof(
  fc.nat(100_000),
  fc
    .tuple(fc.nat(100_000), fc.constantFrom('', 'm', 'k', 'M', 'G', 'Ki', 'Mi', 'Gi', 'Ti'))
    .map(([n, s]) => `${n}${s}`),
  fc.constantFrom('1.5', '.5', '1e3', '0.25Gi', '+4'),
);
const budgetArb = fc
  .record(
    {
      nodes: fc.oneof(
        fc.nat(500).map(String),
        fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`),
      ),
      window: fc.record({
        schedule: fc.constantFrom(
          '@daily',
          '@midnight',
          '0 9 * * 1-5',
          '*/30 * * * *',
          '0 0 1 * *',
          '15 2 * * SUN',
          'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
          'TZ=America/New_York @midnight',
        ),
        duration: fc.oneof(
          fc.integer({ min: 1, max: 48 }).map((h) => `${h}h`),
          fc.integer({ min: 1, max: 600 }).map((m) => `${m}m`),
          fc
            .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 59 }))
            .map(([h, m]) => `${h}h${m}m`),
        ),
      }),
      reasons: fc.subarray([...DisruptionReasons]),
    },
    { requiredKeys: ['nodes'] },
  )
  .map(({ window, ...rest }) => ({ ...rest, ...window }));

const nodeClassRef = fc.record({
  group: fc.constant('karpenter.k8s.aws'),
  kind: fc.constant('EC2NodeClass'),
  name: dnsLabel,
});
const templateSpecArb = fc.record(
  {
    requirements: fc.array(requirementArb, { maxLength: 6 }),
    taints: fc.array(taintArb, { maxLength: 3 }),
    startupTaints: fc.array(taintArb, { maxLength: 2 }),
    nodeClassRef,
    expireAfter: durationOrNever,
    terminationGracePeriod: durationArb,
  },
  { requiredKeys: ['requirements', 'nodeClassRef'] },
);
const metadataArb = fc.record(
  { name: dnsLabel, labels: fc.dictionary(customKey, labelValue, { maxKeys: 3 }) },
  { requiredKeys: ['name'] },
);

const nodePoolArb: fc.Arbitrary<Obj> = fc.record({
  apiVersion: fc.constant('karpenter.sh/v1'),
  kind: fc.constant('NodePool'),
  metadata: metadataArb,
  spec: fc.record(
    {
      template: fc.record(
        {
          metadata: fc.record(
            {
              labels: fc.dictionary(fc.oneof(customKey, wellKnownKey), labelValue, { maxKeys: 4 }),
              annotations: fc.dictionary(nonEmptyText, text, { maxKeys: 3 }),
            },
            { requiredKeys: [] },
          ),
          spec: templateSpecArb,
        },
        { requiredKeys: ['spec'] },
      ),
      disruption: fc.record(
        {
          consolidationPolicy: fc.constantFrom('WhenEmpty', 'WhenEmptyOrUnderutilized', 'Balanced'),
          consolidateAfter: durationOrNever,
          budgets: fc.array(budgetArb, { maxLength: 4 }),
        },
        { requiredKeys: [] },
      ),
      limits: fc.dictionary(fc.constantFrom('cpu', 'memory', 'nvidia.com/gpu', 'nodes'), quantityArb, {
        maxKeys: 3,
      }),
      weight: fc.integer({ min: 1, max: 100 }),
    },
    { requiredKeys: ['template'] },
  ),
});

const nodeClaimArb: fc.Arbitrary<Obj> = fc.record({
  apiVersion: fc.constant('karpenter.sh/v1'),
  kind: fc.constant('NodeClaim'),
  metadata: metadataArb,
  spec: fc
    .tuple(
      templateSpecArb,
      fc.dictionary(fc.constantFrom('cpu', 'memory', 'pods'), quantityArb, { maxKeys: 3 }),
    )
    .map(([spec, requests]) => ({ ...spec, resources: { requests } })),
});

const hex = fc.stringMatching(/^[0-9a-f]{8,17}$/);
const selectorTags = fc.dictionary(nonEmptyText, nonEmptyText, { minKeys: 1, maxKeys: 3 });
const amiArb = fc.oneof(
  fc
    .constantFrom(
      ['al2023@latest', 'AL2023'],
      ['al2@v20240807', 'AL2'],
      ['bottlerocket@v1.20.0', 'Bottlerocket'],
      ['windows2022@latest', 'Windows2022'],
    )
    .chain(([alias, family]) =>
      fc
        // Windows only as Custom: Windows bootstrap is refused (rule windowsUnsupported).
        .constantFrom(...(family.startsWith('Windows') ? ['Custom'] : [undefined, family, 'Custom']))
        .map((amiFamily) => ({ amiSelectorTerms: [{ alias }], ...(amiFamily ? { amiFamily } : {}) })),
    ),
  fc.record({
    amiSelectorTerms: fc.array(
      fc.oneof(
        fc.record({ tags: selectorTags }),
        hex.map((h) => ({ id: `ami-${h}` })),
        fc.record(
          { name: nonEmptyText, owner: fc.constantFrom('amazon', 'self', '123456789012') },
          { requiredKeys: ['name'] },
        ),
        fc.record({ ssmParameter: nonEmptyText }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
    amiFamily: fc.constantFrom('AL2', 'AL2023', 'Bottlerocket', 'Custom'),
  }),
);
const signalSubset = fc.subarray([...EvictionSignals], { minLength: 1 });
const kubeletArb = fc
  .record(
    {
      clusterDNS: fc.array(fc.constantFrom('10.100.0.10', '172.20.0.10', 'fd00::a'), { maxLength: 2 }),
      maxPods: fc.nat(250),
      podsPerCore: fc.nat(20),
      systemReserved: fc.dictionary(
        fc.constantFrom('cpu', 'memory', 'ephemeral-storage', 'pid'),
        quantityArb,
        { maxKeys: 4 },
      ),
      kubeReserved: fc.dictionary(fc.constantFrom('cpu', 'memory'), quantityArb, { maxKeys: 2 }),
      evictionHard: signalSubset.map((signals) => Object.fromEntries(signals.map((s) => [s, '10%']))),
      soft: signalSubset.map((signals) => ({
        evictionSoft: Object.fromEntries(signals.map((s) => [s, '500Mi'])),
        evictionSoftGracePeriod: Object.fromEntries(signals.map((s) => [s, '1m30s'])),
      })),
      evictionMaxPodGracePeriod: fc.nat(600),
      imageGC: fc.integer({ min: 0, max: 99 }).chain((low) =>
        fc.integer({ min: low + 1, max: 100 }).map((high) => ({
          imageGCHighThresholdPercent: high,
          imageGCLowThresholdPercent: low,
        })),
      ),
      cpuCFSQuota: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .map(({ soft, imageGC, ...rest }) => ({ ...rest, ...soft, ...imageGC }));
const blockDevicesArb = fc
  .array(
    fc.record(
      {
        deviceName: fc.constantFrom('/dev/xvda', '/dev/xvdb', '/dev/sdf'),
        ebs: fc.record(
          {
            volumeSize: fc.integer({ min: 1, max: 16384 }).map((n) => `${n}Gi`),
            volumeType: fc.constantFrom('standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'),
            iops: fc.integer({ min: 3000, max: 16000 }),
            throughput: fc.integer({ min: 125, max: 1000 }),
            encrypted: fc.boolean(),
            deleteOnTermination: fc.boolean(),
            kmsKeyID: nonEmptyText,
          },
          { requiredKeys: ['volumeSize'] },
        ),
      },
      { requiredKeys: ['ebs'] },
    ),
    { maxLength: 3 },
  )
  .chain((mappings) =>
    fc
      .nat(mappings.length)
      .map((root) => mappings.map((m, i) => (i === root ? { ...m, rootVolume: true } : m))),
  );

const ec2NodeClassArb: fc.Arbitrary<Obj> = fc
  .tuple(
    fc.record(
      {
        subnetSelectorTerms: fc.array(
          fc.oneof(
            fc.record({ tags: selectorTags }),
            hex.map((h) => ({ id: `subnet-${h}` })),
          ),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        securityGroupSelectorTerms: fc.array(
          fc.oneof(
            fc.record({ tags: selectorTags }),
            hex.map((h) => ({ id: `sg-${h}` })),
            fc.record({ name: nonEmptyText }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        // Valid for every family: Bottlerocket's must be TOML (rule bottlerocketUserDataToml), and any text may
        // follow a TOML comment.
        userData: fc.oneof(
          text.map((t) => `# ${[...t].map((c) => (c < ' ' || c === '\u007f' ? ' ' : c)).join('')}\n`),
          fc.constant('[settings.kubernetes]\nkube-api-qps = 30\n'),
        ),
        tags: fc.dictionary(customKey, text, { maxKeys: 3 }),
        kubelet: kubeletArb,
        blockDeviceMappings: blockDevicesArb,
        instanceStorePolicy: fc.constant('RAID0'),
        // The primary interface, then at most one more per card (device 1: ENA or efa-only).
        networkInterfaces: fc
          .uniqueArray(fc.record({ card: fc.nat(3), efaOnly: fc.boolean() }), {
            selector: (e) => e.card,
            maxLength: 3,
          })
          .map((extra) => [
            { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
            ...extra.map((e) => ({
              networkCardIndex: e.card,
              deviceIndex: 1,
              interfaceType: e.efaOnly ? 'efa-only' : 'interface',
            })),
          ]),
        associatePublicIPAddress: fc.boolean(),
        detailedMonitoring: fc.boolean(),
        ipPrefixCount: fc.nat(16),
        connectionTracking: fc.record(
          {
            tcpEstablishedTimeout: fc.integer({ min: 60, max: 432_000 }),
            udpStreamTimeout: fc.integer({ min: 60, max: 180 }),
            udpTimeout: fc.integer({ min: 30, max: 60 }),
          },
          { requiredKeys: ['udpTimeout'] },
        ),
        context: text,
        cpuOptions: fc.record(
          { nestedVirtualization: fc.constantFrom('enabled', 'disabled') },
          { requiredKeys: [] },
        ),
        metadataOptions: fc.record(
          {
            httpEndpoint: fc.constantFrom('enabled', 'disabled'),
            httpProtocolIPv6: fc.constantFrom('enabled', 'disabled'),
            httpPutResponseHopLimit: fc.integer({ min: 1, max: 64 }),
            httpTokens: fc.constantFrom('required', 'optional'),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['subnetSelectorTerms', 'securityGroupSelectorTerms'] },
    ),
    amiArb,
    fc.oneof(fc.record({ role: nonEmptyText }), fc.record({ instanceProfile: nonEmptyText })),
    metadataArb,
  )
  .map(([spec, ami, identity, metadata]) => ({
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata,
    spec: { ...spec, ...ami, ...identity },
  }));

// --- Properties ----------------------------------------------------------------------------------------------

/** The object YAML gives back for `value`, parsed again with its schema. */
function roundTrip(
  schema: z.ZodType,
  value: unknown,
): { text: string; reloaded: unknown; reparsed: unknown } {
  const text = yaml.dump(value);
  const reloaded = yaml.load(text);
  return { text, reloaded, reparsed: schema.parse(reloaded) };
}

/** Every leaf path of a JSON-like value, for mutations. */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...prefix, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return [prefix];
}

function withLeaf(obj: Obj, path: (string | number)[], leaf: unknown): Obj {
  const copy = structuredClone(obj);
  let node: Record<string | number, unknown> = copy;
  path.slice(0, -1).forEach((segment) => (node = node[segment] as Record<string | number, unknown>));
  node[path[path.length - 1] as string | number] = leaf;
  return copy;
}

const kinds: [string, z.ZodType, fc.Arbitrary<Obj>][] = [
  ['NodePool', nodePoolSchema, nodePoolArb],
  ['NodeClaim', nodeClaimSchema, nodeClaimArb],
  ['EC2NodeClass', ec2NodeClassSchema, ec2NodeClassArb],
];

describe.each(kinds)('%s round trip through YAML', (_kind, schema, arb) => {
  it('generated objects are valid, and what the schema returns dumps to YAML and loads back equal', () => {
    fc.assert(
      fc.property(arb, (input) => {
        const result = schema.safeParse(input);
        if (!result.success) throw new Error(JSON.stringify(result.error.issues, null, 2));
        const { text, reloaded, reparsed } = roundTrip(schema, result.data);
        expect(reloaded).toEqual(result.data);
        expect(reparsed).toEqual(result.data);
        expect(parseManifests(text)).toEqual([result.data]);
      }),
      { numRuns: 200 },
    );
  });

  it('whatever it accepts after a random leaf is replaced also round-trips', () => {
    // Mostly plausible leaves (so a fair share is still accepted), plus arbitrary JSON.
    const leafArb = fc.oneof(
      yamlAmbiguous,
      labelValue,
      quantityArb,
      durationArb,
      fc.integer(),
      fc.boolean(),
      text,
      fc.jsonValue({ maxDepth: 2 }),
    );
    const mutated = arb.chain((obj) => {
      const paths = leafPaths(obj);
      return fc
        .tuple(fc.integer({ min: 0, max: paths.length - 1 }), leafArb)
        .map(([i, leaf]) => withLeaf(obj, paths[i] as (string | number)[], leaf));
    });
    fc.assert(
      fc.property(mutated, (input) => {
        const result = schema.safeParse(input);
        if (!result.success) return;
        const { reloaded, reparsed } = roundTrip(schema, result.data);
        expect(reloaded).toEqual(result.data);
        expect(reparsed).toEqual(result.data);
      }),
      { numRuns: 200 },
    );
  });
});
