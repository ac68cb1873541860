/** The AWS SDK v3 clients the provider uses, built for one region and optionally an emulator endpoint. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { PricingClient } from '@aws-sdk/client-pricing';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface AwsClients {
  ec2: EC2Client;
  /** DescribeCluster only: the endpoint, CA and service CIDR nodes need (cluster-discovery.ts). */
  eks: EKSClient;
  ssm: SSMClient;
  iam: IAMClient;
  pricing: PricingClient;
}

export interface AwsClientsOptions {
  region: string;
  /** An emulator URL (moto, LocalStack) for every service. */
  endpoint?: string;
}

/** Regions that serve the Pricing API; other regions ask us-east-1. */
const PRICING_REGIONS = ['us-east-1', 'eu-central-1', 'ap-south-1'];

export function createAwsClients(o: AwsClientsOptions): AwsClients {
  const base = {
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    // An emulator accepts any credentials; without AWS ones in the environment the SDK would refuse to sign.
    ...(o.endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'emulator', secretAccessKey: 'emulator' } }
      : {}),
  };
  return {
    ec2: new EC2Client(base),
    eks: new EKSClient(base),
    ssm: new SSMClient(base),
    iam: new IAMClient(base),
    pricing: new PricingClient({
      ...base,
      region: PRICING_REGIONS.includes(o.region) ? o.region : 'us-east-1',
    }),
  };
}

export function destroyAwsClients(c: AwsClients): void {
  c.ec2.destroy();
  c.eks.destroy();
  c.ssm.destroy();
  c.iam.destroy();
  c.pricing.destroy();
}
