import { z } from 'zod';
import { conditionSchema, objectMetaSchema, quantitySchema } from './common';

const selectorTermSchema = z.object({
  tags: z.record(z.string(), z.string()).optional(),
  id: z.string().optional(),
  name: z.string().optional(),
});

const resourceReservationSchema = z.record(z.string(), quantitySchema);

export const kubeletConfigurationSchema = z.object({
  clusterDNS: z.array(z.string()).optional(),
  maxPods: z.number().int().min(0).optional(),
  podsPerCore: z.number().int().min(0).optional(),
  systemReserved: resourceReservationSchema.optional(),
  kubeReserved: resourceReservationSchema.optional(),
  evictionHard: z.record(z.string(), z.string()).optional(),
  evictionSoft: z.record(z.string(), z.string()).optional(),
  evictionSoftGracePeriod: z.record(z.string(), z.string()).optional(),
  evictionMaxPodGracePeriod: z.number().int().optional(),
  imageGCHighThresholdPercent: z.number().int().min(0).max(100).optional(),
  imageGCLowThresholdPercent: z.number().int().min(0).max(100).optional(),
  cpuCFSQuota: z.boolean().optional(),
});
export type KubeletConfiguration = z.infer<typeof kubeletConfigurationSchema>;

export const ec2NodeClassSpecSchema = z.object({
  subnetSelectorTerms: z.array(selectorTermSchema).min(1),
  securityGroupSelectorTerms: z.array(selectorTermSchema).min(1),
  amiSelectorTerms: z
    .array(
      selectorTermSchema.extend({
        alias: z.string().optional(),
        owner: z.string().optional(),
        ssmParameter: z.string().optional(),
      }),
    )
    .min(1),
  amiFamily: z
    .enum(['AL2', 'AL2023', 'Bottlerocket', 'Custom', 'Windows2019', 'Windows2022', 'Windows2025'])
    .optional(),
  role: z.string().optional(),
  instanceProfile: z.string().optional(),
  userData: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  kubelet: kubeletConfigurationSchema.optional(),
  blockDeviceMappings: z
    .array(
      z.object({
        deviceName: z.string(),
        rootVolume: z.boolean().optional(),
        ebs: z
          .object({
            volumeSize: z.string().optional(),
            volumeType: z.string().optional(),
            iops: z.number().int().optional(),
            throughput: z.number().int().optional(),
            encrypted: z.boolean().optional(),
            kmsKeyID: z.string().optional(),
            snapshotID: z.string().optional(),
            deleteOnTermination: z.boolean().optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  /** @default { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" } */
  metadataOptions: z
    .object({
      httpEndpoint: z.enum(['enabled', 'disabled']).default('enabled'),
      httpProtocolIPv6: z.enum(['enabled', 'disabled']).default('disabled'),
      httpPutResponseHopLimit: z.number().int().min(1).max(64).default(1),
      httpTokens: z.enum(['required', 'optional']).default('required'),
    })
    .default({
      httpEndpoint: 'enabled',
      httpProtocolIPv6: 'disabled',
      httpPutResponseHopLimit: 1,
      httpTokens: 'required',
    }),
  associatePublicIPAddress: z.boolean().optional(),
  detailedMonitoring: z.boolean().optional(),
  instanceStorePolicy: z.literal('RAID0').optional(),
});

export const ec2NodeClassSchema = z.object({
  apiVersion: z.literal('karpenter.k8s.aws/v1'),
  kind: z.literal('EC2NodeClass'),
  metadata: objectMetaSchema,
  spec: ec2NodeClassSpecSchema,
  status: z
    .object({
      subnets: z
        .array(z.object({ id: z.string(), zone: z.string(), zoneID: z.string().optional() }))
        .optional(),
      securityGroups: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
      amis: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
      instanceProfile: z.string().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});

export type EC2NodeClass = z.infer<typeof ec2NodeClassSchema>;
export type EC2NodeClassInput = z.input<typeof ec2NodeClassSchema>;
