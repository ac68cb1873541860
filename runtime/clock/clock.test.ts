import { MAX_TIMEOUT_MS, RealClock } from './clock';

describe('RealClock', () => {
  afterEach(() => jest.useRealTimers());

  it('waits out timers longer than setTimeout allows instead of firing them at once', () => {
    jest.useFakeTimers({ now: 0 });
    const clock = new RealClock();
    const fired: number[] = [];
    const thirtyDays = 30 * 24 * 3_600_000;
    expect(thirtyDays).toBeGreaterThan(MAX_TIMEOUT_MS);
    clock.setTimer(thirtyDays, () => fired.push(Date.now()));
    jest.advanceTimersByTime(10);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(thirtyDays - MAX_TIMEOUT_MS);
    expect(fired).toEqual([thirtyDays]);
  });

  it('cancels across steps', () => {
    jest.useFakeTimers({ now: 0 });
    const clock = new RealClock();
    let fired = false;
    const cancel = clock.setTimer(MAX_TIMEOUT_MS * 2, () => (fired = true));
    jest.advanceTimersByTime(MAX_TIMEOUT_MS + 5);
    cancel();
    jest.advanceTimersByTime(MAX_TIMEOUT_MS * 2);
    expect(fired).toBe(false);
  });
});
