import type { Clock } from '../clock/clock';
import { SimClock } from '../clock/sim-clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import { registry } from '../metrics';
import { DEFAULT_LEASE_NAME, LeaderElector } from './leader-elector';
import { mayAcquire, microTime, observe } from './lease-record';

const NS = 'kube-system';

/** A clock whose timers stop firing once the process "crashes": nothing runs, nothing is released. */
function crashableClock(clock: SimClock): Clock & { crash(): void } {
  let dead = false;
  return {
    now: () => clock.now(),
    setTimer: (ms, fn) => clock.setTimer(ms, () => (dead ? undefined : fn())),
    sleep: (ms) => clock.sleep(ms),
    crash: () => {
      dead = true;
    },
  };
}

function replicas(n: number) {
  const clock = new SimClock();
  const api = new MemoryApiServer({ clock });
  const log: string[] = [];
  const made = Array.from({ length: n }, (_, i) => {
    const id = `karpenter-${i}`;
    const own = crashableClock(clock);
    const elector = new LeaderElector({
      api,
      clock: own,
      identity: id,
      namespace: NS,
      onStartedLeading: () => void log.push(`${id} started`),
      onStoppedLeading: () => void log.push(`${id} stopped`),
    });
    return { id, elector, clock: own };
  });
  const leaders = () => made.filter((r) => r.elector.isLeader).map((r) => r.id);
  const holder = async () => (await api.get(Kinds.Lease, DEFAULT_LEASE_NAME, NS))?.spec.holderIdentity;
  return { clock, api, log, made, leaders, holder };
}

describe('LeaderElector on the in-memory API', () => {
  it('lets exactly one of two replicas lead, and keeps it leading while it renews', async () => {
    const { clock, made, leaders, holder, log } = replicas(2);
    for (const r of made) r.elector.start();
    await clock.advance(1);
    expect(leaders()).toEqual(['karpenter-0']);
    expect(await holder()).toBe('karpenter-0');
    // A minute of renewals: the follower never takes over a live lease.
    for (let t = 0; t < 60; t++) {
      await clock.advance(1000);
      expect(leaders()).toEqual(['karpenter-0']);
    }
    expect(log).toEqual(['karpenter-0 started']);
    for (const r of made) await r.elector.stop();
  });

  it('hands over at the next retry when the leader stops and releases the lease', async () => {
    const { clock, made, leaders, holder, log } = replicas(2);
    for (const r of made) r.elector.start();
    await clock.advance(1);
    const [a, b] = made as [(typeof made)[0], (typeof made)[0]];
    const stoppedAt = clock.now();
    await a.elector.stop();
    expect(log).toEqual(['karpenter-0 started', 'karpenter-0 stopped']);
    expect(await holder()).toBe('');
    await clock.advance(2_000);
    expect(leaders()).toEqual(['karpenter-1']);
    expect(clock.now() - stoppedAt).toBeLessThanOrEqual(2_000);
    await b.elector.stop();
  });

  it('takes over only after the lease duration when the leader dies without releasing', async () => {
    const { clock, made, leaders, holder } = replicas(2);
    for (const r of made) r.elector.start();
    await clock.advance(1);
    const [a, b] = made as [(typeof made)[0], (typeof made)[0]];
    a.clock.crash();
    const diedAt = clock.now();
    // The lease was renewed at most one retry period before the crash; 15 s must pass unrenewed.
    await clock.advance(12_000);
    expect(b.elector.isLeader).toBe(false);
    expect(await holder()).toBe('karpenter-0');
    await clock.advance(8_000);
    expect(b.elector.isLeader).toBe(true);
    expect(await holder()).toBe('karpenter-1');
    expect(clock.now() - diedAt).toBeGreaterThanOrEqual(15_000);
    // The dead replica still believes it leads (it cannot know); the lease says otherwise.
    expect(leaders()).toContain('karpenter-1');
    await b.elector.stop();
  });

  it('steps down when it cannot renew within the renew deadline', async () => {
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    let broken = false;
    const flaky = new Proxy(api, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (broken) return Promise.reject(new Error('connection refused'));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const events: string[] = [];
    const elector = new LeaderElector({
      api: flaky,
      clock,
      identity: 'a',
      namespace: NS,
      onStartedLeading: () => void events.push('started'),
      onStoppedLeading: () =>
        void events.push(`stopped ${clock.now() - lastRenewal}ms after the last renewal`),
    });
    const lastRenewal = clock.now();
    elector.start();
    await clock.advance(1);
    expect(elector.isLeader).toBe(true);
    broken = true;
    await clock.advance(9_000);
    expect(elector.isLeader).toBe(true);
    await clock.advance(3_000);
    expect(elector.isLeader).toBe(false);
    // Renew deadline 10 s, checked every 2 s retry.
    expect(events[1]).toMatch(/^stopped 1[01]\d{3}ms after the last renewal$/);
    await elector.stop();
  });

  it('reports leadership as leader_election_master_status', async () => {
    const { clock, made } = replicas(1);
    made[0]?.elector.start();
    await clock.advance(1);
    const text = await registry.getSingleMetricAsString('leader_election_master_status');
    expect(text).toContain(`leader_election_master_status{name="${DEFAULT_LEASE_NAME}"} 1`);
    await made[0]?.elector.stop();
    expect(await registry.getSingleMetricAsString('leader_election_master_status')).toContain(
      `leader_election_master_status{name="${DEFAULT_LEASE_NAME}"} 0`,
    );
  });
});

describe('lease records', () => {
  const lease = (holder: string, renew: number) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease' as const,
    metadata: { name: 'l' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: microTime(renew) },
  });

  it('judges expiry by when this replica saw the record change, not by the holder clock', () => {
    // The holder's clock is an hour behind: its renewTime looks ancient, but it renewed just now.
    const seen = observe(undefined, lease('other', 0), 3_600_000);
    expect(mayAcquire(lease('other', 0), 'me', seen, 3_600_000 + 14_999)).toBe(false);
    expect(mayAcquire(lease('other', 0), 'me', seen, 3_600_000 + 15_000)).toBe(true);
    // A renewal resets the observation.
    const renewed = observe(seen, lease('other', 2_000), 3_610_000);
    expect(renewed.at).toBe(3_610_000);
    expect(observe(renewed, lease('other', 2_000), 3_620_000)).toBe(renewed);
  });

  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 0, 1, 0, 0, 1, 234))).toBe('2026-01-01T00:00:01.234000Z');
  });
});
