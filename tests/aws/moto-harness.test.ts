import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  describeWithMoto,
  motoClientConfig,
  seedMotoForKarpenter,
  startMoto,
  type MotoServer,
} from '../support/moto';

const describeMoto = describeWithMoto('the moto harness tests');

describeMoto('moto harness', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  }, 600_000);
  afterAll(async () => moto?.stop());

  it('seeds tagged subnets and the EKS AMI parameters moto lacks', async () => {
    const seeded = await seedMotoForKarpenter(moto.endpoint, { clusterName: 'harness' });
    const ec2 = new EC2Client(motoClientConfig(moto.endpoint));
    const ssm = new SSMClient(motoClientConfig(moto.endpoint));
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:karpenter.sh/discovery', Values: ['harness'] }] }),
    );
    expect(subnets.Subnets?.map((s) => s.SubnetId).sort()).toEqual(seeded.subnets.map((s) => s.id).sort());
    const param = await ssm.send(
      new GetParameterCommand({
        Name: '/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/standard/recommended/image_id',
      }),
    );
    expect(param.Parameter?.Value).toBe(seeded.amis.arm64);
    expect(seeded.amis.arm64).toMatch(/^ami-/);
    ec2.destroy();
    ssm.destroy();
  }, 60_000);

  it('stops the server', async () => {
    const other = await startMoto();
    await other.stop();
    await expect(fetch(`${other.endpoint}/moto-api/data.json`)).rejects.toThrow();
  }, 60_000);
});
