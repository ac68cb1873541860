/**
 * Typed NodePool and EC2NodeClass under the real engine, on a real API server with the generated CRDs: `pulumi up`
 * creates them with the defaults applied, a second preview finds nothing to change, an invalid pool fails the
 * preview naming the field path and the fix, `pulumi destroy` removes them.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds } from '../../runtime/kube/kinds';
import { installCrds } from '../integration/support/kube';
import { describeWithEngine, kubeconfigPath } from './support/describe';
import { PROGRAM_HEADER, PulumiProject } from './support/project';

jest.setTimeout(900_000);

function api(): ClientNodeApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath ?? '');
  return new ClientNodeApi(kc);
}

/** A pool and its class; `budgetNodes` and the restricted requirement make it invalid when asked. */
function program(opts: { budgetNodes?: string; restrictedRequirement?: boolean } = {}): string {
  const requirements = [
    `{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }`,
    ...(opts.restrictedRequirement
      ? [`{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['x'] }`]
      : []),
  ];
  return `${PROGRAM_HEADER}
import { EC2NodeClass, NodePool } from 'karpenter-ts/pulumi';

const nodeClass = new EC2NodeClass('engine-class', {
  metadata: { name: 'engine-class' },
  spec: {
    role: 'KarpenterNodeRole-engine',
    amiSelectorTerms: [{ alias: 'al2023@latest' }],
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'engine' } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'engine' } }],
  },
}, { provider });

new NodePool('engine-pool', {
  metadata: { name: 'engine-pool' },
  spec: {
    template: {
      spec: {
        requirements: [${requirements.join(', ')}],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'engine-class' },
      },
    },
    limits: { cpu: '100' },
    ${opts.budgetNodes ? `disruption: { budgets: [{ nodes: '${opts.budgetNodes}' }] },` : ''}
  },
}, { provider, dependsOn: [nodeClass] });
`;
}

describeWithEngine('typed NodePool and EC2NodeClass under pulumi', () => {
  let project: PulumiProject;

  beforeAll(async () => {
    project = new PulumiProject('typed-objects');
    await installCrds(api());
    await project.init();
  });

  it('pulumi up creates both on the API server with the defaults applied', async () => {
    project.program(program());
    const up = await project.ok(['up', '--yes', '--skip-preview']);
    expect(up.output).toMatch(/kubernetes:karpenter.sh\/v1:NodePool\s+engine-pool\s+created/);
    const pool = await api().get(Kinds.NodePool, 'engine-pool');
    expect(pool?.spec.disruption).toEqual({
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '0s',
      budgets: [{ nodes: '10%' }],
    });
    expect(pool?.spec.template.spec.expireAfter).toBe('720h');
    const nodeClass = await api().get(Kinds.EC2NodeClass, 'engine-class');
    expect(nodeClass?.spec.metadataOptions).toEqual({
      httpEndpoint: 'enabled',
      httpProtocolIPv6: 'disabled',
      httpPutResponseHopLimit: 1,
      httpTokens: 'required',
    });
  });

  it('a second preview of the same program finds nothing to change', async () => {
    const preview = await project.run(['preview', '--expect-no-changes']);
    expect(preview.output).not.toMatch(/error:/);
    expect(preview.code).toBe(0);
  });

  it('an invalid pool fails the preview with each field path and its fix, and changes nothing', async () => {
    project.program(program({ budgetNodes: '150%', restrictedRequirement: true }));
    const preview = await project.run(['preview']);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toContain('spec.template.spec.requirements.1.key');
    expect(preview.output).toContain('is restricted');
    expect(preview.output).toContain('remove it');
    expect(preview.output).toContain('spec.disruption.budgets.0.nodes');
    expect(preview.output).toContain('a percentage from "0%" to "100%"');
    expect((await api().get(Kinds.NodePool, 'engine-pool'))?.spec.disruption?.budgets).toEqual([
      { nodes: '10%' },
    ]);
  });

  it('pulumi destroy removes them', async () => {
    project.program(program());
    await project.ok(['destroy', '--yes', '--skip-preview']);
    expect(await api().get(Kinds.NodePool, 'engine-pool')).toBeUndefined();
    expect(await api().get(Kinds.EC2NodeClass, 'engine-class')).toBeUndefined();
  });
});
