import fc from 'fast-check';
import {
  add,
  exceeded,
  fits,
  formatCpu,
  fromResourceList,
  parseQuantity,
  podRequests,
  subtract,
  toResourceList,
} from './resources';
import { GiB, MiB, pod } from './testing';

describe('parseQuantity', () => {
  it.each<[string | number, number]>([
    ['1', 1],
    ['1.5', 1.5],
    ['250m', 0.25],
    ['1500m', 1.5],
    ['1Ki', 1024],
    ['256Mi', 256 * 1024 * 1024],
    ['4Gi', 4 * 1024 ** 3],
    ['1.5Gi', 1610612736],
    ['1Ti', 1024 ** 4],
    ['2k', 2000],
    ['3M', 3_000_000],
    ['4G', 4_000_000_000],
    ['1T', 1e12],
    ['1e3', 1000],
    ['1.5e3', 1500],
    ['1E3', 1000],
    ['5e-3', 0.005],
    ['2E', 2e18],
    ['100n', 100e-9],
    [' 200m ', 0.2],
    [7, 7],
  ])('%p → %p', (q, value) => {
    expect(parseQuantity(q)).toBeCloseTo(value, 12);
  });

  it('rejects malformed quantities with a message that shows the expected form', () => {
    expect(() => parseQuantity('abc')).toThrow(
      'invalid quantity "abc": expected a number with an optional suffix such as 250m or 4Gi',
    );
    expect(() => parseQuantity('')).toThrow('invalid quantity "": expected a number');
    expect(() => parseQuantity('1 Gi')).toThrow('invalid quantity "1 Gi"');
    expect(() => parseQuantity('Gi')).toThrow('invalid quantity "Gi"');
  });

  it('rejects unknown suffixes by name', () => {
    expect(() => parseQuantity('5Xi')).toThrow('invalid quantity "5Xi": unknown suffix "Xi"');
    expect(() => parseQuantity('5K')).toThrow('invalid quantity "5K": unknown suffix "K"');
    expect(() => parseQuantity('1mi')).toThrow('invalid quantity "1mi": unknown suffix "mi"');
  });
});

describe('fromResourceList / toResourceList', () => {
  it('converts cpu to millicores and everything else to whole base units', () => {
    expect(
      fromResourceList({
        cpu: '250m',
        memory: '1.5Gi',
        pods: '110',
        'ephemeral-storage': '20Gi',
        'nvidia.com/gpu': 1,
      }),
    ).toEqual({
      cpu: 250,
      memory: 1610612736,
      pods: 110,
      'ephemeral-storage': 20 * GiB,
      'nvidia.com/gpu': 1,
    });
    expect(fromResourceList({ cpu: '0.1' })).toEqual({ cpu: 100 });
    expect(fromResourceList({ cpu: '1.5' })).toEqual({ cpu: 1500 });
    expect(fromResourceList({ cpu: 2 })).toEqual({ cpu: 2000 });
    expect(fromResourceList({ cpu: '0.0001' })).toEqual({ cpu: 0 });
    expect(fromResourceList(undefined)).toEqual({});
  });

  it('renders cpu as cores or millicores and memory with the largest exact binary suffix', () => {
    expect(
      toResourceList({
        cpu: 1780,
        memory: 3554 * MiB,
        pods: 17,
        'ephemeral-storage': 19 * GiB,
        'nvidia.com/gpu': 4,
      }),
    ).toEqual({
      cpu: '1780m',
      memory: '3554Mi',
      pods: '17',
      'ephemeral-storage': '19Gi',
      'nvidia.com/gpu': '4',
    });
    expect(toResourceList({ cpu: 2000, memory: 4 * GiB })).toEqual({ cpu: '2', memory: '4Gi' });
    expect(toResourceList({ cpu: 0, memory: 1536 })).toEqual({ cpu: '0', memory: '1536' });
    expect(toResourceList({ memory: 1536 * 1024 })).toEqual({ memory: '1536Ki' });
  });

  it('round-trips whole runtime values', () => {
    fc.assert(
      fc.property(
        fc.record({
          cpu: fc.integer({ min: 0, max: 1_000_000 }),
          memory: fc.integer({ min: 0, max: 2 ** 44 }),
          'ephemeral-storage': fc.integer({ min: 0, max: 2 ** 44 }),
          pods: fc.integer({ min: 0, max: 1000 }),
        }),
        (r) => {
          expect(fromResourceList(toResourceList(r))).toEqual(r);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('podRequests', () => {
  it('sums the containers and adds one pod slot', () => {
    const p = pod('p', {
      containers: [
        { name: 'a', resources: { requests: { cpu: '100m', memory: '128Mi' } } },
        { name: 'b', resources: { requests: { cpu: '250m', memory: '256Mi', 'nvidia.com/gpu': '1' } } },
      ],
    });
    expect(podRequests(p)).toEqual({ cpu: 350, memory: 384 * MiB, 'nvidia.com/gpu': 1, pods: 1 });
  });

  it('takes the larger of the containers’ sum and each init container, per resource', () => {
    const p = pod('p', {
      containers: [
        { name: 'a', resources: { requests: { cpu: '500m', memory: '128Mi' } } },
        { name: 'b', resources: { requests: { cpu: '500m', memory: '128Mi' } } },
      ],
      initContainers: [
        { name: 'migrate', resources: { requests: { cpu: '1500m', memory: '64Mi' } } },
        { name: 'warm', resources: { requests: { cpu: '100m', memory: '1Gi' } } },
      ],
    });
    expect(podRequests(p)).toEqual({ cpu: 1500, memory: GiB, pods: 1 });
  });

  it('an init container smaller than the containers changes nothing', () => {
    const p = pod('p', {
      containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' } } }],
      initContainers: [{ name: 'init', resources: { requests: { cpu: '100m', memory: '10Mi' } } }],
    });
    expect(podRequests(p)).toEqual({ cpu: 1000, memory: GiB, pods: 1 });
  });

  it('uses limits when requests are absent', () => {
    const p = pod('p', {
      containers: [{ name: 'a', resources: { limits: { cpu: '2', memory: '1Gi' } } }],
    });
    expect(podRequests(p)).toEqual({ cpu: 2000, memory: GiB, pods: 1 });
  });

  it('defaults each missing request from its limit, resource by resource, as Kubernetes does', () => {
    const p = pod('p', {
      containers: [
        { name: 'a', resources: { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '512Mi' } } },
      ],
    });
    expect(podRequests(p)).toEqual({ cpu: 100, memory: 512 * MiB, pods: 1 });
  });

  it('a pod without any requests still takes a pod slot', () => {
    const p = pod('p', { containers: [{ name: 'a' }, { name: 'b', resources: {} }] });
    expect(podRequests(p)).toEqual({ pods: 1 });
  });
});

describe('resource arithmetic', () => {
  it('add and subtract work per key without mutating their inputs', () => {
    const a = { cpu: 1000, memory: 10 };
    expect(add(a, { cpu: 500, pods: 1 })).toEqual({ cpu: 1500, memory: 10, pods: 1 });
    expect(subtract(a, { cpu: 1500, pods: 1 })).toEqual({ cpu: -500, memory: 10, pods: -1 });
    expect(a).toEqual({ cpu: 1000, memory: 10 });
  });

  it('fits and exceeded agree; zero requests of a missing resource fit', () => {
    const available = { cpu: 1780, memory: 3554 * MiB, pods: 17 };
    expect(fits({ cpu: 1780, pods: 1 }, available)).toBe(true);
    expect(fits({ cpu: 1781, pods: 1 }, available)).toBe(false);
    expect(fits({ 'nvidia.com/gpu': 0 }, available)).toBe(true);
    expect(fits({ 'nvidia.com/gpu': 1 }, available)).toBe(false);
    expect(exceeded({ cpu: 1781, memory: 1, pods: 18, 'nvidia.com/gpu': 1 }, available)).toEqual([
      'cpu',
      'pods',
      'nvidia.com/gpu',
    ]);
    expect(exceeded({ cpu: 1780 }, available)).toEqual([]);
  });

  it('formatCpu prints whole cores without a suffix', () => {
    expect(formatCpu(200)).toBe('200m');
    expect(formatCpu(2000)).toBe('2');
    expect(formatCpu(1780)).toBe('1780m');
  });
});
