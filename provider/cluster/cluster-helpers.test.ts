import { clusterAccessFromKubeconfig } from './kubeconfig';
import { subnetCidrs } from './vpc';
import { loadCrds } from '../install/crds';

describe('subnetCidrs', () => {
  it('gives non-overlapping private /19 and public /22 ranges per zone', () => {
    expect(subnetCidrs(3)).toEqual([
      { private: '10.0.0.0/19', public: '10.0.128.0/22' },
      { private: '10.0.32.0/19', public: '10.0.132.0/22' },
      { private: '10.0.64.0/19', public: '10.0.136.0/22' },
    ]);
  });

  it('refuses one zone (nodes would share its fate) and more than four', () => {
    expect(() => subnetCidrs(1)).toThrow(/zones: 1 is not 2 to 4/);
    expect(() => subnetCidrs(5)).toThrow(/zones: 5/);
  });
});

describe('clusterAccessFromKubeconfig', () => {
  const kubeconfig = {
    clusters: [{ cluster: { server: 'https://x', 'certificate-authority-data': 'Q0E=' } }],
  };
  it('reads the endpoint and CA from an object or JSON', () => {
    expect(clusterAccessFromKubeconfig(kubeconfig)).toEqual({
      endpoint: 'https://x',
      certificateAuthority: 'Q0E=',
    });
    expect(clusterAccessFromKubeconfig(JSON.stringify(kubeconfig)).endpoint).toBe('https://x');
  });
  it('says what is missing', () => {
    expect(() => clusterAccessFromKubeconfig({ clusters: [] })).toThrow(/clusters\[0\]\.cluster\.server/);
  });
});

describe('loadCrds', () => {
  it('loads the five generated CRDs from sdk/crds', () => {
    expect(loadCrds().map((c) => c.metadata.name)).toEqual([
      'capacitybuffers.autoscaling.x-k8s.io',
      'ec2nodeclasses.karpenter.k8s.aws',
      'nodeclaims.karpenter.sh',
      'nodeoverlays.karpenter.sh',
      'nodepools.karpenter.sh',
    ]);
  });
});
