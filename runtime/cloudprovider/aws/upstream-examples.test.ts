/**
 * Every example of upstream's examples/v1 (karpenter-provider-aws v1.14.1) boots: each has a fixture in
 * testdata/upstream-examples/ named after it, with the same user-facing settings, and goes through admission and a
 * launch template as the provider makes one. The user data must parse in its family's own format and hold the node
 * class's settings and ours exactly once; the Windows ones are refused with an error naming the field and the fix.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { load, loadAll } from 'js-yaml';
import { parse as parseToml } from 'smol-toml';
import { ManifestError, parseManifests } from '../../../sdk/manifests';
import type { EC2NodeClass } from '../../kube/objects';
import { testNodeClaim } from '../../kube/testing';
import { instanceType } from '../../scheduling/testing';
import { amiFamilyOf } from './block-devices';
import { claimLaunchTemplates, LaunchTemplateProvider } from './launch-templates';
import { parseMime } from './mime';
import { ManualClock } from './testing';
import { claimUserData, type ClusterBootstrap } from './user-data';
import { GENERATED_MARKER } from './user-data-al2023';

const DIR = join(__dirname, 'testdata', 'upstream-examples');

/** `git ls-tree --name-only v1.14.1 examples/v1/` in upstream's repository. */
const UPSTREAM_EXAMPLES = [
  '100-cpu-limit',
  'al2-custom-ami',
  'al2-custom-userdata',
  'al2-kubelet-log-query',
  'al2023-custom-userdata',
  'bottlerocket',
  'br-custom-userdata',
  'custom-family-with-alias',
  'custom-family',
  'general-purpose',
  'instance-store-ephemeral-storage',
  'large-instances',
  'max-node-lifetime',
  'min-values-family',
  'min-values-multiple-keys',
  'multiple-arch',
  'multiple-ebs',
  'spot',
  'windows-2019',
  'windows-2022',
  'windows-2025',
  'windows-custom-userdata',
];
const WINDOWS = UPSTREAM_EXAMPLES.filter((n) => n.startsWith('windows'));
const BOOTING = UPSTREAM_EXAMPLES.filter((n) => !WINDOWS.includes(n));

/** What the provider knows about the cluster, the kube-dns IP included. */
const cluster: ClusterBootstrap = {
  clusterName: 'demo',
  clusterEndpoint: 'https://demo.eks.example',
  clusterCABundle: 'Q0E=',
  serviceCIDR: '172.20.0.0/16',
  clusterDNS: '172.20.0.10',
};
const nodeClaim = testNodeClaim('default-x1', {
  metadata: { labels: { 'karpenter.sh/nodepool': 'default', 'karpenter.sh/capacity-type': 'on-demand' } },
});

const fixture = (name: string) => readFileSync(join(DIR, `${name}.yaml`), 'utf8');

/** The fixture through admission: validated and defaulted as the API server stores it. */
function admitted(name: string): EC2NodeClass {
  const [obj] = parseManifests(fixture(name), { source: `${name}.yaml` });
  return obj as EC2NodeClass;
}

/** The launch template the provider would create for the claim under this node class. */
async function launchTemplate(nodeClass: EC2NodeClass): Promise<RequestLaunchTemplateData> {
  const ec2 = new EC2Client({ region: 'us-east-1' });
  const mock = mockClient(ec2);
  mock.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
  mock.on(CreateLaunchTemplateCommand).resolves({});
  const templateFor = claimLaunchTemplates(new LaunchTemplateProvider(ec2, new ManualClock()), {
    cluster,
    nodePoolName: 'default',
    nodeClass,
    resolved: {
      subnets: [],
      securityGroups: [{ id: 'sg-1' }],
      amis: [],
      instanceProfile: 'demo_profile',
      problems: {},
    },
    nodeClaim,
  });
  await templateFor(instanceType('m5.large'), { id: 'ami-1', arch: 'amd64' });
  const data = mock.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input.LaunchTemplateData;
  if (!data) throw new Error('no launch template was created');
  return data;
}

const userDataOf = (data: RequestLaunchTemplateData) =>
  Buffer.from(data.UserData ?? '', 'base64').toString('utf8');
const count = (text: string, what: string) => text.split(what).length - 1;

describe("upstream's examples/v1", () => {
  it('each has a fixture named after it, and only those', () => {
    const fixtures = readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(fixtures.sort()).toEqual([...UPSTREAM_EXAMPLES].sort());
  });

  describe.each(BOOTING)('%s', (name) => {
    const nodeClass = admitted(name);
    const family = amiFamilyOf(nodeClass);
    const own = nodeClass.spec.userData;

    it('boots with user data in its family’s format, holding the node class’s settings and ours once', async () => {
      const userData = userDataOf(await launchTemplate(nodeClass));
      if (family === 'Custom') {
        // Custom: the node class's own user data, untouched, and nothing of ours.
        expect(userData).toBe(own);
        expect(userData).not.toContain(cluster.clusterDNS);
        expect(await parseMime(userData, name)).toHaveLength(1);
        return;
      }
      if (family === 'Bottlerocket') {
        type Doc = { settings: { kubernetes: Record<string, unknown> } };
        const settings = (parseToml(userData) as Doc).settings;
        expect(count(userData, '[settings.kubernetes]')).toBe(1);
        expect(settings.kubernetes).toMatchObject({
          'cluster-name': 'demo',
          'api-server': 'https://demo.eks.example',
          'cluster-certificate': 'Q0E=',
          'cluster-dns-ip': '172.20.0.10',
          'node-taints': { 'karpenter.sh/unregistered': [':NoExecute'] },
        });
        const mine = own ? (parseToml(own) as Doc).settings.kubernetes : {};
        for (const [key, value] of Object.entries(mine)) {
          expect(settings.kubernetes[key]).toEqual(value);
          expect(count(userData, `${key} =`)).toBe(1);
        }
        expect(count(userData, '172.20.0.10')).toBe(1);
        return;
      }
      const parts = await parseMime(userData, name);
      const userParts = own ? await parseMime(own, name) : [];
      // The node class's parts first, byte for byte and in order, then exactly one of ours.
      expect(parts.slice(0, -1)).toEqual(userParts);
      expect(parts).toHaveLength(userParts.length + 1);
      const ours = parts.at(-1)?.body ?? '';
      expect(count(userData, '172.20.0.10')).toBe(1);
      expect(count(userData, 'karpenter.sh/unregistered:NoExecute')).toBe(1);
      if (family === 'AL2') {
        expect(parts.every((p) => p.contentType === 'text/x-shellscript')).toBe(true);
        expect(count(userData, '/etc/eks/bootstrap.sh')).toBe(1);
        expect(ours).toContain("/etc/eks/bootstrap.sh 'demo'");
        expect(ours).toContain("--dns-cluster-ip '172.20.0.10'");
        return;
      }
      expect(family).toBe('AL2023');
      for (const p of parts.filter((p) => p.contentType === 'application/node.eks.aws'))
        for (const doc of loadAll(p.body))
          expect(doc).toMatchObject({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig' });
      expect(count(userData, GENERATED_MARKER)).toBe(1);
      expect(ours.startsWith(GENERATED_MARKER)).toBe(true);
      expect(load(ours)).toMatchObject({
        spec: {
          cluster: {
            name: 'demo',
            apiServerEndpoint: 'https://demo.eks.example',
            certificateAuthority: 'Q0E=',
            cidr: '172.20.0.0/16',
          },
          kubelet: {
            config: { clusterDNS: ['172.20.0.10'] },
            flags: [
              '--node-labels=karpenter.sh/capacity-type=on-demand,karpenter.sh/nodepool=default',
              '--register-with-taints=karpenter.sh/unregistered:NoExecute',
            ],
          },
        },
      });
      // instanceStorePolicy is ours to say, in our NodeConfig only.
      const raid0 = nodeClass.spec.instanceStorePolicy === 'RAID0';
      expect(count(userData, 'strategy: RAID0')).toBe(raid0 ? 1 : 0);
    });

    it('gets its block devices, or its family’s defaults', async () => {
      const devices = (await launchTemplate(nodeClass)).BlockDeviceMappings?.map(
        (b) => `${b.DeviceName} ${b.Ebs?.VolumeSize}GiB ${b.Ebs?.VolumeType}`,
      );
      const expected: Record<string, string[]> = {
        bottlerocket: ['/dev/xvda 4GiB gp3', '/dev/xvdb 20GiB gp3'],
        'br-custom-userdata': ['/dev/xvda 4GiB gp3', '/dev/xvdb 20GiB gp3'],
        'custom-family-with-alias': ['/dev/xvda 20GiB gp3'],
        'multiple-ebs': ['/dev/xvda 20GiB gp3', '/dev/xvdb 100GiB gp3', '/dev/xvdc 2000GiB gp3'],
      };
      expect(devices).toEqual(expected[name] ?? ['/dev/xvda 20GiB gp3']);
    });
  });

  it('al2023-custom-userdata: the NodeConfig and script run first, and our NodeConfig is merged last', async () => {
    const parts = await parseMime(userDataOf(await launchTemplate(admitted('al2023-custom-userdata'))), 'x');
    expect(parts.map((p) => p.contentType)).toEqual([
      'application/node.eks.aws',
      'text/x-shellscript',
      'application/node.eks.aws',
    ]);
    expect(load(parts[0]?.body ?? '')).toMatchObject({
      spec: { instance: { localStorage: { strategy: 'Mount' } } },
    });
    expect(parts[1]?.body).toBe('#!/bin/bash\necho "AL2023 node class script ran"');
  });

  describe.each(WINDOWS)('%s', (name) => {
    it('is refused at admission, naming spec.amiFamily and the fix', () => {
      let error: unknown;
      try {
        parseManifests(fixture(name), { source: `${name}.yaml` });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ManifestError);
      expect((error as ManifestError).problems).toEqual([
        expect.objectContaining({
          path: 'spec.amiFamily',
          rule: 'windowsUnsupported',
          message: expect.stringMatching(
            /Windows nodes are not supported yet.*: use an al2023 or bottlerocket alias/,
          ),
        }),
      ]);
    });

    it('is refused at launch too, should one reach the API server', async () => {
      const raw = load(fixture(name)) as EC2NodeClass;
      await expect(claimUserData(cluster, raw, nodeClaim, undefined)).rejects.toThrow(
        /spec\.amiFamily resolves to Windows20\d\d, which is not supported.*select an al2023 or bottlerocket alias, or set amiFamily Custom/,
      );
    });
  });
});
