/** How a node class's own userData is merged with ours on AL2 and AL2023, as upstream documents it. */
import { load } from 'js-yaml';
import { parseMime } from './mime';
import { al2023UserData, al2UserData, userDataFor, type UserDataOptions } from './user-data';

const mimeParts = (doc: string) => parseMime(doc, 'test');

const opts: UserDataOptions = {
  clusterName: 'demo',
  clusterEndpoint: 'https://api.demo.example',
  clusterCABundle: 'Q0E=',
  kubelet: { clusterDNS: ['10.100.0.10'] },
  maxPods: 58,
  labels: { 'karpenter.sh/nodepool': 'general' },
  taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }],
};

describe('AL2 user data', () => {
  it('is one bootstrap.sh call in a MIME part, with the cluster, CA, DNS and max pods', async () => {
    const parts = await mimeParts(await al2UserData(opts));
    expect(parts.map((p) => p.head)).toEqual(['Content-Type: text/x-shellscript; charset="us-ascii"\n\n']);
    const script = parts[0]?.body ?? '';
    expect(script.startsWith('#!/bin/bash -xe\n')).toBe(true);
    expect(script.match(/\/etc\/eks\/bootstrap\.sh/g)).toHaveLength(1);
    expect(script).toContain("/etc/eks/bootstrap.sh 'demo'");
    expect(script).toContain("--b64-cluster-ca 'Q0E='");
    expect(script).toContain("--dns-cluster-ip '10.100.0.10'");
    expect(script).not.toContain('--ip-family');
    expect(script).toContain('--use-max-pods false');
    expect(script).toContain('--max-pods=58');
    expect(await userDataFor('AL2', opts)).toBe(await al2UserData(opts));
  });

  it('tells bootstrap.sh the IPv6 family when the cluster DNS is IPv6', async () => {
    const script = await al2UserData({ ...opts, kubelet: { clusterDNS: ['fd00:10:96::a'] } });
    expect(script).toContain("--ip-family ipv6 \\\n  --dns-cluster-ip 'fd00:10:96::a'");
  });

  it("wraps a plain script as a shell part and runs the node class's parts before ours", async () => {
    const plain = await mimeParts(await al2UserData({ ...opts, custom: '#!/bin/bash\necho mine\n' }));
    expect(plain.map((p) => p.contentType)).toEqual(['text/x-shellscript', 'text/x-shellscript']);
    expect(plain[0]?.body).toBe('#!/bin/bash\necho mine\n');
    expect(plain[1]?.body).toContain('/etc/eks/bootstrap.sh');
    const custom = [
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="BOUNDARY"',
      '',
      '--BOUNDARY',
      'Content-Type: text/cloud-config',
      '',
      '#cloud-config',
      'packages: [jq]',
      '--BOUNDARY',
      'Content-Type: text/x-shellscript',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('echo encoded').toString('base64'),
      '--BOUNDARY--',
      '',
    ].join('\r\n');
    const parts = await mimeParts(await al2UserData({ ...opts, custom }));
    // Each part copied as written, headers and transfer encoding included, in the user's order, ours last.
    expect(parts.map((p) => p.head)).toEqual([
      'Content-Type: text/cloud-config\n\n',
      'Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64\n\n',
      'Content-Type: text/x-shellscript; charset="us-ascii"\n\n',
    ]);
    expect(parts[0]?.body).toBe('#cloud-config\npackages: [jq]');
    expect(parts[1]?.body).toBe(Buffer.from('echo encoded').toString('base64'));
  });

  it('refuses user data that calls bootstrap.sh itself, naming the field and the fix', async () => {
    await expect(
      al2UserData({ ...opts, custom: '#!/bin/bash\n/etc/eks/bootstrap.sh demo --kubelet-extra-args x' }),
    ).rejects.toThrow(
      /EC2NodeClass spec\.userData calls \/etc\/eks\/bootstrap\.sh.*remove the call.*or use amiFamily Custom/,
    );
    // A comment that mentions it is fine.
    await expect(
      al2UserData({ ...opts, custom: '#!/bin/bash\n# runs before /etc/eks/bootstrap.sh\necho hi' }),
    ).resolves.toContain('echo hi');
  });

  it('refuses MIME user data whose parts its boundary does not delimit', async () => {
    const custom =
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="A"\n\n--B\nContent-Type: text/x-shellscript\n\necho a\n--B--\n';
    await expect(al2UserData({ ...opts, custom })).rejects.toThrow(
      'EC2NodeClass spec.userData is MIME multipart but has no part delimited by its boundary "A": start each part with a "--A" line and end the document with "--A--"',
    );
  });
});

describe('AL2023 user data from plain text', () => {
  const nodeConfigPart = async (doc: string) =>
    (await mimeParts(doc)).filter((p) => p.contentType === 'application/node.eks.aws');

  it('reads YAML as a NodeConfig of its own, before ours (the docs example: registryPullQPS)', async () => {
    const custom = [
      'apiVersion: node.eks.aws/v1alpha1',
      'kind: NodeConfig',
      'spec:',
      '  kubelet:',
      '    config:',
      '      registryPullQPS: 10',
      '      maxPods: 42',
    ].join('\n');
    const parts = await nodeConfigPart(await al2023UserData({ ...opts, custom }));
    expect(parts).toHaveLength(2);
    expect(parts[0]?.body).toBe(custom);
    expect(parts[1]?.body).toContain('# Karpenter Generated NodeConfig');
    // nodeadm merges in order, the last winning: ours sets maxPods, the user's registryPullQPS stays.
    const merged = mergeNodeConfigs(parts.map((p) => load(p.body)));
    expect(merged).toMatchObject({ spec: { kubelet: { config: { registryPullQPS: 10, maxPods: 58 } } } });
  });

  it('sends a script as a shell part and #cloud-config as cloud-init config', async () => {
    for (const custom of ['echo hello', '#!/bin/bash\necho "hello: world"']) {
      const shell = await mimeParts(await al2023UserData({ ...opts, custom }));
      expect(shell[0]).toMatchObject({ contentType: 'text/x-shellscript', body: custom });
    }
    const config = await mimeParts(
      await al2023UserData({ ...opts, custom: '#cloud-config\nruncmd: [date]' }),
    );
    expect(config[0]?.contentType).toBe('text/cloud-config');
  });

  it('refuses a NodeConfig part nodeadm could not read, naming the part and the fix', async () => {
    // Without "#!", `echo "a: b"` is a YAML mapping, which upstream takes for a NodeConfig too.
    await expect(al2023UserData({ ...opts, custom: 'echo "hello: world"' })).rejects.toThrow(
      'EC2NodeClass spec.userData is YAML but not a nodeadm NodeConfig: give it apiVersion: node.eks.aws/v1alpha1 and kind: NodeConfig, or start it with a "#!" line if it is a script',
    );
    const custom =
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="//"\n\n--//\nContent-Type: application/node.eks.aws\n\nspec: [unclosed\n--//--\n';
    await expect(al2023UserData({ ...opts, custom })).rejects.toThrow(
      /EC2NodeClass spec\.userData part 1 \(application\/node\.eks\.aws\) is not valid YAML: .*fix the NodeConfig, or give the part another Content-Type/,
    );
  });
});

/** nodeadm's documented merge of NodeConfigs: in order, mappings merged key by key, the last value winning. */
function mergeNodeConfigs(docs: unknown[]): unknown {
  const merge = (a: unknown, b: unknown): unknown => {
    const isMap = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isMap(a) || !isMap(b)) return b;
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  };
  return docs.reduce(merge, {});
}
