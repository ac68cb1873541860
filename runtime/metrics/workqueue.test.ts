import { SimClock, flushAsync } from '../clock/sim-clock';
import { WorkQueue } from '../controllers/work-queue';
import { registry, scrape } from './registry';
import { queueMetrics } from './workqueue';

/** Sample lines of one metric (with its _bucket/_sum/_count), as `name{labels} value`. */
function samples(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

interface Gate {
  promise: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('work queue metrics', () => {
  beforeEach(() => registry.resetMetrics());

  it("records a controller queue's adds, depth, retries, durations and reconcile results", async () => {
    const clock = new SimClock(0);
    let realMs = 1000;
    const slow = gate();
    const q = new WorkQueue(
      'nodeclaim.lifecycle',
      clock,
      async (key) => {
        if (key === 'bad') throw new Error('bad');
        if (key === 'later') return { requeueAfterMs: 5000 };
        if (key === 'slow') await slow.promise;
      },
      () => undefined,
      queueMetrics('nodeclaim.lifecycle', () => realMs),
    );
    const queue = 'name="nodeclaim.lifecycle",controller="nodeclaim.lifecycle"';
    const ctl = 'controller="nodeclaim.lifecycle"';
    // Before any work every counter a dashboard divides by is there, at zero.
    let text = await scrape();
    expect(samples(text, 'controller_runtime_reconcile_total')).toEqual({
      [`controller_runtime_reconcile_total{${ctl},result="success"}`]: 0,
      [`controller_runtime_reconcile_total{${ctl},result="error"}`]: 0,
      [`controller_runtime_reconcile_total{${ctl},result="requeue"}`]: 0,
      [`controller_runtime_reconcile_total{${ctl},result="requeue_after"}`]: 0,
    });

    for (const key of ['ok', 'ok', 'bad', 'later', 'slow']) q.add(key);
    realMs += 250; // each key waits 250 ms for its run
    await flushAsync();
    realMs += 2000; // "slow" has run 2 s and goes on
    q.add('slow'); // and waits to run again
    text = await scrape();
    expect(text).toContain(`workqueue_adds_total{${queue}} 5`);
    expect(text).toContain(`workqueue_depth{${queue},priority="0"} 1`);
    expect(text).toContain(`controller_runtime_active_workers{${ctl}} 1`);
    expect(text).toContain(`workqueue_unfinished_work_seconds{${queue}} 2`);
    expect(text).toContain(`workqueue_longest_running_processor_seconds{${queue}} 2`);
    expect(text).toContain(`workqueue_queue_duration_seconds_count{${queue}} 4`);
    expect(text).toContain(`workqueue_queue_duration_seconds_sum{${queue}} 1`);
    // The error's backoff and the requeue are both delayed re-adds.
    expect(text).toContain(`workqueue_retries_total{${queue}} 2`);
    expect(samples(text, 'controller_runtime_reconcile_total')).toEqual({
      [`controller_runtime_reconcile_total{${ctl},result="success"}`]: 1,
      [`controller_runtime_reconcile_total{${ctl},result="error"}`]: 1,
      [`controller_runtime_reconcile_total{${ctl},result="requeue"}`]: 0,
      [`controller_runtime_reconcile_total{${ctl},result="requeue_after"}`]: 1,
    });
    expect(text).toContain(`controller_runtime_reconcile_errors_total{${ctl}} 1`);

    slow.open();
    await flushAsync();
    text = await scrape();
    expect(text).toContain(`workqueue_depth{${queue},priority="0"} 0`);
    expect(text).toContain(`controller_runtime_active_workers{${ctl}} 0`);
    expect(text).toContain(`workqueue_unfinished_work_seconds{${queue}} 0`);
    expect(text).toContain(`workqueue_work_duration_seconds_count{${queue}} 5`);
    expect(text).toContain(`workqueue_work_duration_seconds_sum{${queue}} 2`);
    expect(text).toContain(`controller_runtime_reconcile_total{${ctl},result="success"} 3`);
    expect(text).toContain(`controller_runtime_reconcile_time_seconds_sum{${ctl}} 2`);
    // controller-runtime's buckets: 5 ms to 60 s; client-go's: 10 ns to 1000 s.
    expect(text).toContain(`controller_runtime_reconcile_time_seconds_bucket{le="0.005",${ctl}} 4`);
    expect(text).toContain(`controller_runtime_reconcile_time_seconds_bucket{le="60",${ctl}} 5`);
    expect(text).toContain(`workqueue_work_duration_seconds_bucket{le="1e-8",${queue}} 4`);
    expect(text).toContain(`workqueue_work_duration_seconds_bucket{le="1000",${queue}} 5`);
    q.stop();
  });

  it('a queue without the observer records nothing (the simulated cluster)', async () => {
    const q = new WorkQueue(
      'sim.kubelet',
      new SimClock(0),
      async () => undefined,
      () => undefined,
    );
    q.add('a');
    await flushAsync();
    const text = await scrape();
    expect(text).not.toContain('sim.kubelet');
  });
});
