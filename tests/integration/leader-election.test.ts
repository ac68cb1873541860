/**
 * Leader election on a real kube-apiserver's coordination.k8s.io/v1 Lease, through ClientNodeApi: of two
 * replicas exactly one leads, a graceful stop hands over at the next retry, and a replica that dies without
 * releasing is replaced only once the lease duration has passed unrenewed. Short timings keep it quick.
 */
import { RealClock, type Clock } from '../../runtime/clock/clock';
import { Kinds } from '../../runtime/kube/kinds';
import { LeaderElector } from '../../runtime/leader';
import { clusterApi, describeWithCluster, waitFor } from './support/kube';

const NAME = `karpenter-ts-le-${Date.now().toString(36)}`;
const NS = 'default';
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };

/** The wall clock, except that a crashed replica's timers never fire again (and so it never releases). */
function crashable(): Clock & { crash(): void } {
  const real = new RealClock();
  let dead = false;
  return {
    now: () => real.now(),
    setTimer: (ms, fn) => real.setTimer(ms, () => (dead ? undefined : fn())),
    sleep: (ms) => real.sleep(ms),
    crash: () => {
      dead = true;
    },
  };
}

describeWithCluster('leader election on the real API', () => {
  let api: ReturnType<typeof clusterApi>;
  beforeAll(() => {
    api = clusterApi();
  });
  const holder = async () => (await api.get(Kinds.Lease, NAME, NS))?.spec.holderIdentity;
  const replica = (identity: string) => {
    const clock = crashable();
    const elector = new LeaderElector({
      api,
      clock,
      identity,
      namespace: NS,
      name: NAME,
      ...TIMING,
      onStartedLeading: () => undefined,
    });
    return { elector, clock };
  };

  afterAll(async () => {
    await api.delete(Kinds.Lease, NAME, NS).catch(() => undefined);
  });

  it('elects one, hands over on release, and takes over from a dead leader after the lease duration', async () => {
    const a = replica('a');
    const b = replica('b');
    a.elector.start();
    await waitFor('a to lead', async () => (a.elector.isLeader ? true : undefined), 10_000);
    b.elector.start();
    await new Promise((r) => setTimeout(r, 2_000));
    expect([a.elector.isLeader, b.elector.isLeader]).toEqual([true, false]);
    expect(await holder()).toBe('a');

    await a.elector.stop();
    // Released: empty, unless b, retrying meanwhile, has already taken it (a loaded machine gives it the time).
    expect(['', 'b']).toContain(await holder());
    await waitFor('b to take over', async () => (b.elector.isLeader ? true : undefined), 2_000);

    const c = replica('c');
    c.elector.start();
    b.clock.crash();
    const crashedAt = Date.now();
    await waitFor('c to take over', async () => ((await holder()) === 'c' ? true : undefined), 10_000);
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs);
    await c.elector.stop();
  }, 30_000);
});
