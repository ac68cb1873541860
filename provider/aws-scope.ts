/** The partition, region and account the components run in, read once from the AWS provider. */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface AwsScope {
  partition: pulumi.Output<string>;
  region: pulumi.Output<string>;
  accountId: pulumi.Output<string>;
}

export function awsScope(opts?: pulumi.InvokeOutputOptions): AwsScope {
  return {
    partition: aws.getPartitionOutput({}, opts).partition,
    region: aws.getRegionOutput({}, opts).region,
    accountId: aws.getCallerIdentityOutput({}, opts).accountId,
  };
}
