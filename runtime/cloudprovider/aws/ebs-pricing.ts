/**
 * What a node's EBS volumes cost per hour (us-east-1 list prices, USD): every node pays for its root volume, so
 * the scheduler adds it to the instance price and the benchmarks count it. AWS bills per GB-month (730 hours);
 * gp3 includes 3,000 IOPS and 125 MiB/s, io1/io2 charge every provisioned IOPS.
 */
import type { EC2NodeClass } from '../../kube/objects';
import { parseQuantity } from '../../scheduling/resources';
import { blockDeviceMappingsOf, type BlockDeviceMappings } from './block-devices';

const HOURS_PER_MONTH = 730;

/** USD per GB-month by volume type. */
const PER_GB_MONTH: Record<string, number> = {
  gp3: 0.08,
  gp2: 0.1,
  io1: 0.125,
  io2: 0.125,
  st1: 0.045,
  sc1: 0.015,
  standard: 0.05,
};
const GP3_FREE_IOPS = 3000;
const GP3_FREE_THROUGHPUT = 125;
const GP3_IOPS_MONTH = 0.005;
const GP3_THROUGHPUT_MONTH = 0.04;
const PIOPS_MONTH = 0.065;

export interface VolumeShape {
  volumeType: string;
  sizeGiB: number;
  iops?: number;
  throughput?: number;
}

export function rootVolumeHourlyPrice(v: VolumeShape): number {
  const perGb = PER_GB_MONTH[v.volumeType] ?? PER_GB_MONTH.gp3;
  let monthly = perGb * v.sizeGiB;
  if (v.volumeType === 'gp3') {
    monthly += Math.max(0, (v.iops ?? GP3_FREE_IOPS) - GP3_FREE_IOPS) * GP3_IOPS_MONTH;
    monthly +=
      Math.max(0, (v.throughput ?? GP3_FREE_THROUGHPUT) - GP3_FREE_THROUGHPUT) * GP3_THROUGHPUT_MONTH;
  } else if (v.volumeType === 'io1' || v.volumeType === 'io2') {
    monthly += (v.iops ?? 0) * PIOPS_MONTH;
  }
  return monthly / HOURS_PER_MONTH;
}

/** The hourly price of these EBS volumes together. */
export function volumesHourlyPrice(mappings: BlockDeviceMappings): number {
  let total = 0;
  for (const m of mappings) {
    const ebs = m.ebs;
    if (!ebs?.volumeSize) continue;
    total += rootVolumeHourlyPrice({
      volumeType: ebs.volumeType ?? 'gp3',
      sizeGiB: parseQuantity(ebs.volumeSize) / 2 ** 30,
      iops: ebs.iops,
      throughput: ebs.throughput,
    });
  }
  return total;
}

/** What the volumes of one node of this class cost per hour (its mappings, else its AMI family's defaults). */
export function nodeClassVolumesHourlyPrice(nodeClass: EC2NodeClass): number {
  return volumesHourlyPrice(blockDeviceMappingsOf(nodeClass));
}
