/**
 * Zonal shifts on AWS (ENABLE_ZONAL_SHIFT), as upstream's arczonalshift provider reads them: ARC's
 * GetManagedResource on the cluster's ARN (from eks:DescribeCluster), each shift's `awayFrom` zone ID turned into
 * this account's zone name with ec2:DescribeAvailabilityZones. Start-up fails, as upstream's does, when the cluster
 * is not registered with zonal shift or the controller may not ask.
 */
import { DescribeAvailabilityZonesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import type { Logger } from 'pino';
import type { ZonalShiftRecord, ZonalShiftSource } from '../zonal-shift';
import { ArcZonalShiftError, type ArcZonalShiftClient } from './arc-zonal-shift';
import { awsCall } from './errors';

export class ArcZonalShiftSource implements ZonalShiftSource {
  /** Zone ID → zone name in this account; reloaded when a shift names an ID it lacks. */
  private zoneNames: Map<string, string> | undefined;

  constructor(
    private readonly arc: ArcZonalShiftClient,
    private readonly ec2: EC2Client,
    readonly clusterArn: string,
    private readonly logger: Logger,
  ) {}

  async zonalShifts(): Promise<ZonalShiftRecord[]> {
    const resource = await this.arc.getManagedResource(this.clusterArn);
    const ids = resource.zonalShifts.map((s) => s.awayFrom);
    if (!this.zoneNames || ids.some((id) => !this.zoneNames?.has(id))) this.zoneNames = await this.zones();
    const out: ZonalShiftRecord[] = [];
    for (const s of resource.zonalShifts) {
      const zone = this.zoneNames.get(s.awayFrom);
      if (!zone) {
        this.logger.warn({ zoneId: s.awayFrom }, 'zonal shift away from a zone ID this region does not list');
        continue;
      }
      out.push({
        zoneId: s.awayFrom,
        zone,
        appliedStatus: s.appliedStatus,
        expiresAt: s.expiryTime,
        shiftId: s.zonalShiftId,
      });
    }
    return out;
  }

  private async zones(): Promise<Map<string, string>> {
    const out = await awsCall('ec2:DescribeAvailabilityZones', () =>
      this.ec2.send(new DescribeAvailabilityZonesCommand({})),
    );
    return new Map(
      (out.AvailabilityZones ?? []).flatMap((z) => (z.ZoneId && z.ZoneName ? [[z.ZoneId, z.ZoneName]] : [])),
    );
  }
}

const FIX =
  'register the cluster with ARC zonal shift (aws eks update-cluster-config --name <cluster> --zonal-shift-config enabled=true, or zonal autoshift), ' +
  'allow the controller arc-zonal-shift:GetManagedResource, or unset ENABLE_ZONAL_SHIFT';

/**
 * The source for the cluster, checked once (upstream's ValidateZonalShiftEnablement): the cluster's ARN from
 * eks:DescribeCluster and one GetManagedResource. Throws an error naming ENABLE_ZONAL_SHIFT and the fix.
 */
export async function createArcZonalShiftSource(o: {
  arc: ArcZonalShiftClient;
  ec2: EC2Client;
  eks: EKSClient;
  clusterName: string;
  logger: Logger;
}): Promise<ArcZonalShiftSource> {
  let arn: string | undefined;
  try {
    arn = (await o.eks.send(new DescribeClusterCommand({ name: o.clusterName }))).cluster?.arn;
  } catch (err) {
    throw new Error(
      `ENABLE_ZONAL_SHIFT=true: eks:DescribeCluster for cluster "${o.clusterName}" failed (${(err as Error).message}): ` +
        'check CLUSTER_NAME and allow the controller eks:DescribeCluster, or unset ENABLE_ZONAL_SHIFT',
      { cause: err },
    );
  }
  if (!arn)
    throw new Error(
      `ENABLE_ZONAL_SHIFT=true: eks:DescribeCluster for cluster "${o.clusterName}" gave no ARN: check CLUSTER_NAME, or unset ENABLE_ZONAL_SHIFT`,
    );
  const source = new ArcZonalShiftSource(o.arc, o.ec2, arn, o.logger);
  try {
    await o.arc.getManagedResource(arn);
  } catch (err) {
    const why = err instanceof ArcZonalShiftError ? err.message : (err as Error).message;
    throw new Error(
      `ENABLE_ZONAL_SHIFT=true: cluster ${arn} not registered to Zonal Shift or not readable: arc-zonal-shift:GetManagedResource failed (${why}): ${FIX}`,
      { cause: err },
    );
  }
  return source;
}
