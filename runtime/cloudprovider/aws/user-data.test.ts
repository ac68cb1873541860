import { parse as parseToml } from 'smol-toml';
import { load } from 'js-yaml';
import { testNodeClaim } from '../../kube/testing';
import { testNodeClass } from './testing';
import { parseMime } from './mime';
import {
  al2023UserData,
  al2UserData,
  bottlerocketUserData,
  claimUserData,
  kubeletLabels,
  userDataFor,
  type UserDataOptions,
} from './user-data';

/** The parts of a document we wrote: what nodeadm and cloud-init read. */
const mimeParts = (doc: string) => parseMime(doc, 'test');

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
  it('drops every kubernetes.io and k8s.io label (the lifecycle controller sets them once the node registers)', () => {
    expect(kubeletLabels(opts.labels)).toEqual({ 'karpenter.sh/nodepool': 'general', team: 'a' });
    expect(
      kubeletLabels({
        'node-restriction.kubernetes.io/pool': 'a',
        'kops.k8s.io/instancegroup': 'b',
        'example.com/kubernetes.io': 'c',
        'notk8s.io/x': 'd',
      }),
    ).toEqual({ 'example.com/kubernetes.io': 'c', 'notk8s.io/x': 'd' });
  });
});

describe('AL2023 user data', () => {
  it('is a MIME multipart document with a nodeadm NodeConfig', async () => {
    const doc = await al2023UserData(opts);
    expect(doc.startsWith('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="//"\n')).toBe(true);
    const parts = await mimeParts(doc);
    expect(parts.map((p) => p.contentType)).toEqual(['application/node.eks.aws']);
    expect(parts[0]?.body.startsWith('# Karpenter Generated NodeConfig\n')).toBe(true);
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
            '--node-labels=karpenter.sh/nodepool=general,team=a',
            '--register-with-taints=dedicated=ml:NoSchedule,karpenter.sh/unregistered:NoExecute',
          ],
        },
      },
    });
  });

  it("keeps the node class's own parts first", async () => {
    const script = await al2023UserData({ ...opts, custom: '#!/bin/bash\necho hi' });
    expect((await mimeParts(script)).map((p) => p.head)).toEqual([
      'Content-Type: text/x-shellscript; charset="us-ascii"\n\n',
      'Content-Type: application/node.eks.aws\n\n',
    ]);
    const custom =
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XX"\n\n--XX\nContent-Type: text/x-shellscript\n\necho a\n--XX--\n';
    const parts = await mimeParts(await al2023UserData({ ...opts, custom }));
    expect(parts[0]).toMatchObject({ contentType: 'text/x-shellscript', body: 'echo a' });
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
      'node-labels': { 'karpenter.sh/nodepool': 'general', team: 'a' },
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
  it('passes Custom through', async () => {
    expect(await userDataFor('Custom', { ...opts, custom: 'raw' })).toBe('raw');
    expect(await userDataFor('Custom', opts)).toBeUndefined();
  });
});

describe('every kubelet setting and the instance store policy, on every family', () => {
  const full: UserDataOptions = { ...opts, kubelet: fullKubelet, instanceStorePolicy: 'RAID0' };

  it('AL2023: the whole kubelet block in the NodeConfig, and RAID0 local storage', async () => {
    const part = (await mimeParts(await al2023UserData(full))).find(
      (p) => p.contentType === 'application/node.eks.aws',
    );
    const config = load(part?.body ?? '') as {
      spec: {
        kubelet: { config: Record<string, unknown> };
        instance?: { localStorage?: { strategy?: string } };
      };
    };
    // nodeadm takes the kubelet's own field names, the node class's.
    expect(config.spec.kubelet.config).toMatchObject(fullKubelet as Record<string, unknown>);
    expect(config.spec.instance?.localStorage?.strategy).toBe('RAID0');
    expect((await mimeParts(await al2023UserData(opts))).some((p) => p.body.includes('localStorage'))).toBe(
      false,
    );
  });

  it('AL2: kubelet flags through bootstrap.sh, and --local-disks raid0', async () => {
    const script = await al2UserData(full);
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
    expect(await al2UserData(opts)).not.toContain('--local-disks');
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

  it('refuses to template Windows, which validation refuses too, naming the field and the fix', async () => {
    await expect(userDataFor('Windows2022', opts)).rejects.toThrow(
      /spec\.amiFamily resolves to Windows2022, which is not supported.*select an al2023 or bottlerocket alias/,
    );
  });
});

describe('claimUserData', () => {
  const cluster = { clusterName: 'demo', clusterEndpoint: 'https://api.demo.example' };
  const claim = testNodeClaim('c1');

  it('passes the user data through untouched for amiFamily Custom, even with an alias (as upstream)', async () => {
    const custom = testNodeClass({
      amiFamily: 'Custom',
      amiSelectorTerms: [{ alias: 'bottlerocket@latest' }],
      userData: '#!/bin/bash\necho mine',
    });
    expect(await claimUserData({ ...cluster, clusterDNS: '10.0.0.10' }, custom, claim, undefined)).toBe(
      '#!/bin/bash\necho mine',
    );
    const templated = testNodeClass({ amiSelectorTerms: [{ alias: 'bottlerocket@latest' }] });
    expect(await claimUserData(cluster, templated, claim, undefined)).toContain('[settings.kubernetes]');
  });

  describe('the kube-dns IP as cluster DNS when the node class sets none', () => {
    const withDns = { ...cluster, clusterDNS: '172.20.0.10' };
    const family = (alias: string, kubelet?: { clusterDNS: string[] }) =>
      testNodeClass({ amiSelectorTerms: [{ alias }], ...(kubelet ? { kubelet } : {}) });

    it('AL2023: kubelet.config.clusterDNS in our NodeConfig', async () => {
      const doc = (await claimUserData(withDns, family('al2023@latest'), claim, undefined)) ?? '';
      const ours = (await mimeParts(doc)).at(-1);
      expect(load(ours?.body ?? '')).toMatchObject({
        spec: { kubelet: { config: { clusterDNS: ['172.20.0.10'] } } },
      });
    });

    it("AL2: --dns-cluster-ip; Bottlerocket: cluster-dns-ip; the node class's own always wins", async () => {
      expect(await claimUserData(withDns, family('al2@latest'), claim, undefined)).toContain(
        "--dns-cluster-ip '172.20.0.10'",
      );
      const br = await claimUserData(withDns, family('bottlerocket@latest'), claim, undefined);
      expect(parseToml(br ?? '')).toMatchObject({
        settings: { kubernetes: { 'cluster-dns-ip': '172.20.0.10' } },
      });
      const own = await claimUserData(
        withDns,
        family('al2@latest', { clusterDNS: ['10.0.1.100'] }),
        claim,
        undefined,
      );
      expect(own).toContain("--dns-cluster-ip '10.0.1.100'");
      expect(own).not.toContain('172.20.0.10');
    });

    it('nothing when there is no kube-dns IP: the AMI keeps its own default', async () => {
      const doc = (await claimUserData(cluster, family('al2@latest'), claim, undefined)) ?? '';
      expect(doc).not.toContain('--dns-cluster-ip');
    });
  });
});
