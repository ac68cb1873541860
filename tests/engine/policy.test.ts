/**
 * The policy pack as users run it: `pulumi preview --policy-pack` pointed at the installed package's
 * dist/provider/policy/pack, on a good and a bad program. Advisory by default (the violations are printed and the
 * preview passes); made mandatory with `--policy-pack-config`, the same violations fail the preview.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ClientNodeApi } from '../../runtime/kube/client-node';
import { installCrds } from '../integration/support/kube';
import { describeWithEngine, kubeconfigPath, workdir } from './support/describe';
import { PROGRAM_HEADER, PulumiProject } from './support/project';

jest.setTimeout(900_000);

/** A pool and class; `bad` makes them break three rules: no limits, spot on one type, IMDSv1 allowed. */
function program(bad: boolean): string {
  return `${PROGRAM_HEADER}
import { EC2NodeClass, NodePool } from 'karpenter-ts/pulumi';

new EC2NodeClass('policy-class', {
  metadata: { name: 'policy-class' },
  spec: {
    role: 'KarpenterNodeRole-engine',
    amiSelectorTerms: [{ alias: 'al2023@latest' }],
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'engine' } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'engine' } }],
    ${bad ? `metadataOptions: { httpTokens: 'optional' },` : ''}
  },
}, { provider });

new NodePool('policy-pool', {
  metadata: { name: 'policy-pool' },
  spec: {
    template: {
      spec: {
        requirements: [
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
          { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ${
            bad ? `['m5.large']` : `['m5.large', 'm5a.large', 'm6i.large', 'm6a.large', 'm7i.large']`
          } },
        ],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'policy-class' },
      },
    },
    ${bad ? '' : `limits: { cpu: '100' },`}
  },
}, { provider });
`;
}

const VIOLATIONS = [
  'nodepool-has-limits',
  'spot-nodepool-allows-many-instance-types',
  'ec2nodeclass-requires-imdsv2',
];

describeWithEngine('the policy pack under pulumi preview --policy-pack', () => {
  let project: PulumiProject;
  const pack = path.join(workdir ?? '', 'node_modules', 'karpenter-ts', 'dist', 'provider', 'policy', 'pack');

  beforeAll(async () => {
    project = new PulumiProject('policy');
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath ?? '');
    await installCrds(new ClientNodeApi(kc));
    await project.init();
  });

  it('passes a good program with no violation', async () => {
    project.program(program(false));
    const r = await project.run(['preview', '--policy-pack', pack]);
    expect(r.output).toContain('karpenter-ts-mistakes');
    for (const v of VIOLATIONS) expect(r.output).not.toContain(v);
    expect(r.code).toBe(0);
  });

  it('prints the bad program’s violations as advisory by default, and the preview passes', async () => {
    project.program(program(true));
    const r = await project.run(['preview', '--policy-pack', pack]);
    for (const v of VIOLATIONS) expect(r.output).toMatch(new RegExp(`\\[advisory\\]\\s+${v}`));
    expect(r.output).toContain('set spec.limits.cpu and/or spec.limits.memory');
    expect(r.code).toBe(0);
  });

  it('fails the preview when the violated policies are mandatory', async () => {
    project.program(program(true));
    const config = path.join(project.dir, 'policy-config.json');
    writeFileSync(config, JSON.stringify({ all: 'mandatory' }));
    const r = await project.run(['preview', '--policy-pack', pack, '--policy-pack-config', config]);
    for (const v of VIOLATIONS) expect(r.output).toMatch(new RegExp(`\\[mandatory\\]\\s+${v}`));
    expect(r.code).not.toBe(0);
    // The good program passes the same mandatory pack.
    project.program(program(false));
    const good = await project.run(['preview', '--policy-pack', pack, '--policy-pack-config', config]);
    expect(good.code).toBe(0);
  });
});
