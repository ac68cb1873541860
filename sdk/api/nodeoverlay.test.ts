import { isNodeOverlay, parseManifests } from '../manifests';
import { nodeOverlaySchema } from './nodeoverlay';
import { nodeOverlay } from './testing';
import { validate } from './validate';

const problems = (input: unknown) => {
  const result = validate(nodeOverlaySchema, input);
  return result.success ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('NodeOverlay schema', () => {
  it('accepts a discount, a fixed price, extended resources and a weight', () => {
    expect(problems(nodeOverlay())).toEqual([]);
    expect(problems(nodeOverlay({ priceAdjustment: undefined, price: '0.0123' }))).toEqual([]);
    expect(
      problems(
        nodeOverlay({
          requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['default'] }],
          priceAdjustment: undefined,
          capacity: { 'example.com/device': '2', 'hugepages-2Mi': '1Gi' },
          weight: 10000,
        }),
      ),
    ).toEqual([]);
    // An empty list selects every instance type, as upstream.
    expect(problems(nodeOverlay({ requirements: [] }))).toEqual([]);
  });

  it('names the field and the fix for bad input', () => {
    expect(problems(nodeOverlay({ requirements: undefined }))).toEqual([
      'spec.requirements: is required: list the requirements the overlay selects on, or write requirements: [] to select every instance type',
    ]);
    expect(problems(nodeOverlay({ priceAdjustment: '10%' }))[0]).toMatch(
      /^spec.priceAdjustment: must be a signed amount .* \(got "10%"\)$/,
    );
    expect(problems(nodeOverlay({ priceAdjustment: '-150%' }))[0]).toMatch(/a decrease of at most "-100%"/);
    expect(problems(nodeOverlay({ priceAdjustment: undefined, price: '-1' }))[0]).toMatch(
      /^spec.price: must be a non-negative price/,
    );
    expect(problems(nodeOverlay({ weight: 0 }))[0]).toMatch(/^spec.weight: must be at least 1/);
    expect(problems(nodeOverlay({ weight: 10001 }))[0]).toMatch(/^spec.weight: must be at most 10000/);
    expect(problems(nodeOverlay({ capacity: { memory: '1Gi', pods: 10 } }))).toHaveLength(2);
    expect(
      problems(
        nodeOverlay({
          requirements: [
            { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large'], minValues: 1 },
          ],
        }),
      )[0],
    ).toMatch(/^spec.requirements.0: unknown field "minValues"/);
    expect(
      problems(nodeOverlay({ requirements: [{ key: 'kubernetes.io/hostname', operator: 'Exists' }] }))[0],
    ).toMatch(/^spec.requirements.0.key: label "kubernetes.io\/hostname" is restricted/);
    expect(
      problems(nodeOverlay({ requirements: [{ key: 'karpenter.sh/unknown', operator: 'Exists' }] }))[0],
    ).toMatch(/^spec.requirements.0.key: label domain "karpenter.sh"/);
  });

  it('is validated in YAML manifests by its apiVersion and kind', () => {
    const doc = (extra: string) =>
      [
        'apiVersion: karpenter.sh/v1alpha1',
        'kind: NodeOverlay',
        'metadata: { name: spot-discount }',
        'spec:',
        '  requirements: [{ key: karpenter.sh/capacity-type, operator: In, values: [spot] }]',
        '  priceAdjustment: "-20%"',
        extra,
      ].join('\n');
    const [overlay] = parseManifests(doc(''));
    expect(overlay && isNodeOverlay(overlay) ? overlay.spec.priceAdjustment : undefined).toBe('-20%');
    expect(() => parseManifests(doc('  price: "0.1"'))).toThrow(
      /spec.priceAdjustment: cannot set both 'price' and 'priceAdjustment'/,
    );
  });
});
