import { parse as parseToml } from 'smol-toml';
import { load } from 'js-yaml';
import { testNodeClaim } from '../../kube/testing';
import { testNodeClass } from './testing';
import {
  al2023UserData,
  al2UserData,
  bottlerocketUserData,
  claimUserData,
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

/** Every kubelet setting an EC2NodeClass takes (but clusterDNS and maxPods, which opts covers). */
const fullKubelet: UserDataOptions['kubelet'] = {
  systemReserved: { cpu: '100m' },
  kubeReserved: { memory: '1Gi' },
  evictionHard: { 'memory.available': '5%' },
  evictionSoft: { 'nodefs.available': '10%' },
  evictionSoftGracePeriod: { 'nodefs.available': '1m30s' },
  evictionMaxPodGracePeriod: 60,
  imageGCHighThresholdPercent: 85,
  imageGCLowThresholdPercent: 80,
  cpuCFSQuota: false,
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
  const settingsOf = (userData: string) =>
    (parseToml(userData) as { settings: { kubernetes: Record<string, unknown> } & Record<string, unknown> })
      .settings;

  it("sets the kubernetes settings in TOML that parses, keeping the node class's other settings", () => {
    const settings = settingsOf(
      bottlerocketUserData({ ...opts, custom: '[settings.host-containers.admin]\nenabled = true' }),
    );
    expect(settings['host-containers']).toEqual({ admin: { enabled: true } });
    expect(settings.kubernetes).toEqual({
      'cluster-name': 'demo',
      'api-server': 'https://api.demo.example',
      'cluster-certificate': 'Q0E=',
      'node-labels': { 'karpenter.sh/nodepool': 'general', 'node.kubernetes.io/role': 'w', team: 'a' },
      'node-taints': { dedicated: ['ml:NoSchedule'], 'karpenter.sh/unregistered': [':NoExecute'] },
      'max-pods': 58,
      'cluster-dns-ip': '10.100.0.10',
      'system-reserved': { cpu: '100m' },
    });
  });

  it("merges into the user's own [settings.kubernetes] (upstream's br-custom-userdata example) without a second table", () => {
    const custom = [
      '[settings.kubernetes]',
      'kube-api-qps = 30',
      'cluster-name = "not-this-one"',
      '[settings.kubernetes.node-labels]',
      'mine = "yes"',
      'team = "theirs"',
      '[settings.kubernetes.node-taints]',
      'user-taint = ["x:NoSchedule"]',
    ].join('\n');
    const out = bottlerocketUserData({ ...opts, custom });
    expect(out.match(/^\[settings\.kubernetes\]$/gm)).toHaveLength(1);
    const k8s = settingsOf(out).kubernetes;
    expect(k8s['kube-api-qps']).toBe(30);
    expect(k8s['cluster-name']).toBe('demo');
    // Labels merge (ours win on a key both set); taints are the claim's only, as upstream.
    expect(k8s['node-labels']).toMatchObject({ mine: 'yes', team: 'a' });
    expect(k8s['node-taints']).toEqual({
      dedicated: ['ml:NoSchedule'],
      'karpenter.sh/unregistered': [':NoExecute'],
    });
  });

  it('applies every kubelet setting Bottlerocket has a key for', () => {
    const k8s = settingsOf(
      bottlerocketUserData({
        ...opts,
        kubelet: fullKubelet,
      }),
    ).kubernetes;
    expect(k8s).toMatchObject({
      'kube-reserved': { memory: '1Gi' },
      'system-reserved': { cpu: '100m' },
      'eviction-hard': { 'memory.available': '5%' },
      'eviction-soft': { 'nodefs.available': '10%' },
      'eviction-soft-grace-period': { 'nodefs.available': '1m30s' },
      'eviction-max-pod-grace-period': 60,
      'image-gc-high-threshold-percent': '85',
      'image-gc-low-threshold-percent': '80',
      'cpu-cfs-quota-enforced': false,
    });
  });

  it('refuses user data that is not TOML, naming the field', () => {
    expect(() => bottlerocketUserData({ ...opts, custom: '#!/bin/bash\necho hi' })).toThrow(
      /EC2NodeClass spec\.userData is not valid TOML/,
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

describe('every kubelet setting and the instance store policy, on every family', () => {
  const full: UserDataOptions = { ...opts, kubelet: fullKubelet, instanceStorePolicy: 'RAID0' };

  it('AL2023: the whole kubelet block in the NodeConfig, and RAID0 local storage', () => {
    const part = mimeParts(al2023UserData(full)).find((p) => p.contentType === 'application/node.eks.aws');
    const config = load(part?.body ?? '') as {
      spec: {
        kubelet: { config: Record<string, unknown> };
        instance?: { localStorage?: { strategy?: string } };
      };
    };
    // nodeadm takes the kubelet's own field names, the node class's.
    expect(config.spec.kubelet.config).toMatchObject(fullKubelet as Record<string, unknown>);
    expect(config.spec.instance?.localStorage?.strategy).toBe('RAID0');
    expect(mimeParts(al2023UserData(opts)).some((p) => p.body.includes('localStorage'))).toBe(false);
  });

  it('AL2: kubelet flags through bootstrap.sh, and --local-disks raid0', () => {
    const script = al2UserData(full);
    for (const flag of [
      '--system-reserved=cpu=100m',
      '--kube-reserved=memory=1Gi',
      '--eviction-hard=memory.available<5%',
      '--eviction-soft=nodefs.available<10%',
      '--eviction-soft-grace-period=nodefs.available=1m30s',
      '--eviction-max-pod-grace-period=60',
      '--image-gc-high-threshold=85',
      '--image-gc-low-threshold=80',
      '--cpu-cfs-quota=false',
    ]) {
      expect(script).toContain(flag);
    }
    expect(script).toContain('--local-disks raid0');
    expect(al2UserData(opts)).not.toContain('--local-disks');
  });

  it('Bottlerocket: RAID0 as its ephemeral-storage bootstrap command', () => {
    const doc = parseToml(bottlerocketUserData(full)) as {
      settings: {
        'bootstrap-commands'?: Record<string, { commands: string[][]; essential: boolean; mode: string }>;
      };
    };
    const command = doc.settings['bootstrap-commands']?.['000-mount-instance-storage'];
    expect(command?.commands[0]).toEqual(['apiclient', 'ephemeral-storage', 'init']);
    expect(command?.commands[1]?.slice(0, 3)).toEqual(['apiclient', 'ephemeral-storage', 'bind']);
    expect(command).toMatchObject({ essential: true, mode: 'always' });
  });

  it('refuses to template Windows, which validation refuses too', () => {
    expect(() => userDataFor('Windows2022', opts)).toThrow(/not supported/);
  });
});

describe('claimUserData', () => {
  const cluster = { clusterName: 'demo', clusterEndpoint: 'https://api.demo.example' };
  const claim = testNodeClaim('c1');

  it('passes the user data through untouched for amiFamily Custom, even with an alias (as upstream)', () => {
    const custom = testNodeClass({
      amiFamily: 'Custom',
      amiSelectorTerms: [{ alias: 'bottlerocket@latest' }],
      userData: '#!/bin/bash\necho mine',
    });
    expect(claimUserData(cluster, custom, claim, undefined)).toBe('#!/bin/bash\necho mine');
    const templated = testNodeClass({ amiSelectorTerms: [{ alias: 'bottlerocket@latest' }] });
    expect(claimUserData(cluster, templated, claim, undefined)).toContain('[settings.kubernetes]');
  });
});
