import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { discoverCluster, serviceCidrOf } from './cluster-discovery';
import { silentLogger } from './testing';
import { DEFAULT_SERVICE_CIDR } from './user-data';

const cluster = {
  endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com',
  certificateAuthority: { data: 'RUtTLUNB' },
  kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' as const },
};

function eks(answer: 'ok' | 'ipv6' | 'denied') {
  const client = new EKSClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  if (answer === 'denied') {
    mock
      .on(DescribeClusterCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
  } else {
    mock.on(DescribeClusterCommand, { name: 'demo' }).resolves({
      cluster:
        answer === 'ok'
          ? cluster
          : {
              ...cluster,
              kubernetesNetworkConfig: { serviceIpv6Cidr: 'fd00:10:96::/112', ipFamily: 'ipv6' },
            },
    });
  }
  return { client, mock };
}

describe('cluster discovery', () => {
  it('asks EKS for what the settings do not give: endpoint, CA and service CIDR', async () => {
    const facts = await discoverCluster(eks('ok').client, { clusterName: 'demo' }, silentLogger);
    expect(facts).toMatchObject({
      endpoint: cluster.endpoint,
      caBundle: 'RUtTLUNB',
      serviceCIDR: '172.20.0.0/16',
      sources: { endpoint: 'eks', caBundle: 'eks', serviceCIDR: 'eks' },
    });
  });

  it('lets the settings win, then the kube client CA over EKS', async () => {
    const facts = await discoverCluster(
      eks('ok').client,
      { clusterName: 'demo', endpoint: 'https://mine', kubeCABundle: 'S1VCRQ==' },
      silentLogger,
    );
    expect(facts).toMatchObject({ endpoint: 'https://mine', caBundle: 'S1VCRQ==' });
    expect(facts.sources).toMatchObject({ endpoint: 'setting', caBundle: 'kubeconfig' });
    const set = await discoverCluster(
      eks('ok').client,
      { clusterName: 'demo', caBundle: 'U0VU', kubeCABundle: 'S1VCRQ==' },
      silentLogger,
    );
    expect(set.caBundle).toBe('U0VU');
  });

  it('takes the IPv6 service CIDR of an IPv6 cluster', async () => {
    expect(
      (await discoverCluster(eks('ipv6').client, { clusterName: 'demo' }, silentLogger)).serviceCIDR,
    ).toBe('fd00:10:96::/112');
    expect(serviceCidrOf(undefined)).toBeUndefined();
  });

  it('without DescribeCluster: works from the settings with the default CIDR, or names what to set', async () => {
    const facts = await discoverCluster(
      eks('denied').client,
      { clusterName: 'demo', endpoint: 'https://mine' },
      silentLogger,
    );
    expect(facts).toMatchObject({ endpoint: 'https://mine', serviceCIDR: DEFAULT_SERVICE_CIDR });
    expect(facts.sources.serviceCIDR).toBe('default');
    await expect(
      discoverCluster(eks('denied').client, { clusterName: 'demo' }, silentLogger),
    ).rejects.toThrow(
      /CLUSTER_ENDPOINT is not set and eks:DescribeCluster for cluster "demo" did not give it \(AccessDeniedException: not authorized\): set CLUSTER_ENDPOINT/,
    );
  });
});
