import { renderViewer, bar } from './render';
import type { ViewerModel } from './model';

const model: ViewerModel = {
  nodes: [
    {
      name: 'i-0123456789abcdef2',
      nodePool: 'pool',
      instanceType: 't3a.medium',
      capacityType: 'on-demand',
      zone: 'us-east-1a',
      price: 0.0376,
      allocatable: { cpu: 1780, memory: 3554 * 2 ** 20 },
      requested: { cpu: 1600, memory: 2048 * 2 ** 20 },
      pods: 8,
      ready: true,
      deleting: false,
      cordoned: false,
      labels: {},
    },
    {
      name: 'i-0123456789abcdef3',
      instanceType: 'm6g.large',
      capacityType: 'spot',
      zone: 'us-east-1b',
      price: 0.028,
      allocatable: { cpu: 1930, memory: 7 * 2 ** 30 },
      requested: {},
      pods: 0,
      ready: true,
      deleting: true,
      cordoned: false,
      labels: { team: 'web' },
    },
  ],
  pods: { total: 11, pending: 0, running: 11, bound: 11 },
};

describe('node viewer rendering', () => {
  it('draws bars proportionally', () => {
    expect(bar(0.5, 10)).toBe('█████░░░░░');
    expect(bar(0, 4)).toBe('░░░░');
    expect(bar(1.2, 4)).toBe('████');
  });

  it('renders a known cluster exactly', () => {
    expect(renderViewer(model, { extraLabels: ['team'] })).toBe(
      [
        `2 nodes (     1600m/3710m) 43.1% cpu ${'█'.repeat(17)}${'░'.repeat(23)} $0.066/hour | $47.888/month`,
        '11 pods (0 pending 11 running 11 bound)',
        '',
        `i-0123456789abcdef2 cpu ${'█'.repeat(31)}${'░'.repeat(4)}  90% (8 pods) t3a.medium/$0.0376 On-Demand - Ready -`,
        `i-0123456789abcdef3 cpu ${'░'.repeat(35)}   0% (0 pods) m6g.large/$0.0280 Spot Deleting Ready web`,
      ].join('\n'),
    );
  });

  it('adds a memory line per node when asked', () => {
    const lines = renderViewer(model, { resources: ['cpu', 'memory'] }).split('\n');
    expect(lines[1]).toMatch(/^ {7} \( {6}2Gi\/10\.5Gi\) 19\.1% memory /);
    expect(lines[5]).toMatch(/^ {19} memory █{20}░{15} {2}58%$/);
  });
});
