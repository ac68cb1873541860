import { SimClock } from '../clock/sim-clock';
import { Poller } from './poller';

describe('Poller', () => {
  it('runs a pass each interval timed from the end of the last, never two at once, until stopped', async () => {
    const clock = new SimClock(0);
    const starts: number[] = [];
    const errors: unknown[] = [];
    let running = 0;
    let most = 0;
    const poller = new Poller(
      clock,
      1000,
      async () => {
        starts.push(clock.now());
        most = Math.max(most, ++running);
        await clock.sleep(500);
        running--;
        if (starts.length === 2) throw new Error('boom');
      },
      (err) => errors.push(err),
    );
    poller.start();
    await clock.advance(999);
    expect(starts).toEqual([]);
    await clock.advance(1);
    expect(poller.busy).toBe(true);
    await clock.advance(4000);
    // 1000, then 1000 after each 500 ms pass ended: 2500, 4000; the failed second pass did not stop the loop.
    expect(starts).toEqual([1000, 2500, 4000]);
    expect(most).toBe(1);
    expect(errors).toEqual([new Error('boom')]);
    // Between passes (the last ended at 4500, the next is due at 5500): stopping cancels it.
    expect(poller.busy).toBe(false);
    poller.stop();
    await clock.advance(10_000);
    expect(starts).toEqual([1000, 2500, 4000]);
  });
});
