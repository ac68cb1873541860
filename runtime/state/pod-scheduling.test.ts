import { SimClock } from '../clock/sim-clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import { pod } from '../scheduling/testing';
import { ClusterState } from './cluster-state';
import { PodSchedulingTimes } from './pod-scheduling';

describe('PodSchedulingTimes', () => {
  it('reports each first decision once, since the first sighting; a failure drops the schedulable time', () => {
    const times = new PodSchedulingTimes();
    const [a, b] = [pod('a'), pod('b')];
    times.ack(a, 1_000);
    times.ack(a, 5_000);
    times.ack(b, 2_000);
    // The failed pod is reported first: 4s - 2s for b, then 4s - 1s for a (its first sighting counts).
    expect(times.decide([a], [b], 4_000)).toEqual([2_000, 3_000]);
    expect(times.schedulableAt(a)).toBe(4_000);
    expect(times.schedulableAt(b)).toBeUndefined();
    // Decided already: nothing more to report. Placed later, b is schedulable from then; a keeps its first time.
    expect(times.decide([a, b], [], 9_000)).toEqual([]);
    expect(times.schedulableAt(a)).toBe(4_000);
    expect(times.schedulableAt(b)).toBe(9_000);
    times.decide([], [a], 10_000);
    expect(times.schedulableAt(a)).toBeUndefined();
  });

  it('is emptied as the cluster state sees pods end or go', async () => {
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    const state = new ClusterState(api, clock);
    await state.start();
    const done = await api.create(Kinds.Pod, pod('done'));
    const gone = await api.create(Kinds.Pod, pod('gone'));
    await clock.advance(0);
    for (const p of [done, gone]) state.podScheduling.ack(p, clock.now());
    state.podScheduling.decide([done, gone], [], clock.now());
    expect(state.podScheduling.size).toBe(2);
    await api.updateStatus(Kinds.Pod, { ...done, status: { phase: 'Succeeded' } });
    await api.delete(Kinds.Pod, 'gone', 'default');
    await clock.advance(0);
    expect(state.podScheduling.size).toBe(0);
    state.stop();
  });
});
