/**
 * The drift preview on resolved values (AMIs, subnets, security groups), decided by the AWS provider's own
 * function: offline (id terms and the NodeClaims' image ids), with a resolver standing for AWS, and through the
 * KarpenterInstall component.
 */
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { ec2NodeClassSchema } from '../../sdk/api/ec2nodeclass';
import { nodePoolSchema } from '../../sdk/api/nodepool';
import { amiRequirements } from '../../runtime/cloudprovider/aws/drift';
import { driftAnnotations } from '../../runtime/controllers/disruption/drift';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../runtime/kube/objects';
import {
  computeDriftPreview,
  previewDrift,
  type DriftResolver,
  type PlannedResolution,
  type PreviewFacts,
} from '../../provider/drift-preview';
import { KarpenterInstall, type DriftPreview } from '../../provider';
import { unknownInputs } from '../../provider/drift-preview';
import type { EC2NodeClassArgs } from '../../sdk/pulumi';
import { installMocks, reset, settled, valueOf } from './mocks';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' };
const discovery = { tags: { 'karpenter.sh/discovery': 'demo' } };

const poolSpec = (budget: string) => ({
  template: {
    spec: {
      requirements: [{ key: 'kubernetes.io/arch', operator: 'In' as const, values: ['amd64'] }],
      nodeClassRef,
    },
  },
  disruption: { budgets: [{ nodes: budget }] },
});

function pool(budget = '2'): NodePool {
  return nodePoolSchema.parse({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'workshop' },
    spec: poolSpec(budget),
  });
}

type ClassSpec = Partial<EC2NodeClass['spec']>;
const classSpec = (spec: ClassSpec) => ({
  role: 'KarpenterNodeRole-demo',
  amiFamily: 'AL2023' as const,
  amiSelectorTerms: [{ id: 'ami-old' }],
  subnetSelectorTerms: [discovery],
  securityGroupSelectorTerms: [discovery],
  ...spec,
});

function nodeClass(spec: ClassSpec = {}): EC2NodeClass {
  return ec2NodeClassSchema.parse({
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: 'default' },
    spec: classSpec(spec),
  });
}

const launchedFrom = nodeClass();

/** A running NodeClaim of the pool, stamped as launched from `launchedFrom` with the given image. */
function claim(n: number, imageID = 'ami-old', deleting = false): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: `workshop-${n}`,
      labels: {
        'karpenter.sh/nodepool': 'workshop',
        'node.kubernetes.io/instance-type': 'm5.large',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': 'us-east-1a',
        'karpenter.sh/capacity-type': 'on-demand',
      },
      annotations: driftAnnotations(pool(), launchedFrom),
      ...(deleting ? { deletionTimestamp: '2026-11-22T11:00:00Z' } : {}),
    },
    spec: { requirements: [], nodeClassRef, expireAfter: '720h' },
    status: { providerID: `aws:///us-east-1a/i-0${n}`, nodeName: `ip-10-0-0-${n}`, imageID },
  };
}

const claims = [1, 2, 3, 4, 5].map((n) => claim(n));

/** What AWS would answer: discovery tags find subnet-a/b and sg-1; ids resolve to themselves. */
function fakeAws(): DriftResolver & { asked: string[] } {
  const asked: string[] = [];
  const ids = (terms: { id?: string }[], byTag: string[]) => terms.flatMap((t) => (t.id ? [t.id] : byTag));
  return {
    asked,
    async resolve(nodeClasses, providerIDs) {
      asked.push(...providerIDs);
      const classes = new Map<string, PlannedResolution>();
      for (const nc of nodeClasses) {
        classes.set(nc.metadata.name ?? '', {
          amis: nc.spec.amiSelectorTerms.map((t) => ({
            id: t.id ?? '',
            requirements: amiRequirements('amd64'),
          })),
          subnetIds: ids(nc.spec.subnetSelectorTerms, ['subnet-a', 'subnet-b']),
          zones: ['us-east-1a', 'us-east-1b'],
          securityGroupIds: ids(nc.spec.securityGroupSelectorTerms, ['sg-1']),
        });
      }
      const instances = new Map(
        providerIDs.map((p) => [p, { imageId: 'ami-old', subnetId: 'subnet-a', securityGroupIds: ['sg-1'] }]),
      );
      return { nodeClasses: classes, instances } satisfies PreviewFacts;
    },
  };
}

async function withResolver(planned: EC2NodeClass, resolver: DriftResolver, live = claims) {
  const report = await computeDriftPreview({
    nodePools: [pool()],
    nodeClasses: [planned],
    reader: async () => live,
    dryRun: true,
    previous: undefined,
    now: NOW,
    resolver,
  });
  if (report.mode !== 'live') throw new Error(`expected a live report, got ${report.reason}`);
  return report;
}

describe('drift preview of resolved values', () => {
  it('previews a new AMI id term as AMIDrift of every node, in the rounds the Drifted budget allows', () => {
    const report = previewDrift({
      nodePools: [pool('2')],
      nodeClasses: [nodeClass({ amiSelectorTerms: [{ id: 'ami-new' }] })],
      nodeClaims: [...claims, claim(6, 'ami-old', true)],
      now: NOW,
    });
    const [workshop] = report.pools;
    expect(workshop?.drifted).toEqual(
      [1, 2, 3, 4, 5].map((n) => ({
        nodeClaim: `workshop-${n}`,
        node: `ip-10-0-0-${n}`,
        reason: 'AMIDrift',
      })),
    );
    // 6 live claims, one already disrupting: 2 - 1 = 1 per round for 5 drifted nodes.
    expect(workshop).toMatchObject({ nodes: 6, allowedPerRound: 1, rounds: 5, unknown: [] });
    expect(report.summary[0]).toMatch(/5 of 6 nodes drift: ip-10-0-0-1 \(AMIDrift\).*; 5 disruption rounds/);
  });

  it('reports what it could not check offline instead of claiming nothing drifts', () => {
    const report = previewDrift({
      nodePools: [pool()],
      nodeClasses: [nodeClass({ subnetSelectorTerms: [{ tags: { tier: 'private' } }] })],
      nodeClaims: claims,
      now: NOW,
    });
    const [workshop] = report.pools;
    expect(workshop?.drifted).toEqual([]);
    expect(workshop?.unknown).toHaveLength(5);
    expect(workshop?.notChecked).toContain(
      'subnets not checked: subnetSelectorTerms select by tags: AWS access needed (give the drift preview a region)',
    );
    expect(report.summary[0]).toMatch(
      /none of its 5 nodes drift by the checks made; 5 not known \(.*subnets not checked/,
    );
  });

  it('previews adding a subnet term as replacing no node', async () => {
    const aws = fakeAws();
    const report = await withResolver(
      nodeClass({ subnetSelectorTerms: [discovery, { id: 'subnet-new' }] }),
      aws,
    );
    expect(report.pools[0]).toMatchObject({ drifted: [], unknown: [], notChecked: [], rounds: 0 });
    expect(report.summary).toEqual(['NodePool workshop: none of its 5 nodes drift']);
    expect(aws.asked).toEqual(claims.map((c) => c.status?.providerID));
  });

  it('checks security groups before subnets, as the controller does', async () => {
    const report = await withResolver(
      nodeClass({ subnetSelectorTerms: [{ id: 'subnet-c' }], securityGroupSelectorTerms: [{ id: 'sg-2' }] }),
      fakeAws(),
    );
    expect(new Set(report.pools[0]?.drifted.map((d) => d.reason))).toEqual(new Set(['SecurityGroupDrift']));
    const subnets = await withResolver(nodeClass({ subnetSelectorTerms: [{ id: 'subnet-c' }] }), fakeAws());
    expect(subnets.pools[0]?.drifted).toHaveLength(5);
    expect(subnets.pools[0]?.drifted[0]?.reason).toBe('SubnetDrift');
  });

  it('falls back to id terms, and says AWS failed, when the resolver does', async () => {
    const failing: DriftResolver = { resolve: () => Promise.reject(new Error('ExpiredToken')) };
    const report = await withResolver(nodeClass({ amiSelectorTerms: [{ id: 'ami-new' }] }), failing);
    expect(report.pools[0]?.drifted).toHaveLength(5);
    const steady = await withResolver(nodeClass(), failing);
    expect(steady.pools[0]?.notChecked).toContain(
      'subnets not checked: subnetSelectorTerms select by tags: not read from AWS (ExpiredToken)',
    );
  });

  it('says when the controller would decide no drift at all', async () => {
    const empty: DriftResolver = {
      async resolve(nodeClasses, providerIDs) {
        const facts = await fakeAws().resolve(nodeClasses, providerIDs);
        const [name, planned] = [...facts.nodeClasses][0] as [string, PlannedResolution];
        return { ...facts, nodeClasses: new Map([[name, { ...planned, subnetIds: [] }]]) };
      },
    };
    const report = await withResolver(nodeClass({ securityGroupSelectorTerms: [{ id: 'sg-2' }] }), empty);
    expect(report.pools[0]).toMatchObject({
      drifted: [],
      unknown: [],
      notChecked: ['no drift decided while subnetSelectorTerms resolve to no subnet'],
    });
  });
});

/** An install with one node class and the "workshop" pool, reading two of the claims through the fake AWS. */
function workshopInstall(name: string, spec: EC2NodeClassArgs['spec']): KarpenterInstall {
  return new KarpenterInstall(name, {
    clusterName: 'demo',
    clusterEndpoint: 'https://example.com',
    kubernetesProvider: new k8s.Provider(`${name}-k8s`, { kubeconfig: '{}' }),
    image: 'example.com/karpenter-ts:1',
    nodeClasses: { default: { metadata: { name: 'default' }, spec } },
    nodePools: { workshop: { metadata: { name: 'workshop' }, spec: poolSpec('2') } },
    driftPreview: { readNodeClaims: async () => claims.slice(0, 2), resolver: fakeAws() },
  });
}

describe('KarpenterInstall drift preview with a resolver', () => {
  beforeAll(() => installMocks(true));
  beforeEach(reset);
  jest.setTimeout(60_000);

  it('passes driftPreview.resolver through and reports resolved drift', async () => {
    const component = workshopInstall(
      'resolved',
      classSpec({ securityGroupSelectorTerms: [{ id: 'sg-2' }] }),
    );
    const report = (await valueOf(component.driftPreview)) as DriftPreview;
    await settled();
    if (report.mode !== 'live') throw new Error('expected a live report');
    expect(report.pools[0]).toMatchObject({ allowedPerRound: 2, rounds: 1 });
    expect(report.pools[0]?.drifted.map((d) => d.reason)).toEqual([
      'SecurityGroupDrift',
      'SecurityGroupDrift',
    ]);
  });
});

describe('KarpenterInstall drift preview with inputs a preview cannot know', () => {
  beforeAll(() => installMocks(true));
  beforeEach(reset);
  jest.setTimeout(60_000);

  it('says it could not run, naming the unknown input, instead of reporting nothing', async () => {
    const warnings: string[] = [];
    const warn = jest.spyOn(pulumi.log, 'warn').mockImplementation(async (msg: string) => {
      warnings.push(msg);
    });
    try {
      // A role this update creates: in a preview its uniqueId is not known yet.
      const role = new aws.iam.Role('fresh', { assumeRolePolicy: '{}' });
      const component = workshopInstall('unknowns', { ...classSpec({}), role: role.uniqueId });
      await valueOf(component.urn);
      await settled();
      expect(warnings).toEqual([
        expect.stringMatching(
          /^drift preview: not run: nodeClasses\[0\]\.spec not known until this update creates/,
        ),
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it('stays quiet about unknowns when every input is known', async () => {
    expect(
      await unknownInputs([
        ['a', pulumi.output('x')],
        ['b', 'y'],
        ['c', undefined],
      ]),
    ).toEqual([]);
  });
});
