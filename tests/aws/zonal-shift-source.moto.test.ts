/**
 * The zonal shift source with real EKS and EC2 clients against moto: the cluster's ARN comes from eks:DescribeCluster
 * and ARC's zone IDs become this region's zone names through ec2:DescribeAvailabilityZones. ARC itself, which moto
 * does not emulate, is a local HTTP server answering GetManagedResource in the model's shape for the ARN it was
 * asked about, so a wrong ARN fails start-up here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import pino from 'pino';
import { ArcZonalShiftClient } from '../../runtime/cloudprovider/aws/arc-zonal-shift';
import { createArcZonalShiftSource } from '../../runtime/cloudprovider/aws/zonal-shift-source';
import { MOTO_REGION, describeWithMoto, motoClientConfig, startMoto, type MotoServer } from '../support/moto';

const CLUSTER = 'zonal-shift';
const describeMoto = describeWithMoto('the zonal shift source tests on moto');

describeMoto('zonal shift source on moto', () => {
  let moto: MotoServer;
  let arcServer: Server;
  let arcEndpoint: string;
  /** The ARN moto gave the cluster: the only resource the ARC stand-in knows. */
  let clusterArn = '';
  /** Zone ID → name as moto's EC2 reports them. */
  let zones: { id: string; name: string }[] = [];
  const expiry = Math.floor(Date.now() / 1000) + 3600;

  beforeAll(async () => {
    moto = await startMoto();
    const eks = new EKSClient(motoClientConfig(moto.endpoint));
    const created = await eks.send(
      new CreateClusterCommand({
        name: CLUSTER,
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    clusterArn = created.cluster?.arn ?? '';
    const ec2 = new EC2Client(motoClientConfig(moto.endpoint));
    const azs = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    zones = (azs.AvailabilityZones ?? []).map((z) => ({ id: z.ZoneId ?? '', name: z.ZoneName ?? '' }));
    arcServer = createServer((req, res) => {
      const known = req.url === `/managedresources/${encodeURIComponent(clusterArn)}`;
      res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          known
            ? {
                arn: clusterArn,
                name: CLUSTER,
                zonalShifts: [
                  {
                    appliedStatus: 'APPLIED',
                    zonalShiftId: 'zs-1',
                    resourceIdentifier: clusterArn,
                    awayFrom: zones[1]?.id,
                    expiryTime: expiry,
                    startTime: expiry - 7200,
                    comment: 'impaired',
                  },
                ],
              }
            : { message: `no managed resource ${req.url ?? ''}` },
        ),
      );
    });
    await new Promise<void>((resolve) => arcServer.listen(0, '127.0.0.1', resolve));
    arcEndpoint = `http://127.0.0.1:${(arcServer.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (arcServer ? arcServer.close(() => resolve()) : resolve()));
    await moto?.stop();
  });

  const arc = () =>
    new ArcZonalShiftClient({
      region: MOTO_REGION,
      endpoint: arcEndpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });

  it("reads the cluster's shifts by the ARN EKS reports, with zone IDs named by EC2", async () => {
    expect(clusterArn).toMatch(new RegExp(`^arn:aws:eks:${MOTO_REGION}:\\d{12}:cluster/${CLUSTER}$`));
    expect(zones.length).toBeGreaterThan(1);
    const source = await createArcZonalShiftSource({
      arc: arc(),
      ec2: new EC2Client(motoClientConfig(moto.endpoint)),
      eks: new EKSClient(motoClientConfig(moto.endpoint)),
      clusterName: CLUSTER,
      logger: pino({ level: 'silent' }),
    });
    expect(source.clusterArn).toBe(clusterArn);
    const shifted = zones[1] as { id: string; name: string };
    expect(await source.zonalShifts()).toEqual([
      {
        zoneId: shifted.id,
        zone: shifted.name,
        appliedStatus: 'APPLIED',
        expiresAt: expiry * 1000,
        shiftId: 'zs-1',
      },
    ]);
  });

  it('fails start-up naming ENABLE_ZONAL_SHIFT when EKS has no such cluster', async () => {
    await expect(
      createArcZonalShiftSource({
        arc: arc(),
        ec2: new EC2Client(motoClientConfig(moto.endpoint)),
        eks: new EKSClient(motoClientConfig(moto.endpoint)),
        clusterName: 'not-there',
        logger: pino({ level: 'silent' }),
      }),
    ).rejects.toThrow(/ENABLE_ZONAL_SHIFT=true: eks:DescribeCluster for cluster "not-there" failed/);
  });
});
