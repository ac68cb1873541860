/** The Pulumi examples run under mocks: the lab program and the seed NodePools, checked by the policy pack too. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { labProgram } from '../../examples/pulumi/lab';
import { seedNodePools } from '../../examples/pulumi/seed-nodepools';
import { checkResource, MISTAKE_RULES } from '../../provider/policy/rules';
import { installMocks, ofType, reset, settled, valueOf } from './mocks';

// Registering a component's graph under mocks takes seconds on a busy machine.
jest.setTimeout(60_000);

beforeAll(() => installMocks());
beforeEach(reset);

// A source checkout has no prebuilt image context unless `npm run bundle` ran; the default image build is
// checked from the packed package in tests/package.
const cluster = { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/karpenter-ts:test' };

const labYaml = (file: string) =>
  load(readFileSync(join(__dirname, '..', '..', 'examples', 'lab', file), 'utf8'));

describe('the lab example', () => {
  it('deploys the developers-workshop cluster, NodePool, EC2NodeClass and workloads from examples/lab', async () => {
    const lab = labProgram({ cluster });
    await valueOf(lab.cluster.install.urn);
    await Promise.all(lab.workloads.map((w) => valueOf(w.urn)));
    await settled();
    expect(await valueOf(lab.cluster.clusterName)).toBe('developers-workshop');
    const pool = ofType('kubernetes:karpenter.sh/v1:NodePool');
    expect(pool.map((p) => p.inputs.metadata.name)).toEqual(['developers-workshop-pool']);
    const manifestPool = labYaml('nodepool.yaml') as {
      spec: { template: { spec: { requirements: unknown } } };
    };
    expect(pool[0].inputs.spec.template.spec.requirements).toEqual(
      manifestPool.spec.template.spec.requirements,
    );
    const nodeClass = ofType('kubernetes:karpenter.k8s.aws/v1:EC2NodeClass')[0].inputs;
    // The manifest's role is the node role the component creates for this cluster.
    expect(nodeClass.spec.role).toBe('KarpenterNodeRole-developers-workshop');
    expect(ofType('aws:iam/role:Role').map((r) => r.inputs.name)).toContain(
      'KarpenterNodeRole-developers-workshop',
    );
    const app = ofType('kubernetes:apps/v1:Deployment').find(
      (d) => d.inputs.metadata.name === 'fastapi-deployment',
    );
    expect(app?.inputs.spec.template.spec.nodeSelector).toEqual({ 'workload-type': 'developers-workshop' });
    expect(app?.inputs.metadata.namespace).toBe('my-cool-app');
    const db = ofType('kubernetes:apps/v1:StatefulSet');
    expect(db.map((d) => d.inputs.metadata.name)).toEqual(['fastapi-postgres']);
    expect(ofType('kubernetes:core/v1:Namespace').map((n) => n.inputs.metadata.name)).toContain(
      'my-cool-app',
    );
  });

  it('adds the seed NodePools and the GPU node class when asked', async () => {
    const lab = labProgram({ seedNodePools: true, cluster });
    await valueOf(lab.cluster.install.urn);
    await settled();
    const pools = ofType('kubernetes:karpenter.sh/v1:NodePool').map((p) => p.inputs.metadata.name);
    expect(pools.sort()).toEqual([
      'developers-workshop-pool',
      'gpu',
      'graviton',
      'high-memory',
      'spot-first',
    ]);
    const classes = ofType('kubernetes:karpenter.k8s.aws/v1:EC2NodeClass').map((c) => c.inputs.metadata.name);
    expect(classes.sort()).toEqual(['default', 'gpu']);
  });
});

describe('the seed NodePools', () => {
  it('keep the seed requirements and pass every common-mistake rule', () => {
    expect(Object.keys(seedNodePools).sort()).toEqual(['gpu', 'graviton', 'high-memory', 'spot-first']);
    for (const [name, args] of Object.entries(seedNodePools)) {
      const resource = {
        type: 'kubernetes:karpenter.sh/v1:NodePool',
        props: { metadata: { name }, spec: args.spec },
      };
      for (const rule of MISTAKE_RULES) expect(checkResource(rule, resource)).toEqual([]);
    }
  });
});
