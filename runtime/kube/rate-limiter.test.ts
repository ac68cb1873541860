import { TokenBucket } from './rate-limiter';

/** A bucket on a fake clock whose sleeps advance the clock, recording each wait. */
function fakeBucket(qps: number, burst: number) {
  let t = 0;
  const sleeps: number[] = [];
  const bucket = new TokenBucket({
    qps,
    burst,
    now: () => t,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
  });
  return { bucket, sleeps, advance: (ms: number) => (t += ms), now: () => t };
}

describe('TokenBucket (KUBE_CLIENT_QPS / KUBE_CLIENT_BURST)', () => {
  it('lets a burst through at once, then paces requests at qps', async () => {
    const { bucket, sleeps, now } = fakeBucket(10, 3);
    for (let i = 0; i < 3; i++) await bucket.acquire();
    expect(sleeps).toEqual([]);
    for (let i = 0; i < 4; i++) await bucket.acquire();
    expect(sleeps).toEqual([100, 100, 100, 100]);
    expect(now()).toBe(400);
  });

  it('refills while idle, never above the burst', async () => {
    const { bucket, sleeps, advance } = fakeBucket(10, 2);
    await bucket.acquire();
    await bucket.acquire();
    advance(10_000);
    await bucket.acquire();
    await bucket.acquire();
    expect(sleeps).toEqual([]);
    await bucket.acquire();
    expect(sleeps).toEqual([100]);
  });

  it('serves concurrent callers in arrival order', async () => {
    const { bucket } = fakeBucket(1, 1);
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => bucket.acquire().then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3]);
  });

  it('refuses a rate or burst that would never admit a request', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(/qps > 0 and burst ≥ 1/);
    expect(() => new TokenBucket({ qps: 1, burst: 0 })).toThrow(/qps > 0 and burst ≥ 1/);
  });
});
