import { load } from 'js-yaml';
import {
  al2023UserData,
  al2UserData,
  bottlerocketUserData,
  kubeletLabels,
  mimeParts,
  userDataFor,
  type UserDataOptions,
} from './user-data';

const opts: UserDataOptions = {
  clusterName: 'demo',
  clusterEndpoint: 'https://api.demo.example',
  clusterCABundle: 'Q0E=',
  kubelet: { clusterDNS: ['10.100.0.10'], systemReserved: { cpu: '100m' } },
  maxPods: 58,
  labels: {
    'karpenter.sh/nodepool': 'general',
    team: 'a',
    'kubernetes.io/hostname': 'x',
    'node.kubernetes.io/role': 'w',
  },
  taints: [
    { key: 'dedicated', value: 'ml', effect: 'NoSchedule' },
    { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
  ],
};

describe('kubeletLabels', () => {
  it('drops labels the kubelet may not set on itself', () => {
    expect(kubeletLabels(opts.labels)).toEqual({
      'karpenter.sh/nodepool': 'general',
      team: 'a',
      'node.kubernetes.io/role': 'w',
    });
  });
});

describe('AL2023 user data', () => {
  it('is a MIME multipart document with a nodeadm NodeConfig', () => {
    const doc = al2023UserData(opts);
    expect(doc.startsWith('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="//"\n')).toBe(true);
    const parts = mimeParts(doc);
    expect(parts.map((p) => p.contentType)).toEqual(['application/node.eks.aws']);
    expect(load(parts[0]?.body ?? '')).toEqual({
      apiVersion: 'node.eks.aws/v1alpha1',
      kind: 'NodeConfig',
      spec: {
        cluster: {
          name: 'demo',
          apiServerEndpoint: 'https://api.demo.example',
          certificateAuthority: 'Q0E=',
          cidr: '10.100.0.0/16',
        },
        kubelet: {
          config: { maxPods: 58, clusterDNS: ['10.100.0.10'], systemReserved: { cpu: '100m' } },
          flags: [
            '--node-labels=karpenter.sh/nodepool=general,node.kubernetes.io/role=w,team=a',
            '--register-with-taints=dedicated=ml:NoSchedule,karpenter.sh/unregistered:NoExecute',
          ],
        },
      },
    });
  });

  it("keeps the node class's own parts first", () => {
    const script = al2023UserData({ ...opts, custom: '#!/bin/bash\necho hi' });
    expect(mimeParts(script).map((p) => p.contentType)).toEqual([
      'text/x-shellscript; charset="us-ascii"',
      'application/node.eks.aws',
    ]);
    const custom =
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XX"\n\n--XX\nContent-Type: text/x-shellscript\n\necho a\n--XX--\n';
    const parts = mimeParts(al2023UserData({ ...opts, custom }));
    expect(parts[0]).toEqual({ contentType: 'text/x-shellscript', body: 'echo a' });
    expect(parts).toHaveLength(2);
  });
});

describe('Bottlerocket user data', () => {
  it('sets the kubernetes settings in TOML', () => {
    expect(
      bottlerocketUserData({ ...opts, custom: '[settings.host-containers.admin]\nenabled = true' }),
    ).toBe(
      [
        '[settings.kubernetes]',
        'api-server = "https://api.demo.example"',
        'cluster-certificate = "Q0E="',
        'cluster-name = "demo"',
        'cluster-dns-ip = "10.100.0.10"',
        'max-pods = 58',
        '',
        '[settings.kubernetes.node-labels]',
        '"karpenter.sh/nodepool" = "general"',
        '"node.kubernetes.io/role" = "w"',
        '"team" = "a"',
        '',
        '[settings.kubernetes.node-taints]',
        '"dedicated" = ["ml:NoSchedule"]',
        '"karpenter.sh/unregistered" = [":NoExecute"]',
        '',
        '[settings.host-containers.admin]',
        'enabled = true',
        '',
      ].join('\n'),
    );
  });
});

describe('userDataFor', () => {
  it('templates AL2 with bootstrap.sh and passes Custom through', () => {
    const al2 = al2UserData(opts);
    expect(al2).toContain("/etc/eks/bootstrap.sh 'demo'");
    expect(al2).toContain("--b64-cluster-ca 'Q0E='");
    expect(al2).toContain('--max-pods=58');
    expect(userDataFor('AL2', opts)).toBe(al2);
    expect(userDataFor('Custom', { ...opts, custom: 'raw' })).toBe('raw');
    expect(userDataFor('Custom', opts)).toBeUndefined();
  });
});
