import { SimClock } from '../../clock/sim-clock';
import { Batcher } from './batcher';

describe('the provisioning batch window', () => {
  function window() {
    const clock = new SimClock(0);
    const closed: number[] = [];
    const batcher = new Batcher(clock, () => closed.push(clock.now()), { idleMs: 1_000, maxMs: 10_000 });
    return { clock, closed, batcher };
  }

  it('closes after a second without a trigger, or at ten seconds however many come', async () => {
    const { clock, closed, batcher } = window();
    batcher.trigger();
    await clock.advance(999);
    expect(closed).toEqual([]);
    await clock.advance(1);
    expect(closed).toEqual([1_000]);
    // A steady stream holds it open to the maximum.
    for (let t = 0; t < 20; t++) {
      batcher.trigger();
      await clock.advance(500);
    }
    expect(closed).toEqual([1_000, 11_000]);
  });

  it('closes a second after triggerSoon, however many triggers follow', async () => {
    const { clock, closed, batcher } = window();
    batcher.trigger();
    await clock.advance(500);
    batcher.triggerSoon();
    for (let t = 0; t < 5; t++) {
      batcher.trigger();
      await clock.advance(300);
    }
    expect(closed).toEqual([1_500]);
    // The next window is an ordinary one again.
    batcher.trigger();
    await clock.advance(600);
    batcher.trigger();
    await clock.advance(1_000);
    expect(closed).toEqual([1_500, 3_600]);
  });
});
