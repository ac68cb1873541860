import { SimClock, flushAsync } from './sim-clock';

const T0 = Date.UTC(2026, 0, 1);

describe('SimClock', () => {
  it('starts at 2026-01-01T00:00:00Z by default, or at the given time', () => {
    expect(new SimClock().now()).toBe(T0);
    expect(new SimClock(12_345).now()).toBe(12_345);
  });

  it('fires timers in time order, not in the order they were set', async () => {
    const clock = new SimClock(0);
    const fired: [string, number][] = [];
    clock.setTimer(300, () => fired.push(['c', clock.now()]));
    clock.setTimer(100, () => fired.push(['a', clock.now()]));
    clock.setTimer(200, () => fired.push(['b', clock.now()]));

    await clock.advance(1000);

    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
      ['c', 300],
    ]);
    expect(clock.now()).toBe(1000);
  });

  it('fires timers due at the same instant in the order they were set', async () => {
    const clock = new SimClock(0);
    const fired: string[] = [];
    for (const name of ['first', 'second', 'third', 'fourth']) clock.setTimer(50, () => fired.push(name));

    await clock.advance(50);

    expect(fired).toEqual(['first', 'second', 'third', 'fourth']);
  });

  it('does not fire timers that are not yet due', async () => {
    const clock = new SimClock(0);
    const fired: number[] = [];
    clock.setTimer(100, () => fired.push(100));
    clock.setTimer(101, () => fired.push(101));

    expect(await clock.advance(100)).toBe(1);
    expect(fired).toEqual([100]);
    expect(clock.nextTimerAt()).toBe(101);

    expect(await clock.advance(1)).toBe(1);
    expect(fired).toEqual([100, 101]);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('cancel stops a timer from firing and removes it from nextTimerAt', async () => {
    const clock = new SimClock(0);
    const fired: string[] = [];
    const cancelA = clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('b'));

    cancelA();
    expect(clock.nextTimerAt()).toBe(20);
    expect(await clock.advance(100)).toBe(1);
    expect(fired).toEqual(['b']);
  });

  it('a timer can cancel a later timer', async () => {
    const clock = new SimClock(0);
    const fired: string[] = [];
    let cancelLater = (): void => undefined;
    clock.setTimer(10, () => {
      fired.push('early');
      cancelLater();
    });
    cancelLater = clock.setTimer(20, () => fired.push('late'));

    expect(await clock.advance(100)).toBe(1);
    expect(fired).toEqual(['early']);
  });

  it('lets the async work a timer starts finish before the next timer fires', async () => {
    const clock = new SimClock(0);
    const log: string[] = [];
    clock.setTimer(10, () => {
      void (async () => {
        log.push('a:start');
        await Promise.resolve();
        await Promise.resolve().then(() => Promise.resolve());
        for (let i = 0; i < 20; i++) await null;
        log.push(`a:done@${clock.now()}`);
      })();
    });
    // Due at the same instant: must still wait for the first timer's promise chain.
    clock.setTimer(10, () => log.push('b'));
    clock.setTimer(20, () => log.push('c'));

    await clock.advance(20);

    expect(log).toEqual(['a:start', 'a:done@10', 'b', 'c']);
  });

  it('fires timers set by a timer callback within the same advance, including zero-delay ones', async () => {
    const clock = new SimClock(0);
    const fired: [string, number][] = [];
    clock.setTimer(10, () => {
      fired.push(['outer', clock.now()]);
      clock.setTimer(0, () => fired.push(['zero', clock.now()]));
      clock.setTimer(5, () => fired.push(['five', clock.now()]));
      clock.setTimer(1000, () => fired.push(['far', clock.now()]));
    });

    expect(await clock.advance(100)).toBe(3);
    expect(fired).toEqual([
      ['outer', 10],
      ['zero', 10],
      ['five', 15],
    ]);
    expect(clock.nextTimerAt()).toBe(1010);
  });

  it('treats a negative delay as zero', async () => {
    const clock = new SimClock(1000);
    const fired: number[] = [];
    clock.setTimer(-500, () => fired.push(clock.now()));
    expect(clock.nextTimerAt()).toBe(1000);
    expect(await clock.advance(0)).toBe(1);
    expect(fired).toEqual([1000]);
  });

  it('sleep resolves at the right simulated time', async () => {
    const clock = new SimClock(0);
    const woke: number[] = [];
    void clock.sleep(250).then(() => woke.push(clock.now()));
    void clock.sleep(100).then(() => woke.push(clock.now()));

    await clock.advance(99);
    expect(woke).toEqual([]);
    await clock.advance(1);
    expect(woke).toEqual([100]);
    await clock.advance(1000);
    expect(woke).toEqual([100, 250]);
  });

  it('a sleeping loop wakes once per interval', async () => {
    const clock = new SimClock(0);
    const ticks: number[] = [];
    let running = true;
    void (async () => {
      while (running) {
        await clock.sleep(1000);
        ticks.push(clock.now());
      }
    })();

    await clock.advance(3500);
    running = false;

    expect(ticks).toEqual([1000, 2000, 3000]);
  });

  it('advance and advanceTo return the number of timers fired', async () => {
    const clock = new SimClock(0);
    for (const ms of [1, 2, 3, 50, 60]) clock.setTimer(ms, () => undefined);
    expect(await clock.advance(10)).toBe(3);
    expect(await clock.advanceTo(55)).toBe(1);
    expect(await clock.advance(0)).toBe(0);
    expect(await clock.advanceTo(60)).toBe(1);
    expect(await clock.advance(1000)).toBe(0);
  });

  it('never moves now() backwards', async () => {
    const clock = new SimClock(1000);
    const seen: number[] = [];
    clock.setTimer(500, () => seen.push(clock.now()));

    await clock.advanceTo(2000);
    expect(clock.now()).toBe(2000);

    // Advancing to the past is a no-op for time.
    expect(await clock.advanceTo(100)).toBe(0);
    expect(clock.now()).toBe(2000);

    // A timer set at the current instant fires at the current instant, not in the past.
    clock.setTimer(0, () => seen.push(clock.now()));
    expect(await clock.advance(0)).toBe(1);
    expect(clock.now()).toBe(2000);
    expect(seen).toEqual([1500, 2000]);
  });

  it('flushAsync lets pending promise continuations run', async () => {
    const log: string[] = [];
    void Promise.resolve()
      .then(() => log.push('one'))
      .then(() => log.push('two'));
    await flushAsync();
    expect(log).toEqual(['one', 'two']);
  });
});
