import { ManualClock } from './testing';
import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('expires entries after the TTL', () => {
    const clock = new ManualClock();
    const c = new TtlCache<number>(clock, 1000);
    c.set('a', 1);
    clock.advance(999);
    expect(c.get('a')).toBe(1);
    clock.advance(1);
    expect(c.get('a')).toBeUndefined();
  });

  it('shares one load between concurrent callers and does not cache failures', async () => {
    const c = new TtlCache<number>(new ManualClock(), 1000);
    let loads = 0;
    const load = async () => ++loads;
    expect(await Promise.all([c.getOrLoad('k', load), c.getOrLoad('k', load)])).toEqual([1, 1]);
    expect(loads).toBe(1);
    await expect(c.getOrLoad('x', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(c.getOrLoad('x', load)).resolves.toBe(2);
  });
});
