import { forEachLimited } from './parallel';

describe('forEachLimited', () => {
  it('runs every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5 * (n % 3)));
      done.push(n);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('finishes the others before rejecting with the first error', async () => {
    const done: number[] = [];
    await expect(
      forEachLimited([1, 2, 3, 4], 2, async (n) => {
        await new Promise((r) => setTimeout(r, n));
        if (n === 2) throw new Error('two');
        if (n === 3) throw new Error('three');
        done.push(n);
      }),
    ).rejects.toThrow('two');
    expect(done.sort()).toEqual([1, 4]);
  });
});
