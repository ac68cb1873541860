import * as pulumi from '@pulumi/pulumi';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ValidationError } from '../api/validate';
import { CapacityBuffer, EC2NodeClass, NodeOverlay, NodePool, type NodePoolArgs } from './index';
import { containsUnresolved } from './inputs';

/** What the engine was asked to register, as the mocks saw it (inputs already resolved and serialized). */
const registered: pulumi.runtime.MockResourceArgs[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args);
        return { id: args.inputs?.metadata?.name ?? args.name, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    'karpenter-ts',
    'test',
    true, // preview: the case "fails the preview" is about
  );
});

beforeEach(() => {
  registered.length = 0;
});

/** The value an Output resolves to, or its error (Output has no public promise accessor). */
function settle<T>(output: pulumi.Output<T>): Promise<T> {
  return (output as unknown as { promise(): Promise<T> }).promise();
}

/** Run a CommonJS program (TypeScript imports allowed) from the repository root, as the Pulumi host would. */
function runProgram(source: string): Promise<{ code: number; stderr: string }> {
  const root = join(__dirname, '..', '..');
  const tsx = require.resolve('tsx/cli');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsx, '-e', source],
      { cwd: root, timeout: 55_000 },
      (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr });
      },
    );
  });
}

function registration(type: string, name: string): pulumi.runtime.MockResourceArgs {
  const found = registered.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(`${type} ${name} was not registered (saw ${registered.map((r) => r.name).join(', ')})`);
  return found;
}

const nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' };

const validNodePool: NodePoolArgs = {
  metadata: { name: 'general' },
  spec: {
    template: {
      spec: {
        requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] }],
        nodeClassRef,
      },
    },
    limits: { cpu: '1000' },
  },
};

describe('NodePool', () => {
  it('registers with the crd2pulumi type token and sends the defaulted spec', async () => {
    const pool = new NodePool('general', validNodePool);
    await settle(pool.urn);
    const { inputs } = registration('kubernetes:karpenter.sh/v1:NodePool', 'general');
    expect(inputs.apiVersion).toBe('karpenter.sh/v1');
    expect(inputs.kind).toBe('NodePool');
    expect(inputs.metadata).toEqual({ name: 'general' });
    expect(inputs.spec.disruption).toEqual({
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '0s',
      budgets: [{ nodes: '10%' }],
    });
    expect(inputs.spec.template.spec.expireAfter).toBe('720h');
    expect(inputs.spec.limits).toEqual({ cpu: '1000' });
    expect((await settle(pool.spec)).disruption.budgets).toEqual([{ nodes: '10%' }]);
    expect(NodePool.isInstance(pool)).toBe(true);
    expect(NodePool.isInstance({})).toBe(false);
    expect(EC2NodeClass.isInstance(pool)).toBe(false);
  });

  it('throws at construction, naming each bad field path and the fix, when plain args are invalid', () => {
    const build = () =>
      new NodePool('bad', {
        metadata: { name: 'bad-pool' },
        spec: {
          template: {
            spec: {
              requirements: [
                { key: 'karpenter.sh/capacity-type', operator: 'In', values: [] },
                { key: 'example.com/gen', operator: 'Gt', values: ['abc'] },
              ],
              nodeClassRef,
            },
          },
          weight: 0,
        },
      });
    expect(build).toThrow(ValidationError);
    let error: ValidationError | undefined;
    try {
      build();
    } catch (caught) {
      error = caught as ValidationError;
    }
    expect(error?.message).toMatch(/^invalid NodePool "bad-pool"/);
    const paths = error?.issues.map((i) => i.path) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining([
        'spec.template.spec.requirements.0.values',
        'spec.template.spec.requirements.1.values',
        'spec.weight',
      ]),
    );
    // Each line says what is wrong and how to fix it.
    expect(error?.message).toContain(
      'spec.template.spec.requirements.0.values: operators In and NotIn need at least one value',
    );
    expect(registered.filter((r) => r.name === 'bad')).toHaveLength(0);
  });

  it('uses the resource name in errors when metadata.name is not set', () => {
    expect(
      () =>
        new NodePool('unnamed', {
          spec: { template: { spec: { requirements: [], nodeClassRef: { ...nodeClassRef, kind: '' } } } },
        }),
    ).toThrow(/invalid NodePool "unnamed":\n {2}- spec\.template\.spec\.nodeClassRef\.kind: /);
  });

  it('fails the Pulumi program (and so the preview) when an invalid spec hidden behind an Output resolves', async () => {
    // A failed registration is an unhandled rejection in the program, which is what fails `pulumi preview`.
    // jest's sandbox intercepts those, so run a real program under the mocks in a child process.
    const program = `
      const pulumi = require('@pulumi/pulumi');
      pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs }, 'p', 's', true)
        .then(() => {
          const { NodePool } = require('./sdk/pulumi');
          const values = pulumi.output(Promise.resolve(['not-a-number']));
          new NodePool('hidden', { spec: { template: { spec: {
            requirements: [{ key: 'example.com/gen', operator: 'Gt', values }],
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
          } } } });
        });`;
    const result = await runProgram(program);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('invalid NodePool "hidden"');
    expect(result.stderr).toContain(
      'spec.template.spec.requirements.0.values: operators Gt, Lt, Gte and Lte',
    );
  }, 60_000);

  it('accepts Inputs in nested fields, validates them once resolved and applies defaults', async () => {
    const pool = new NodePool('nested', {
      metadata: { name: pulumi.output('nested-pool'), labels: { team: Promise.resolve('platform') } },
      spec: {
        template: {
          metadata: { labels: { 'example.com/team': pulumi.output('platform') } },
          spec: {
            requirements: [
              {
                key: 'node.kubernetes.io/instance-type',
                operator: 'In',
                values: pulumi.output(['m5.large', 'm5.xlarge']),
                minValues: Promise.resolve(2),
              },
            ],
            nodeClassRef: {
              group: 'karpenter.k8s.aws',
              kind: 'EC2NodeClass',
              name: pulumi.output('default'),
            },
          },
        },
        disruption: { consolidateAfter: pulumi.output('1m') },
        weight: Promise.resolve(10),
      },
    });
    await settle(pool.urn);
    const { inputs } = registration('kubernetes:karpenter.sh/v1:NodePool', 'nested');
    expect(inputs.metadata).toEqual({ name: 'nested-pool', labels: { team: 'platform' } });
    expect(inputs.spec.template.spec.requirements[0]).toEqual({
      key: 'node.kubernetes.io/instance-type',
      operator: 'In',
      values: ['m5.large', 'm5.xlarge'],
      minValues: 2,
    });
    expect(inputs.spec.disruption).toEqual({
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '1m',
      budgets: [{ nodes: '10%' }],
    });
    expect(inputs.spec.weight).toBe(10);
  });

  it('types the args from the schema', () => {
    const args: NodePoolArgs = {
      // @ts-expect-error operators come from the schema's enum
      spec: { template: { spec: { nodeClassRef, requirements: [{ key: 'a.io/b', operator: 'Within' }] } } },
    };
    // @ts-expect-error spec is required
    const missing: NodePoolArgs = { metadata: { name: 'x' } };
    expect([args, missing]).toHaveLength(2);
  });

  it('get() reads an existing NodePool by id without validating or sending a spec', async () => {
    const pool = NodePool.get('existing', 'default');
    expect(NodePool.isInstance(pool)).toBe(true);
    expect(await settle(pool.id)).toBe('default');
  });
});

describe('containsUnresolved', () => {
  it('finds Outputs and Promises at any depth, and nothing in plain values', () => {
    expect(containsUnresolved({ a: [{ b: 'x' }], c: 1, d: null, e: undefined })).toBe(false);
    expect(containsUnresolved({ a: [{ b: pulumi.output('x') }] })).toBe(true);
    expect(containsUnresolved({ a: { b: Promise.resolve(1) } })).toBe(true);
  });
});

describe('EC2NodeClass', () => {
  const spec = {
    role: 'KarpenterNodeRole-test',
    amiSelectorTerms: [{ alias: 'al2023@latest' }],
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  };

  it('registers with its type token and the IMDSv2 metadataOptions defaults', async () => {
    const nodeClass = new EC2NodeClass('default', { metadata: { name: 'default' }, spec });
    await settle(nodeClass.urn);
    const { inputs } = registration('kubernetes:karpenter.k8s.aws/v1:EC2NodeClass', 'default');
    expect(inputs.apiVersion).toBe('karpenter.k8s.aws/v1');
    expect(inputs.kind).toBe('EC2NodeClass');
    expect(inputs.spec.metadataOptions).toEqual({
      httpEndpoint: 'enabled',
      httpProtocolIPv6: 'disabled',
      httpPutResponseHopLimit: 1,
      httpTokens: 'required',
    });
    expect(EC2NodeClass.isInstance(nodeClass)).toBe(true);
    expect(NodePool.isInstance(nodeClass)).toBe(false);
  });

  it('rejects both role and instanceProfile with the field and the fix', () => {
    expect(
      () => new EC2NodeClass('both', { spec: { ...spec, instanceProfile: 'existing-profile' } }),
    ).toThrow(/spec\.instanceProfile: role and instanceProfile are mutually exclusive/);
  });

  it('accepts the node role as an Output, as it usually comes from an aws.iam.Role', async () => {
    const nodeClass = new EC2NodeClass('from-role', {
      spec: { ...spec, role: pulumi.output('KarpenterNodeRole-abc') },
    });
    await settle(nodeClass.urn);
    expect(registration('kubernetes:karpenter.k8s.aws/v1:EC2NodeClass', 'from-role').inputs.spec.role).toBe(
      'KarpenterNodeRole-abc',
    );
  });
});

describe('NodeOverlay', () => {
  const requirements = [
    { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['m5'] },
  ];

  it('registers with its v1alpha1 type token and the spec as written', async () => {
    const overlay = new NodeOverlay('m5-discount', {
      metadata: { name: 'm5-discount' },
      spec: { requirements, priceAdjustment: '-10%', weight: 10 },
    });
    await settle(overlay.urn);
    const { inputs } = registration('kubernetes:karpenter.sh/v1alpha1:NodeOverlay', 'm5-discount');
    expect(inputs.apiVersion).toBe('karpenter.sh/v1alpha1');
    expect(inputs.kind).toBe('NodeOverlay');
    expect(inputs.spec).toEqual({ requirements, priceAdjustment: '-10%', weight: 10 });
    expect(NodeOverlay.isInstance(overlay)).toBe(true);
    expect(NodePool.isInstance(overlay)).toBe(false);
  });

  it('throws at construction with the field path and the fix', () => {
    expect(
      () => new NodeOverlay('both', { spec: { requirements, price: '0.1', priceAdjustment: '-10%' } }),
    ).toThrow(/spec\.priceAdjustment: cannot set both 'price' and 'priceAdjustment'/);
    expect(() => new NodeOverlay('cpu', { spec: { requirements, capacity: { cpu: '2' } } })).toThrow(
      /spec\.capacity\.cpu: capacity adds extended resources only/,
    );
  });
});

describe('CapacityBuffer', () => {
  it('registers with its v1beta1 type token and the spec as written', async () => {
    const buffer = new CapacityBuffer('web-headroom', {
      metadata: { name: 'web-headroom', namespace: 'web' },
      spec: { scalableRef: { kind: 'Deployment', name: 'web' }, replicas: 4 },
    });
    await settle(buffer.urn);
    const { inputs } = registration('kubernetes:autoscaling.x-k8s.io/v1beta1:CapacityBuffer', 'web-headroom');
    expect(inputs.apiVersion).toBe('autoscaling.x-k8s.io/v1beta1');
    expect(inputs.kind).toBe('CapacityBuffer');
    expect(inputs.metadata).toEqual({ name: 'web-headroom', namespace: 'web' });
    expect(inputs.spec).toMatchObject({ scalableRef: { kind: 'Deployment', name: 'web' }, replicas: 4 });
    expect(CapacityBuffer.isInstance(buffer)).toBe(true);
    expect(NodeOverlay.isInstance(buffer)).toBe(false);
  });

  it('throws at construction with the field path and the fix', () => {
    expect(() => new CapacityBuffer('unsized', { spec: { podTemplateRef: { name: 'chunk' } } })).toThrow(
      /spec\.replicas: a buffer with podTemplateRef needs replicas or limits/,
    );
  });
});
