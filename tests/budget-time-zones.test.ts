/**
 * Disruption budgets scheduled in a time zone (CRON_TZ= / TZ=) on the embedded simulator, on the days the clocks
 * change: a budget that freezes disruption during business hours holds in the zone's local time, not in the
 * offset the zone had the day before. Each case picks an hour where the two readings disagree.
 */
import type { NodePool } from '../runtime/kube/objects';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';

const MIN = 60_000;

/** The workshop nodes left 20 minutes after the app is scaled down to one pod at `startIso`. */
async function nodesLeftAfterScaleDown(schedule: string, startIso: string): Promise<[number, number]> {
  const sim = await labCluster({
    replicas: 20,
    startTime: Date.parse(startIso),
    editPool: (pool: NodePool) => {
      pool.spec.disruption.budgets = [{ nodes: '100%' }, { nodes: '0', schedule, duration: '8h' }];
    },
  });
  const before = workshopNodes(sim).length;
  await sim.scale('Deployment', APP_NS, APP, 1);
  await sim.clock.advance(20 * MIN);
  const after = workshopNodes(sim).length;
  sim.stop();
  return [before, after];
}

describe('disruption budgets in a time zone, around daylight-saving changes', () => {
  const berlin = 'CRON_TZ=Europe/Berlin 0 9 * * *';
  const newYork = 'TZ=America/New_York 0 9 * * *';

  it('Europe/Berlin, spring-forward day: frozen from 09:00 CEST = 07:00Z (a CET reading starts at 08:00Z)', async () => {
    const [before, after] = await nodesLeftAfterScaleDown(berlin, '2026-03-29T07:30:00Z');
    expect(before).toBeGreaterThan(1);
    expect(after).toBe(before);
  }, 60_000);

  it('Europe/Berlin, spring-forward day: free again from 17:00 CEST = 15:00Z (a CET reading ends at 16:00Z)', async () => {
    const [before, after] = await nodesLeftAfterScaleDown(berlin, '2026-03-29T15:05:00Z');
    expect(before).toBeGreaterThan(1);
    expect(after).toBe(1);
  }, 60_000);

  it('America/New_York, fall-back day: frozen until 17:00 EST = 22:00Z (an EDT reading ends at 21:00Z)', async () => {
    const [before, after] = await nodesLeftAfterScaleDown(newYork, '2026-11-01T21:10:00Z');
    expect(before).toBeGreaterThan(1);
    expect(after).toBe(before);
    // The day before (EDT), the same window ends at 21:00Z.
    const [, saturday] = await nodesLeftAfterScaleDown(newYork, '2026-10-31T21:10:00Z');
    expect(saturday).toBe(1);
  }, 60_000);
});
