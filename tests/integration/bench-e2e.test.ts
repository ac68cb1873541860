/**
 * `npm run bench:e2e` keeps working: one small run of the real scenario (its own fresh cluster, the built bundle as
 * users run it, scale-up and scale-down) must measure every line the generated table shows.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BUNDLE, ROOT, karpenterTs } from '../../bench/e2e/controllers';
import { runScenario } from '../../bench/e2e/scenario';
import { describeWithCluster } from './support/kube';

describeWithCluster('the e2e benchmark', () => {
  it('runs the built controller through a scale-up and a scale-down and measures them', async () => {
    if (!existsSync(BUNDLE))
      execFileSync('npm', ['run', '--silent', 'bundle'], { cwd: ROOT, stdio: 'inherit' });
    const r = await runScenario(karpenterTs(), {
      pods: 40,
      scaleUpTimeoutS: 240,
      scaleDownTimeoutS: 240,
      quietS: 20,
      cluster: 'karpenter-ts-bench-it',
      log: () => undefined,
    });
    expect(r.allRunningS).toBeDefined();
    expect(r.podsCreatedS).toBeGreaterThan(0);
    expect(r.scaleUp.nodes).toBeGreaterThan(0);
    // Instances plus root volumes, with the DaemonSets and pods requesting part of what the nodes offer.
    expect(r.scaleUp.costPerHour).toBeGreaterThan(0);
    expect(r.scaleUp.cpuUtilisation).toBeGreaterThan(0);
    expect(r.scaleUp.cpuUtilisation).toBeLessThanOrEqual(1);
    expect(r.scaleDown.nodes).toBeLessThanOrEqual(r.scaleUp.nodes);
    expect(r.controllerCpuS).toBeGreaterThan(0);
    expect(r.controllerPeakRssMiB).toBeGreaterThan(30);
    expect(r.controllerRequests.POST).toBeGreaterThan(0);
    expect(r.nodeClaimsCreated).toBeGreaterThanOrEqual(r.scaleUp.nodes);
    expect(r.apiserverRequests.POST).toBeGreaterThan(0);
    expect(r.controlPlaneCpuS['kube-apiserver']).toBeGreaterThan(0);
    expect(r.pdbViolationSamples).toBe(0);
  }, 600_000);
});
