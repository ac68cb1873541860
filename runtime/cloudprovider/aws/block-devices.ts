/**
 * The EBS volumes a node of an EC2NodeClass boots with: the node class's blockDeviceMappings, else its AMI family's
 * defaults. Pure, so launch templates and the price of a node (ebs-pricing.ts) read the same volumes.
 */
import { amiFamilyOfSpec, type EC2NodeClassSpec } from '../../../sdk/api/ec2nodeclass';
import type { AmiFamily } from '../../../sdk/api/well-known';
import type { EC2NodeClass } from '../../kube/objects';
import { parseQuantity } from '../../scheduling/resources';

export type BlockDeviceMappings = NonNullable<EC2NodeClassSpec['blockDeviceMappings']>;

/** The AMI family the node class boots: its alias's, else spec.amiFamily (sdk/api/ec2nodeclass.ts). */
export function amiFamilyOf(nodeClass: EC2NodeClass): AmiFamily {
  return amiFamilyOfSpec(nodeClass.spec);
}

/** The root volumes each family boots with when the node class sets none. */
export function defaultBlockDeviceMappings(family: AmiFamily): BlockDeviceMappings {
  const gp3 = (volumeSize: string) => ({
    volumeSize,
    volumeType: 'gp3' as const,
    encrypted: true,
    deleteOnTermination: true,
  });
  if (family === 'Bottlerocket')
    return [
      { deviceName: '/dev/xvda', ebs: gp3('4Gi') },
      { deviceName: '/dev/xvdb', rootVolume: true, ebs: gp3('20Gi') },
    ];
  return [{ deviceName: '/dev/xvda', rootVolume: true, ebs: gp3('20Gi') }];
}

/** What a node of this class gets: its own mappings, or its family's defaults. */
export function blockDeviceMappingsOf(nodeClass: EC2NodeClass): BlockDeviceMappings {
  return nodeClass.spec.blockDeviceMappings ?? defaultBlockDeviceMappings(amiFamilyOf(nodeClass));
}

/** "100Gi" / "1Ti" / "100G" → whole GiB, as EBS takes them. */
export function volumeSizeGiB(size: string): number {
  return Math.ceil(parseQuantity(size) / 2 ** 30);
}
