import { median, renderSection } from './report';
import type { Results } from './run';
import type { RunResult } from './scenario';

function run(controller: string, allRunningS: number | undefined, nodes: number, gets: number): RunResult {
  return {
    controller,
    build: controller === 'upstream' ? 'v1.15.0' : 'abc1234',
    pods: 1000,
    podsCreatedS: 50,
    ...(allRunningS === undefined ? {} : { allRunningS }),
    startupP50S: 5,
    startupP99S: 30,
    scaleUp: {
      nodes,
      types: { 'm5.large': nodes },
      costPerHour: 10,
      cpuUtilisation: 0.9,
      memoryUtilisation: 0.7,
    },
    scaleDownTimeoutS: 600,
    scaleDown: { nodes: 2, types: {}, costPerHour: 3, cpuUtilisation: 0.8, memoryUtilisation: 0.6 },
    evictions: 100,
    evictionsRefused: 0,
    pdbViolationSamples: 0,
    disruptionDecisions: 4,
    nodeClaimsCreated: nodes,
    controllerCpuScaleUpS: 5,
    controllerCpuS: 20,
    controllerPeakRssMiB: 150,
    controllerRequests: { GET: gets, POST: 10 },
    apiserverRequests: {},
    controlPlaneCpuS: {},
    loadAverage: [1, 1, 1],
  } as RunResult;
}

describe('e2e report', () => {
  it('takes the median of odd and even sets, leaving out runs without a value', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([undefined, 5])).toBe(5);
    expect(median([undefined])).toBeUndefined();
  });

  it('shows repeated runs as the median with their range, and the ratio of the medians', () => {
    const results: Results = {
      date: '2026-12-01T00:00:00Z',
      machine: 'test',
      command: 'npm run bench:e2e -- --sizes 1000 --repeat 3',
      runs: [
        run('karpenter-ts', 60, 20, 10),
        run('karpenter-ts', 50, 30, 30),
        run('karpenter-ts', undefined, 25, 20),
        {
          ...run('upstream', 100, 10, 20),
          startupPhases: { plan: 4, launch: 1, 'node ready': 2, initialized: 1, bound: 3, running: 1 },
        },
      ],
    };
    const text = renderSection(results);
    const row = (label: string) => text.split('\n').find((l) => l.startsWith(`| ${label} |`));
    expect(row('all pods Running, s')).toBe(
      '| all pods Running, s | 55 (50–60) [1 of 3 timed out] | 100 | 0.55× |',
    );
    expect(row('nodes after scale-up')).toBe('| nodes after scale-up | 25 (20–30) | 10 | 2.50× |');
    expect(row('runs')).toBe('| runs | 3 | 1 | |');
    expect(row('controller requests by method')).toBe(
      '| controller requests by method | GET 20, POST 10 | GET 20, POST 10 | |',
    );
    expect(row('instance types after scale-up (median run)')).toContain('m5.large 25');
    // Results recorded before the phases were measured show a dash, not zeros.
    expect(text).toContain(
      '| startup of pods that waited for a node, median s: plan / launch / node ready / initialized / bound / running | — | 4 / 1 / 2 / 1 / 3 / 1 | |',
    );
  });
});
