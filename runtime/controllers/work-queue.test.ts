import { SimClock, flushAsync } from '../clock/sim-clock';
import { WorkQueue, type QueueObserver, type Reconciler } from './work-queue';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let clock: SimClock;
let runs: { key: string; at: number }[];
let errors: { name: string; key: string; err: unknown }[];

beforeEach(() => {
  clock = new SimClock(0);
  runs = [];
  errors = [];
});

function queue(reconcile: Reconciler): WorkQueue {
  return new WorkQueue('test', clock, reconcile, (name, key, err) => errors.push({ name, key, err }));
}

const keysRun = (): string[] => runs.map((r) => r.key);

describe('WorkQueue', () => {
  it('reconciles an added key asynchronously', async () => {
    const q = queue(async (key) => void runs.push({ key, at: clock.now() }));
    q.add('a');
    expect(runs).toEqual([]);
    expect(q.depth).toBe(1);
    await flushAsync();
    expect(keysRun()).toEqual(['a']);
    expect(q.depth).toBe(0);
  });

  it('de-duplicates a key added again while it is still queued', async () => {
    const q = queue(async (key) => void runs.push({ key, at: clock.now() }));
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    expect(q.depth).toBe(2);
    await flushAsync();
    expect(keysRun()).toEqual(['a', 'b']);
  });

  it('never reconciles a key concurrently: adds during a run re-run it exactly once afterwards', async () => {
    const gates: Deferred[] = [];
    let active = 0;
    let maxActive = 0;
    const q = queue(async (key) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push({ key, at: clock.now() });
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      active--;
    });

    q.add('a');
    await flushAsync();
    expect(keysRun()).toEqual(['a']);
    expect(q.depth).toBe(1);

    // Three changes while the first run is in flight.
    q.add('a');
    q.add('a');
    q.add('a');
    await flushAsync();
    expect(keysRun()).toEqual(['a']);

    gates[0]?.resolve();
    await flushAsync();
    expect(keysRun()).toEqual(['a', 'a']);
    expect(maxActive).toBe(1);

    gates[1]?.resolve();
    await flushAsync();
    expect(keysRun()).toEqual(['a', 'a']);
    expect(q.depth).toBe(0);
  });

  it('runs different keys concurrently', async () => {
    const gate = deferred();
    const q = queue(async (key) => {
      runs.push({ key, at: clock.now() });
      await gate.promise;
    });
    q.add('a');
    q.add('b');
    await flushAsync();
    expect(keysRun()).toEqual(['a', 'b']);
    expect(q.depth).toBe(2);
    gate.resolve();
    await flushAsync();
    expect(q.depth).toBe(0);
  });

  it('requeueAfterMs re-runs the key after that long on the clock', async () => {
    let n = 0;
    const q = queue(async (key) => {
      runs.push({ key, at: clock.now() });
      return ++n < 3 ? { requeueAfterMs: 5000 } : undefined;
    });
    q.add('a');
    await clock.advance(4999);
    expect(runs).toEqual([{ key: 'a', at: 0 }]);
    await clock.advance(1);
    expect(runs.map((r) => r.at)).toEqual([0, 5000]);
    await clock.advance(60_000);
    expect(runs.map((r) => r.at)).toEqual([0, 5000, 10_000]);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('requeueAfterMs 0 re-runs on the next clock turn', async () => {
    let n = 0;
    const q = queue(async (key) => {
      runs.push({ key, at: clock.now() });
      return ++n < 2 ? { requeueAfterMs: 0 } : undefined;
    });
    q.add('a');
    await clock.advance(0);
    expect(runs).toEqual([
      { key: 'a', at: 0 },
      { key: 'a', at: 0 },
    ]);
  });

  it('addAfter adds the key after the delay', async () => {
    const q = queue(async (key) => void runs.push({ key, at: clock.now() }));
    q.addAfter('a', 250);
    await clock.advance(249);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([{ key: 'a', at: 250 }]);
  });

  it('retries failures with exponential backoff (1s, 2s, 4s, …) capped at 60s, calling onError each time', async () => {
    const boom = new Error('boom');
    const q = queue(async (key) => {
      runs.push({ key, at: clock.now() });
      throw boom;
    });
    q.add('a');
    await clock.advance(0);
    for (let i = 0; i < 9; i++) await clock.advanceTo(clock.nextTimerAt() as number);

    const times = runs.map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(errors).toHaveLength(10);
    expect(errors[0]).toEqual({ name: 'test', key: 'a', err: boom });
  });

  it('resets the backoff after a success', async () => {
    let fail = true;
    let failures = 0;
    const q = queue(async (key) => {
      runs.push({ key, at: clock.now() });
      if (fail) {
        if (++failures === 3) fail = false;
        throw new Error('transient');
      }
    });
    q.add('a');
    await clock.advance(10_000);
    // Failed at 0, 1000, 3000; succeeded at 7000.
    expect(runs.map((r) => r.at)).toEqual([0, 1000, 3000, 7000]);

    fail = true;
    failures = 2;
    q.add('a');
    await clock.advance(10_000);
    // The first failure after a success waits 1 s again, not 8 s.
    expect(runs.map((r) => r.at)).toEqual([0, 1000, 3000, 7000, 10_000, 11_000]);
  });

  it('tracks backoff per key', async () => {
    const q = queue(async (key) => {
      runs.push({ key, at: clock.now() });
      if (key === 'bad') throw new Error('bad');
    });
    q.add('bad');
    await clock.advance(3000);
    q.add('good');
    await clock.advance(0);
    expect(runs).toEqual([
      { key: 'bad', at: 0 },
      { key: 'bad', at: 1000 },
      { key: 'bad', at: 3000 },
      { key: 'good', at: 3000 },
    ]);
    expect(errors.map((e) => e.key)).toEqual(['bad', 'bad', 'bad']);
  });

  it('catches a reconciler that throws synchronously', async () => {
    const q = queue(((key: string) => {
      runs.push({ key, at: clock.now() });
      throw new Error('sync');
    }) as unknown as Reconciler);
    q.add('a');
    await clock.advance(1000);
    expect(runs.map((r) => r.at)).toEqual([0, 1000]);
    expect(errors).toHaveLength(2);
    expect(q.depth).toBe(0);
  });

  it('stop() prevents further runs: queued keys, adds, requeues and retries', async () => {
    const q = queue(async (key) => {
      runs.push({ key, at: clock.now() });
      if (key === 'fail') throw new Error('x');
      return { requeueAfterMs: 100 };
    });
    q.add('a');
    q.add('fail');
    await clock.advance(0);
    expect(keysRun()).toEqual(['a', 'fail']);

    q.add('queued');
    q.stop();
    q.add('after-stop');
    q.addAfter('later', 10);
    await clock.advance(120_000);
    expect(keysRun()).toEqual(['a', 'fail']);
    expect(q.depth).toBe(0);
  });

  it('depth counts queued and running keys', async () => {
    const gate = deferred();
    const q = queue(async () => {
      await gate.promise;
    });
    expect(q.depth).toBe(0);
    q.add('a');
    q.add('b');
    expect(q.depth).toBe(2);
    await flushAsync();
    expect(q.depth).toBe(2);
    q.add('a');
    expect(q.depth).toBe(2);
    q.add('c');
    expect(q.depth).toBe(3);
    gate.resolve();
    await flushAsync();
    expect(q.depth).toBe(0);
  });
});

describe('WorkQueue.stop', () => {
  it('cancels pending requeues, so a stopped controller leaves no timer behind', async () => {
    const clock = new SimClock(0);
    const runs: string[] = [];
    const queue = new WorkQueue(
      'test',
      clock,
      async (key) => {
        runs.push(key);
        return { requeueAfterMs: 60_000 };
      },
      () => undefined,
    );
    queue.add('a');
    await flushAsync();
    expect(runs).toEqual(['a']);
    expect(clock.nextTimerAt()).toBe(60_000);
    queue.stop();
    expect(clock.nextTimerAt()).toBeUndefined();
    await clock.advance(120_000);
    expect(runs).toEqual(['a']);
  });
});

describe('WorkQueue observer', () => {
  it('is told each add, delay, start, end and drop, once per waiting key', async () => {
    const clock = new SimClock(0);
    const events: string[] = [];
    const observer: QueueObserver = {
      added: (key) => events.push(`added ${key}`),
      delayed: (key) => events.push(`delayed ${key}`),
      started: (key) => events.push(`started ${key}`),
      finished: (key, result) => events.push(`finished ${key} ${result}`),
      dropped: (key) => events.push(`dropped ${key}`),
    };
    const gate = deferred();
    const results: Record<string, () => Promise<{ requeueAfterMs?: number } | void>> = {
      ok: async () => undefined,
      later: async () => ({ requeueAfterMs: 500 }),
      now: async () => ({ requeueAfterMs: 0 }),
      bad: async () => {
        throw new Error('bad');
      },
      slow: async () => gate.promise,
    };
    const q = new WorkQueue(
      'test',
      clock,
      (key) => (results[key] as () => Promise<void>)(),
      () => undefined,
      observer,
    );
    for (const key of ['ok', 'ok', 'later', 'now', 'bad', 'slow']) q.add(key);
    await flushAsync();
    // A key re-added while it runs waits once more, however often it is added.
    q.add('slow');
    q.add('slow');
    expect(events).toEqual([
      'added ok',
      'added later',
      'added now',
      'added bad',
      'added slow',
      'started ok',
      'started later',
      'started now',
      'started bad',
      'started slow',
      'finished ok success',
      'delayed later',
      'finished later requeue_after',
      'delayed now',
      'finished now requeue',
      'delayed bad',
      'finished bad error',
      'added slow',
    ]);
    events.length = 0;
    q.stop();
    gate.resolve();
    await flushAsync();
    // The run in progress ends; the key waiting for it does not run.
    expect(events).toEqual(['finished slow success', 'dropped slow']);
  });

  it('drops a key queued when the queue stops', async () => {
    const events: string[] = [];
    const noop = () => undefined;
    const q = new WorkQueue('test', new SimClock(0), async () => undefined, noop, {
      added: (key) => events.push(`added ${key}`),
      delayed: noop,
      started: (key) => events.push(`started ${key}`),
      finished: noop,
      dropped: (key) => events.push(`dropped ${key}`),
    });
    q.add('a');
    q.stop();
    await flushAsync();
    expect(events).toEqual(['added a', 'dropped a']);
  });
});
