import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import {
  conditionSchema,
  goDurationSchema,
  nodeSelectorRequirementSchema,
  objectMetaSchema,
  oneOf,
  QUANTITY_PATTERN,
  quantitySchema,
} from './common';
import { report, Rules, whenClean, whenNoIssue, type IssueSink } from './rules';
import {
  AmiAliasFamilies,
  AmiFamilies,
  EvictionSignals,
  ReservableResources,
  ReservedTagKeys,
  type AmiFamily,
} from './well-known';

function listOf<T extends z.ZodType>(item: T, what: string, example: string) {
  return z.array(item, {
    error: (issue) =>
      issue.input === undefined
        ? `is required: add at least one ${what}, e.g. ${example}`
        : `must be a list of ${what}s, e.g. ${example}`,
  });
}

const idSchema = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-z]+$`), {
    error: (issue) =>
      `must be ${what} ID such as "${prefix}-0123456789abcdef0" (got ${JSON.stringify(issue.input)})`,
  });

/** Tags to match in a selector term; "*" matches any value. */
export const selectorTagsSchema = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  const keys = Object.keys(tags);
  for (const key of keys) {
    if (key === '' || tags[key] === '') report(ctx, Rules.selectorTagsEmpty, [key]);
  }
  if (keys.length > 20) report(ctx, Rules.selectorTagsTooMany, [], `${keys.length} tags`);
});

export const subnetSelectorTermSchema = z
  .strictObject({
    tags: selectorTagsSchema.optional(),
    id: idSchema('subnet', 'a subnet').optional(),
  })
  .superRefine((term, ctx) => {
    if (term.tags === undefined && term.id === undefined) report(ctx, Rules.subnetTermEmpty, []);
    if (term.id !== undefined && term.tags !== undefined) report(ctx, Rules.subnetTermIdExclusive, ['id']);
  });

export const securityGroupSelectorTermSchema = z
  .strictObject({
    tags: selectorTagsSchema.optional(),
    id: idSchema('sg', 'a security group').optional(),
    name: z.string().min(1, { error: 'is empty: set the security group name, or remove name' }).optional(),
  })
  .superRefine((term, ctx) => {
    const { tags, id, name } = term;
    if (tags === undefined && id === undefined && name === undefined)
      report(ctx, Rules.securityGroupTermEmpty, []);
    if (id !== undefined && (tags !== undefined || name !== undefined)) {
      report(ctx, Rules.securityGroupTermIdExclusive, ['id']);
    } else if (name !== undefined && tags !== undefined) {
      report(ctx, Rules.securityGroupTermNameExclusive, ['name']);
    }
  });

const instanceMatchCriteria = ['open', 'targeted'] as const;
export const capacityReservationSelectorTermSchema = z
  .strictObject({
    tags: selectorTagsSchema.optional(),
    id: idSchema('cr', 'a capacity reservation').optional(),
    ownerID: z
      .string()
      .regex(/^[0-9]{12}$/, { error: 'must be a 12-digit AWS account ID such as "123456789012"' })
      .optional(),
    instanceMatchCriteria: z.enum(instanceMatchCriteria, { error: oneOf(instanceMatchCriteria) }).optional(),
  })
  .superRefine((term, ctx) => {
    const { tags, id, ownerID, instanceMatchCriteria: criteria } = term;
    if (tags === undefined && id === undefined && criteria === undefined) {
      report(ctx, Rules.capacityReservationTermEmpty, []);
    }
    if (id !== undefined && (tags !== undefined || ownerID !== undefined || criteria !== undefined)) {
      report(ctx, Rules.capacityReservationTermIdExclusive, ['id']);
    }
  });

/** `family@version`: the family selects the EKS-optimized AMI line, the version pins a release or says "latest". */
const ALIAS_PATTERN = /^([a-zA-Z0-9]+)@(.+)$/;

/** The alias's family and version, or undefined when the alias is malformed. */
export function parseAmiAlias(alias: string): { family: string; version: string } | undefined {
  const match = ALIAS_PATTERN.exec(alias);
  return match ? { family: match[1] as string, version: match[2] as string } : undefined;
}

/**
 * The AMI family a node class boots, as upstream resolves it: spec.amiFamily when set (Custom with an alias boots
 * the alias's AMI with the user's own user data, verbatim), else the alias's family, else Custom. User data,
 * default volumes and the drift hash all go by this resolved family.
 */
export function amiFamilyOfSpec(spec: {
  amiSelectorTerms: { alias?: string }[];
  amiFamily?: AmiFamily;
}): AmiFamily {
  if (spec.amiFamily) return spec.amiFamily;
  const alias = spec.amiSelectorTerms.find((t) => t.alias)?.alias;
  return (alias ? AmiAliasFamilies[parseAmiAlias(alias)?.family ?? ''] : undefined) ?? 'Custom';
}

export const amiSelectorTermSchema = z
  .strictObject({
    alias: z
      .string()
      .max(30, { error: 'is longer than 30 characters: use family@version, e.g. al2023@latest' })
      .optional(),
    tags: selectorTagsSchema.optional(),
    id: idSchema('ami', 'an AMI').optional(),
    name: z.string().min(1, { error: 'is empty: set the AMI name, or remove name' }).optional(),
    owner: z
      .string()
      .min(1, { error: 'is empty: set an account ID, "self" or "amazon", or remove owner' })
      .optional(),
    ssmParameter: z
      .string()
      .min(1, { error: 'is empty: set the SSM parameter name, or remove ssmParameter' })
      .optional(),
  })
  .superRefine((term, ctx) => {
    const { alias, tags, id, name, owner, ssmParameter } = term;
    if ([alias, tags, id, name, ssmParameter].every((v) => v === undefined))
      report(ctx, Rules.amiTermEmpty, []);
    if (id !== undefined && [alias, tags, name, owner].some((v) => v !== undefined)) {
      report(ctx, Rules.amiTermIdExclusive, ['id']);
    }
    if (alias === undefined) return;
    if (id === undefined && [tags, name, owner, ssmParameter].some((v) => v !== undefined)) {
      report(ctx, Rules.amiTermAliasExclusive, ['alias']);
    }
    const parsed = parseAmiAlias(alias);
    if (!parsed) {
      report(ctx, Rules.amiAliasFormat, ['alias'], `got "${alias}"`);
    } else if (!(parsed.family in AmiAliasFamilies)) {
      report(ctx, Rules.amiAliasFamily, ['alias'], `got "${parsed.family}"`);
    } else if (parsed.family.startsWith('windows') && parsed.version !== 'latest') {
      report(ctx, Rules.amiAliasWindowsLatest, ['alias'], `got "${alias}"`);
    }
  });

export const amiSelectorTermsSchema = listOf(
  amiSelectorTermSchema,
  'AMI selector term',
  '- alias: al2023@latest',
)
  .min(1, { error: 'is empty: add an AMI selector term, e.g. - alias: al2023@latest' })
  .max(30, { error: 'has more than 30 terms: merge or drop some' })
  .superRefine((terms, ctx) => {
    if (terms.length > 1 && terms.some((t) => t.alias !== undefined)) report(ctx, Rules.amiAliasOnlyTerm, []);
  });

/** Reservations are resource quantities that may not be negative, for a fixed set of resources. */
const reservationSchema = z.record(z.string(), quantitySchema).superRefine((reserved, ctx) => {
  for (const [key, value] of Object.entries(reserved)) {
    if (!(ReservableResources as readonly string[]).includes(key)) {
      report(ctx, Rules.kubeletReservedKey, [key], `got "${key}"`);
    }
    if (String(value).startsWith('-'))
      report(ctx, Rules.kubeletReservedNegative, [key], `got ${JSON.stringify(value)}`);
  }
});

function checkSignals(map: Record<string, unknown>, ctx: IssueSink): void {
  for (const key of Object.keys(map)) {
    if (!(EvictionSignals as readonly string[]).includes(key)) {
      report(ctx, Rules.kubeletEvictionSignal, [key], `got "${key}"`);
    }
  }
}

/** An eviction threshold: a percentage of capacity ("10%") or an absolute quantity ("100Mi"). */
const EVICTION_THRESHOLD_PATTERN = new RegExp(
  `^(([0-9]{1,2}(\\.[0-9]+)?|100(\\.0+)?)%|${QUANTITY_PATTERN.source.slice(1, -1)})$`,
);
const evictionThresholdsSchema = z
  .record(
    z.string(),
    z.string().regex(EVICTION_THRESHOLD_PATTERN, {
      error: (issue) =>
        `must be a percentage such as "10%" or a quantity such as "100Mi" (got ${JSON.stringify(issue.input)})`,
    }),
  )
  .superRefine(checkSignals);

const percentSchema = z
  .number()
  .int({ error: 'must be a whole percentage from 0 to 100' })
  .min(0, { error: 'must be at least 0: use a percentage from 0 to 100' })
  .max(100, { error: 'must be at most 100: use a percentage from 0 to 100' });

export const kubeletConfigurationSchema = z
  .strictObject({
    clusterDNS: z.array(z.string().min(1, { error: 'is empty: give the DNS server IP address' })).optional(),
    maxPods: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'cannot be negative' })
      .optional(),
    podsPerCore: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'cannot be negative' })
      .optional(),
    systemReserved: reservationSchema.optional(),
    kubeReserved: reservationSchema.optional(),
    evictionHard: evictionThresholdsSchema.optional(),
    evictionSoft: evictionThresholdsSchema.optional(),
    evictionSoftGracePeriod: z.record(z.string(), goDurationSchema).superRefine(checkSignals).optional(),
    evictionMaxPodGracePeriod: z.number().int({ error: 'must be a whole number of seconds' }).optional(),
    imageGCHighThresholdPercent: percentSchema.optional(),
    imageGCLowThresholdPercent: percentSchema.optional(),
    cpuCFSQuota: z.boolean().optional(),
  })
  .superRefine(
    (kubelet, ctx) => {
      const soft = kubelet.evictionSoft ?? {};
      const grace = kubelet.evictionSoftGracePeriod ?? {};
      for (const signal of Object.keys(soft)) {
        if (!(signal in grace)) report(ctx, Rules.kubeletSoftNeedsGracePeriod, ['evictionSoft', signal]);
      }
      for (const signal of Object.keys(grace)) {
        if (!(signal in soft))
          report(ctx, Rules.kubeletGracePeriodNeedsSoft, ['evictionSoftGracePeriod', signal]);
      }
      const { imageGCHighThresholdPercent: high, imageGCLowThresholdPercent: low } = kubelet;
      if (high !== undefined && low !== undefined && high <= low) {
        report(
          ctx,
          Rules.kubeletImageGcThresholds,
          ['imageGCHighThresholdPercent'],
          `high ${high}, low ${low}`,
        );
      }
    },
    whenClean(
      'evictionSoft',
      'evictionSoftGracePeriod',
      'imageGCHighThresholdPercent',
      'imageGCLowThresholdPercent',
    ),
  );
export type KubeletConfiguration = z.infer<typeof kubeletConfigurationSchema>;

const volumeTypes = ['standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'] as const;
/** 1-59000 Gi, 1-64000 G, 1-58 Ti or 1-64 T, without leading zeros. */
export const EBS_VOLUME_SIZE_PATTERN =
  /^(([1-9][0-9]{0,3}|[1-4][0-9]{4}|5[0-8][0-9]{3}|59000)Gi|([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-3][0-9]{3}|64000)G|([1-9]|[1-4][0-9]|5[0-8])Ti|([1-9]|[1-5][0-9]|6[0-4])T)$/;
const nonNegativeInt = (what: string) =>
  z
    .number()
    .int({ error: `must be a whole number of ${what}` })
    .min(0, { error: 'cannot be negative' });

export const blockDeviceSchema = z
  .strictObject({
    deleteOnTermination: z.boolean().optional(),
    encrypted: z.boolean().optional(),
    iops: nonNegativeInt('I/O operations per second').optional(),
    kmsKeyID: z.string().optional(),
    snapshotID: z.string().optional(),
    throughput: nonNegativeInt('MiB/s').optional(),
    volumeInitializationRate: z
      .number()
      .int({ error: 'must be a whole number of MiB/s from 100 to 300' })
      .min(100, { error: 'must be at least 100 MiB/s: use 100 to 300' })
      .max(300, { error: 'must be at most 300 MiB/s: use 100 to 300' })
      .optional(),
    /**
     * A whole number of gibibytes, gigabytes, tebibytes or terabytes, at most 59000Gi, 64000G, 58Ti or 64T (the
     * bounds of upstream's CRD pattern); EC2 checks each volume type's own limit when it creates the volume.
     */
    volumeSize: z
      .string({ error: 'must be a string with a unit, e.g. "100Gi"' })
      .regex(EBS_VOLUME_SIZE_PATTERN, {
        error: (issue) =>
          `must be a whole size from 1 to 59000Gi, 64000G, 58Ti or 64T, such as "20Gi" or "1Ti" (got ${JSON.stringify(issue.input)})`,
      })
      .optional(),
    volumeType: z.enum(volumeTypes, { error: oneOf(volumeTypes) }).optional(),
  })
  .superRefine(
    (ebs, ctx) => {
      if (ebs.volumeSize === undefined && ebs.snapshotID === undefined)
        report(ctx, Rules.ebsSizeOrSnapshot, ['volumeSize']);
      if (ebs.volumeInitializationRate !== undefined && !ebs.snapshotID) {
        report(ctx, Rules.ebsInitializationRateNeedsSnapshot, ['volumeInitializationRate']);
      }
    },
    whenClean('volumeSize', 'snapshotID', 'volumeInitializationRate'),
  );

export const blockDeviceMappingSchema = z.strictObject({
  deviceName: z.string().min(1, { error: 'is empty: set the device name, e.g. /dev/xvda' }).optional(),
  rootVolume: z.boolean().optional(),
  ebs: blockDeviceSchema.optional(),
});

export const blockDeviceMappingsSchema = z
  .array(blockDeviceMappingSchema)
  .max(50, { error: 'has more than 50 block device mappings: drop some' })
  .superRefine(
    (mappings, ctx) => {
      let roots = 0;
      mappings.forEach((mapping, i) => {
        if (mapping.rootVolume === true && ++roots > 1)
          report(ctx, Rules.blockDeviceSingleRoot, [i, 'rootVolume']);
      });
    },
    whenNoIssue((path) => path.length <= 1 || path[1] === 'rootVolume'),
  );

const enabledDisabled = ['enabled', 'disabled'] as const;
const httpTokens = ['required', 'optional'] as const;
/** IMDS options; the defaults require IMDSv2 and keep the metadata endpoint out of reach of pods (hop limit 1). */
export const metadataOptionsSchema = z.strictObject({
  httpEndpoint: z.enum(enabledDisabled, { error: oneOf(enabledDisabled) }).default('enabled'),
  httpProtocolIPv6: z.enum(enabledDisabled, { error: oneOf(enabledDisabled) }).default('disabled'),
  httpPutResponseHopLimit: z
    .number()
    .int({ error: 'must be a whole number from 1 to 64' })
    .min(1, { error: 'must be at least 1: use 1 to 64' })
    .max(64, { error: 'must be at most 64: use 1 to 64' })
    .default(1),
  httpTokens: z.enum(httpTokens, { error: oneOf(httpTokens) }).default('required'),
});

/** One connection-tracking idle timeout, in whole seconds within the bounds EC2 accepts for it. */
const trackingTimeout = (min: number, max: number) =>
  z
    .number()
    .int({ error: `must be a whole number of seconds from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min} seconds: use ${min} to ${max}` })
    .max(max, { error: `must be at most ${max} seconds: use ${min} to ${max}` });

/** Idle timeouts for the connections EC2 tracks on the node's network interface; unset ones keep EC2's defaults. */
export const connectionTrackingSchema = z
  .strictObject({
    tcpEstablishedTimeout: trackingTimeout(60, 432_000).optional(),
    udpStreamTimeout: trackingTimeout(60, 180).optional(),
    udpTimeout: trackingTimeout(30, 60).optional(),
  })
  .superRefine((ct, ctx) => {
    if (
      ct.tcpEstablishedTimeout === undefined &&
      ct.udpStreamTimeout === undefined &&
      ct.udpTimeout === undefined
    )
      report(ctx, Rules.connectionTrackingEmpty, []);
  });
export type ConnectionTracking = z.infer<typeof connectionTrackingSchema>;

/** CPU options for the node's instances; an empty object sets nothing, as upstream admits it. */
export const cpuOptionsSchema = z.strictObject({
  /** "enabled" also narrows the node class to the types EC2 reports nested virtualization on. */
  nestedVirtualization: z.enum(enabledDisabled, { error: oneOf(enabledDisabled) }).optional(),
});
export type CpuOptions = z.infer<typeof cpuOptionsSchema>;

/**
 * The placement group the node class's instances launch into, by name or by id (exactly one). Resolved to the
 * group EC2 reports `available`; nodes carry karpenter.k8s.aws/placement-group-id (and -partition in a partition
 * group), and drift (PlacementGroupDrift) when the group resolved changes.
 */
export const placementGroupSelectorSchema = z
  .strictObject({
    name: z.string().min(1, { error: 'is empty: set the placement group name, or use id' }).optional(),
    id: z
      .string()
      .regex(/^pg-[0-9a-z]+$/, {
        error: 'must be a placement group id ("pg-" then lowercase letters and digits)',
      })
      .optional(),
  })
  .superRefine(
    (s, ctx) => {
      if (s.name === undefined && s.id === undefined) report(ctx, Rules.placementGroupSelectorEmpty, []);
      if (s.name !== undefined && s.id !== undefined)
        report(ctx, Rules.placementGroupSelectorExclusive, ['id']);
    },
    whenClean('name', 'id'),
  );
export type PlacementGroupSelector = z.infer<typeof placementGroupSelectorSchema>;

export const NetworkInterfaceTypes = ['interface', 'efa-only'] as const;
export type NetworkInterfaceType = (typeof NetworkInterfaceTypes)[number];

const interfaceIndex = (what: string) =>
  z
    .number()
    .int({ error: `must be a whole number: the ${what}, counted from 0` })
    .min(0, { error: `cannot be negative: ${what}es are counted from 0` });

/** One network interface every instance of the node class launches with (upstream's NetworkInterface). */
export const networkInterfaceSchema = z.strictObject({
  /** The network card it attaches to: card 0 is the default, the only card the VPC CNI gives pods addresses on. */
  networkCardIndex: interfaceIndex('network card index'),
  /** Its device index on that card; below the card's MaximumNetworkInterfaces. */
  deviceIndex: interfaceIndex('device index'),
  /** "interface": an ENA interface with IP addresses; "efa-only": an EFA device alone, with no IP address. */
  interfaceType: z.enum(NetworkInterfaceTypes, { error: oneOf(NetworkInterfaceTypes) }),
});
export type NetworkInterface = z.infer<typeof networkInterfaceSchema>;

const isPrimaryInterface = (n: NetworkInterface) =>
  n.networkCardIndex === 0 && n.deviceIndex === 0 && n.interfaceType === 'interface';

/**
 * The interfaces to launch with instead of the single default one. Non-empty, it holds the primary interface, no
 * (networkCardIndex, deviceIndex) pair twice and at most one efa-only interface per card; an empty list is admitted
 * (as upstream) and launches the default interface with no EFA devices.
 */
export const networkInterfacesSchema = z
  .array(networkInterfaceSchema)
  .max(150, { error: 'has more than 150 network interfaces: drop some' })
  .superRefine(
    (nics, ctx) => {
      if (nics.length > 0 && !nics.some(isPrimaryInterface)) report(ctx, Rules.networkInterfacesPrimary, []);
      const slots = new Set<string>();
      const efaCards = new Set<number>();
      nics.forEach((n, i) => {
        const slot = `${n.networkCardIndex}/${n.deviceIndex}`;
        if (slots.has(slot)) {
          report(
            ctx,
            Rules.networkInterfacesDistinct,
            [i],
            `network card ${n.networkCardIndex}, device index ${n.deviceIndex} is given twice`,
          );
        } else if (n.interfaceType === 'efa-only' && efaCards.has(n.networkCardIndex)) {
          report(
            ctx,
            Rules.networkInterfacesDistinct,
            [i],
            `network card ${n.networkCardIndex} has a second efa-only interface`,
          );
        }
        slots.add(slot);
        if (n.interfaceType === 'efa-only') efaCards.add(n.networkCardIndex);
      });
    },
    whenNoIssue((path) => path.length >= 1),
  );

export const ec2NodeClassSpecSchema = z
  .strictObject({
    subnetSelectorTerms: listOf(
      subnetSelectorTermSchema,
      'subnet selector term',
      '- tags: {karpenter.sh/discovery: my-cluster}',
    )
      .min(1, {
        error: 'is empty: add a subnet selector term, e.g. - tags: {karpenter.sh/discovery: my-cluster}',
      })
      .max(30, { error: 'has more than 30 terms: merge or drop some' }),
    securityGroupSelectorTerms: listOf(
      securityGroupSelectorTermSchema,
      'security group selector term',
      '- tags: {karpenter.sh/discovery: my-cluster}',
    )
      .min(1, {
        error:
          'is empty: add a security group selector term, e.g. - tags: {karpenter.sh/discovery: my-cluster}',
      })
      .max(30, { error: 'has more than 30 terms: merge or drop some' }),
    capacityReservationSelectorTerms: z
      .array(capacityReservationSelectorTermSchema)
      .max(30, { error: 'has more than 30 terms: merge or drop some' })
      .optional(),
    placementGroupSelector: placementGroupSelectorSchema.optional(),
    amiSelectorTerms: amiSelectorTermsSchema,
    /** Required unless an alias selects the AMI (the alias implies the family). */
    amiFamily: z.enum(AmiFamilies, { error: oneOf(AmiFamilies) }).optional(),
    role: z
      .string()
      .min(1, { error: 'is empty: set the node IAM role name, or use instanceProfile' })
      .optional(),
    instanceProfile: z
      .string()
      .min(1, { error: 'is empty: set the instance profile name, or use role' })
      .optional(),
    userData: z.string().optional(),
    tags: z
      .record(z.string(), z.string())
      .superRefine((tags, ctx) => {
        for (const key of Object.keys(tags)) {
          if (key === '') report(ctx, Rules.tagsEmptyKey, [key]);
          else if (
            (ReservedTagKeys.exact as readonly string[]).includes(key) ||
            ReservedTagKeys.prefix.some((prefix) => key.startsWith(prefix))
          ) {
            report(ctx, Rules.tagsReserved, [key], `got "${key}"`);
          }
        }
      })
      .optional(),
    kubelet: kubeletConfigurationSchema.optional(),
    blockDeviceMappings: blockDeviceMappingsSchema.optional(),
    instanceStorePolicy: z
      .literal('RAID0', { error: 'must be "RAID0", or remove instanceStorePolicy' })
      .optional(),
    /**
     * Launch with these interfaces instead of the single default one; the node class is then offered only the types
     * that have the cards, device indexes and EFA devices they name, with one vpc.amazonaws.com/efa per efa-only
     * interface.
     */
    networkInterfaces: networkInterfacesSchema.optional(),
    associatePublicIPAddress: z.boolean().optional(),
    detailedMonitoring: z.boolean().optional(),
    /** Prefixes assigned to the node's primary interface: IPv4 ones in an IPv4 cluster, IPv6 in an IPv6 one. */
    ipPrefixCount: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'cannot be negative' })
      .optional(),
    connectionTracking: connectionTrackingSchema.optional(),
    /** EC2's reserved CreateFleet Context; a claim launched with relaxed minValues goes without it, as upstream. */
    context: z.string().optional(),
    cpuOptions: cpuOptionsSchema.optional(),
    /** @default { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" } */
    metadataOptions: metadataOptionsSchema.prefault({}),
  })
  .superRefine(
    (spec, ctx) => {
      if (spec.role === undefined && spec.instanceProfile === undefined) {
        report(ctx, Rules.roleOrInstanceProfileRequired, ['role']);
      }
      if (spec.role !== undefined && spec.instanceProfile !== undefined) {
        report(ctx, Rules.roleAndInstanceProfile, ['instanceProfile']);
      }
    },
    whenClean('role', 'instanceProfile'),
  )
  .superRefine(
    (spec, ctx) => {
      const family = amiFamilyOfSpec(spec);
      if (family.startsWith('Windows'))
        report(ctx, Rules.windowsUnsupported, ['amiFamily'], `resolves to ${family}`);
    },
    whenClean('amiSelectorTerms', 'amiFamily'),
  )
  .superRefine(
    (spec, ctx) => {
      if (spec.userData === undefined || amiFamilyOfSpec(spec) !== 'Bottlerocket') return;
      try {
        parseToml(spec.userData);
      } catch (err) {
        const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
        report(ctx, Rules.bottlerocketUserDataToml, ['userData'], first);
      }
    },
    whenClean('userData', 'amiSelectorTerms', 'amiFamily'),
  )
  .superRefine(
    (spec, ctx) => {
      const alias = spec.amiSelectorTerms.find((t) => t.alias !== undefined)?.alias;
      if (alias === undefined) {
        if (spec.amiFamily === undefined) report(ctx, Rules.amiFamilyRequired, ['amiFamily']);
        return;
      }
      const family = parseAmiAlias(alias)?.family;
      const implied = family === undefined ? undefined : AmiAliasFamilies[family];
      if (
        spec.amiFamily !== undefined &&
        spec.amiFamily !== 'Custom' &&
        implied !== undefined &&
        spec.amiFamily !== implied
      ) {
        report(
          ctx,
          Rules.amiFamilyAliasMismatch,
          ['amiFamily'],
          `alias ${alias} implies ${implied}, got ${spec.amiFamily}`,
        );
      }
    },
    whenClean('amiSelectorTerms', 'amiFamily'),
  );

export const CapacityReservationTypes = ['default', 'capacity-block'] as const;
export type CapacityReservationType = (typeof CapacityReservationTypes)[number];

/** A capacity reservation the node class's capacityReservationSelectorTerms resolved to (upstream's fields). */
export const capacityReservationStatusSchema = z.looseObject({
  availabilityZone: z.string(),
  /** When the reservation ends; none for an open-ended one. */
  endTime: z.string().optional(),
  id: z.string().regex(/^cr-[0-9a-z]+$/),
  instanceMatchCriteria: z.enum(instanceMatchCriteria),
  instanceType: z.string(),
  ownerID: z.string().regex(/^[0-9]{12}$/),
  /** @default "default" */
  reservationType: z.enum(CapacityReservationTypes).default('default'),
  /** @default false */
  interruptible: z.boolean().optional(),
  /** `expiring` within EC2's reclaim window before a capacity block ends. @default "active" */
  state: z.enum(['active', 'expiring']).default('active'),
});
export type CapacityReservationStatus = z.infer<typeof capacityReservationStatusSchema>;

export const ec2NodeClassStatusSchema = z.looseObject({
  subnets: z
    .array(z.looseObject({ id: z.string(), zone: z.string(), zoneID: z.string().optional() }))
    .optional(),
  securityGroups: z.array(z.looseObject({ id: z.string(), name: z.string().optional() })).optional(),
  amis: z
    .array(
      z.looseObject({
        id: z.string(),
        name: z.string().optional(),
        deprecated: z.boolean().optional(),
        requirements: z.array(nodeSelectorRequirementSchema.omit({ minValues: true })).optional(),
      }),
    )
    .optional(),
  capacityReservations: z.array(capacityReservationStatusSchema).optional(),
  instanceProfile: z.string().optional(),
  conditions: z.array(conditionSchema).optional(),
});

export const ec2NodeClassSchema = z.strictObject({
  apiVersion: z.literal('karpenter.k8s.aws/v1', { error: 'must be "karpenter.k8s.aws/v1"' }),
  kind: z.literal('EC2NodeClass', { error: 'must be "EC2NodeClass"' }),
  metadata: objectMetaSchema,
  spec: ec2NodeClassSpecSchema,
  status: ec2NodeClassStatusSchema.optional(),
});

export type EC2NodeClass = z.infer<typeof ec2NodeClassSchema>;
export type EC2NodeClassInput = z.input<typeof ec2NodeClassSchema>;
export type EC2NodeClassSpec = z.infer<typeof ec2NodeClassSpecSchema>;
