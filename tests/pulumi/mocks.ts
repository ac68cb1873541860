/**
 * Pulumi mocks for the component tests: records every registration, answers the AWS invokes the components make
 * and gives resources the outputs AWS would (arn, name, url). @pulumi/eks's Cluster is a remote component whose
 * children never reach the mocks, so its outputs are mocked here.
 */
import * as pulumi from '@pulumi/pulumi';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const ENDPOINT = 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com';
export const CA_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n').toString(
  'base64',
);
export const CLUSTER_SG = 'sg-0cluster';

export const registered: pulumi.runtime.MockResourceArgs[] = [];
export const invoked: pulumi.runtime.MockCallArgs[] = [];

export function kubeconfigFor(clusterName: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: ENDPOINT, 'certificate-authority-data': CA_DATA } }],
    contexts: [{ name: 'aws', context: { cluster: clusterName, user: 'aws' } }],
    'current-context': 'aws',
    users: [{ name: 'aws', user: {} }],
  };
}

/** The outputs AWS (or @pulumi/eks) would return for a resource, beyond its inputs. */
function outputsFor(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = (args.inputs ?? {}) as Record<string, unknown>;
  const name = typeof inputs.name === 'string' ? inputs.name : args.name;
  switch (args.type) {
    case 'eks:index:Cluster': {
      const kubeconfig = kubeconfigFor(name);
      return {
        kubeconfig,
        kubeconfigJson: JSON.stringify(kubeconfig),
        eksCluster: { name, vpcConfig: { clusterSecurityGroupId: CLUSTER_SG } },
        oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/ABC`,
        oidcProviderUrl: `https://oidc.eks.${REGION}.amazonaws.com/id/ABC`,
      };
    }
    case 'aws:iam/role:Role':
      return { name, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    case 'aws:iam/policy:Policy':
      return { name, arn: `arn:aws:iam::${ACCOUNT}:policy/${name}` };
    case 'aws:iam/instanceProfile:InstanceProfile':
      return { name, arn: `arn:aws:iam::${ACCOUNT}:instance-profile/${name}` };
    case 'aws:sqs/queue:Queue':
      return {
        name,
        arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
      };
    case 'aws:cloudwatch/eventRule:EventRule':
      return { name, arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}` };
    case 'aws:ecr/repository:Repository':
      return {
        registryId: ACCOUNT,
        repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${args.name}`,
      };
    case 'docker-build:index:Image':
      return { ref: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${args.name}@sha256:${'a'.repeat(64)}` };
    default:
      return {};
  }
}

export async function installMocks(preview = true): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args);
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const metadataName = (inputs.metadata as { name?: string } | undefined)?.name;
        return { id: `${metadataName ?? args.name}-id`, state: { ...inputs, ...outputsFor(args) } };
      },
      call: (args) => {
        invoked.push(args);
        switch (args.token) {
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
          case 'aws:index/getRegion:getRegion':
            return { name: REGION, region: REGION, id: REGION };
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, id: ACCOUNT, userId: 'x' };
          case 'aws:index/getAvailabilityZones:getAvailabilityZones':
            return {
              names: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
              zoneIds: ['use1-az1', 'use1-az2', 'use1-az4'],
            };
          case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
            return {
              userName: 'AWS',
              password: 'token',
              authorizationToken: 'x',
              proxyEndpoint: 'https://x',
            };
          default:
            return args.inputs;
        }
      },
    },
    'karpenter-ts',
    'test',
    preview,
  );
}

export function reset(): void {
  registered.length = 0;
  invoked.length = 0;
}

/** Wait until no registration has arrived for a while: children register as their inputs resolve. */
export async function settled(quietTicks = 10): Promise<void> {
  let last = -1;
  let quiet = 0;
  while (quiet < quietTicks) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (registered.length === last) quiet++;
    else {
      quiet = 0;
      last = registered.length;
    }
  }
}

export function ofType(type: string): pulumi.runtime.MockResourceArgs[] {
  return registered.filter((r) => r.type === type);
}

export function one(type: string, name?: string): pulumi.runtime.MockResourceArgs {
  const found = registered.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length} ` +
        `(registered: ${registered.map((r) => `${r.type} ${r.name}`).join(', ')})`,
    );
  }
  return found[0];
}

/** The value an Output resolves to (Output has no public promise accessor). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return (output as unknown as { promise(): Promise<T> }).promise();
}

/** The wire form of a secret as the mocks see it: the value wrapped under Pulumi's signature key. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
export function isSecret(value: unknown): boolean {
  return typeof value === 'object' && value !== null && SECRET_SIG in value;
}
export function unsecret<T>(value: unknown): T {
  return (isSecret(value) ? (value as { value: T }).value : value) as T;
}
