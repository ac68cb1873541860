import { isCapacityBuffer, parseManifests } from '../manifests';
import { capacityBufferSchema, type CapacityBufferInput } from './capacitybuffer';
import { validate } from './validate';

type Spec = CapacityBufferInput['spec'];

function buffer(spec: Spec): unknown {
  return {
    apiVersion: 'autoscaling.x-k8s.io/v1beta1',
    kind: 'CapacityBuffer',
    metadata: { name: 'headroom', namespace: 'default' },
    spec,
  };
}

const problems = (spec: Spec) => {
  const result = validate(capacityBufferSchema, buffer(spec));
  return result.success ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('CapacityBuffer schema', () => {
  it('accepts the shapes upstream documents and defaults the strategy', () => {
    expect(problems({ podTemplateRef: { name: 'app' }, replicas: 3 })).toEqual([]);
    expect(problems({ podTemplateRef: { name: 'app' }, limits: { cpu: '4' } })).toEqual([]);
    expect(problems({ scalableRef: { kind: 'Deployment', name: 'web' }, percentage: 20 })).toEqual([]);
    expect(
      problems({ scalableRef: { apiGroup: 'apps', kind: 'StatefulSet', name: 'db' }, replicas: 0 }),
    ).toEqual([]);
    const parsed = capacityBufferSchema.parse(buffer({ podTemplateRef: { name: 'app' }, replicas: 1 }));
    expect(parsed.spec.provisioningStrategy).toBe('buffer.x-k8s.io/active-capacity');
  });

  it('refuses what upstream refuses, naming the field and the fix', () => {
    expect(problems({ podTemplateRef: { name: 'app' } })).toEqual([
      'spec.replicas: a buffer with podTemplateRef needs replicas or limits to size it: set replicas (how many pods of the template to keep room for) or limits (as many as fit in them)',
    ]);
    expect(
      problems({
        podTemplateRef: { name: 'app' },
        scalableRef: { kind: 'Deployment', name: 'w' },
        replicas: 1,
      }),
    ).toEqual([
      'spec.scalableRef: set either podTemplateRef or scalableRef, not both: keep podTemplateRef for a PodTemplate, or scalableRef for a Deployment, StatefulSet or ReplicaSet',
    ]);
    expect(problems({ podTemplateRef: { name: 'app' }, replicas: -1 })[0]).toMatch(
      /^spec.replicas: must be 0 or more/,
    );
    expect(problems({ podTemplateRef: { name: '' }, replicas: 1 })[0]).toMatch(
      /^spec.podTemplateRef.name: must not be empty/,
    );
    expect(problems({ scalableRef: { kind: 'Deployment', name: 'w' }, percentage: 1.5 })[0]).toMatch(
      /^spec.percentage: must be a whole number/,
    );
  });

  it('refuses what karpenter-ts cannot honour instead of ignoring it', () => {
    // Upstream ignores percentage on a podTemplateRef buffer.
    expect(problems({ podTemplateRef: { name: 'app' }, replicas: 1, percentage: 50 })).toEqual([
      "spec.percentage: percentage is a share of the scalableRef's replicas: set scalableRef, or size a podTemplateRef buffer with replicas",
    ]);
    // Another strategy would be left to another autoscaler; none runs here.
    expect(
      problems({
        podTemplateRef: { name: 'app' },
        replicas: 1,
        provisioningStrategy: 'example.com/passive' as 'buffer.x-k8s.io/active-capacity',
      }),
    ).toEqual([
      'spec.provisioningStrategy: must be "buffer.x-k8s.io/active-capacity" (got "example.com/passive")',
    ]);
  });

  it('is parsed from YAML as a CapacityBuffer', () => {
    const [obj] = parseManifests(
      [
        'apiVersion: autoscaling.x-k8s.io/v1beta1',
        'kind: CapacityBuffer',
        'metadata: {name: headroom, namespace: web}',
        'spec: {scalableRef: {kind: Deployment, name: web}, replicas: 2}',
      ].join('\n'),
    );
    expect(obj && isCapacityBuffer(obj)).toBe(true);
    expect(() =>
      parseManifests(
        'apiVersion: autoscaling.x-k8s.io/v1beta1\nkind: CapacityBuffer\nmetadata: {name: b}\nspec: {podTemplateRef: {name: app}}\n',
      ),
    ).toThrow(/spec.replicas: a buffer with podTemplateRef needs replicas or limits/);
  });
});
