import { SimClock, flushAsync } from '../clock/sim-clock';
import { InvalidError } from '../kube/api';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import type { Event, Node, Pod } from '../kube/objects';
import { DEDUPE_MS, EventRecorder, TokenBucket, type RecordedEvent } from './recorder';

const T0 = Date.UTC(2026, 0, 1);
let clock: SimClock;
let api: MemoryApiServer;
let errors: unknown[];
let recorder: EventRecorder;

beforeEach(() => {
  clock = new SimClock(T0);
  api = new MemoryApiServer({ clock });
  errors = [];
  recorder = new EventRecorder(api, clock, (err) => errors.push(err));
});

async function createPod(name = 'web-1', namespace = 'shop'): Promise<Pod> {
  return api.create(Kinds.Pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'c' }] },
  });
}

async function createNode(name = 'node-a'): Promise<Node> {
  return api.create(Kinds.Node, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
}

const events = (): Event[] => api.peekAll(Kinds.Event);

describe('EventRecorder', () => {
  it('creates a core/v1 Event about a namespaced object in its namespace', async () => {
    const pod = await createPod();
    recorder.normal(pod, 'Nominated', 'Pod should schedule on: node-a');
    await flushAsync();

    const all = events();
    expect(all).toHaveLength(1);
    const e = all[0] as Event;
    expect(e.apiVersion).toBe('v1');
    expect(e.kind).toBe('Event');
    expect(e.metadata.namespace).toBe('shop');
    expect(e.metadata.name).toMatch(/^web-1\.[a-z0-9]{5}$/);
    expect(e.involvedObject).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'web-1',
      namespace: 'shop',
      uid: pod.metadata.uid,
    });
    expect(e).toMatchObject({
      type: 'Normal',
      reason: 'Nominated',
      message: 'Pod should schedule on: node-a',
      count: 1,
      firstTimestamp: '2026-01-01T00:00:00.000Z',
      lastTimestamp: '2026-01-01T00:00:00.000Z',
      source: { component: 'karpenter' },
    });
    expect(errors).toEqual([]);
  });

  it('puts Events about cluster-scoped objects in the default namespace, without involvedObject.namespace', async () => {
    const node = await createNode();
    recorder.warning(node, 'FailedDraining', 'Failed to drain node');
    await flushAsync();

    const e = events()[0] as Event;
    expect(e.metadata.namespace).toBe('default');
    expect(e.type).toBe('Warning');
    expect(e.involvedObject).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      name: 'node-a',
      uid: node.metadata.uid,
    });
  });

  it('drops a repeat inside the dedupe window and counts one after it by patching count and lastTimestamp', async () => {
    const node = await createNode();
    recorder.normal(node, 'DisruptionBlocked', 'pdb prevents disruption');
    await flushAsync();
    const name = events()[0]?.metadata.name;

    await clock.advance(60_000);
    recorder.normal(node, 'DisruptionBlocked', 'pdb prevents disruption');
    await flushAsync();
    expect(events()[0]?.count).toBe(1);
    await clock.advance(DEDUPE_MS);
    recorder.normal(node, 'DisruptionBlocked', 'pdb prevents disruption');
    await flushAsync();

    const all = events();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      metadata: { name },
      count: 2,
      firstTimestamp: '2026-01-01T00:00:00.000Z',
      lastTimestamp: '2026-01-01T00:03:00.000Z',
    });
  });

  it('dedupes on the values the caller names, whatever the message, for the window it gives', async () => {
    const node = await createNode();
    recorder.normal(node, 'DisruptionBlocked', 'reason one', { dedupe: ['node-a'], dedupeMs: 10_000 });
    recorder.normal(node, 'DisruptionBlocked', 'reason two', { dedupe: ['node-a'], dedupeMs: 10_000 });
    await flushAsync();
    expect(events().map((e) => e.message)).toEqual(['reason one']);
    await clock.advance(10_000);
    recorder.normal(node, 'DisruptionBlocked', 'reason three', { dedupe: ['node-a'], dedupeMs: 10_000 });
    await flushAsync();
    expect(events().map((e) => `${e.message}/${e.count}`)).toEqual(['reason one/2']);
  });

  it('writes no more than a rate limit lets through, and refills it with time', async () => {
    const limit = new TokenBucket(5, 10);
    for (let i = 0; i < 30; i++) {
      const pod = await createPod(`p${i}`);
      recorder.normal(pod, 'Nominated', 'Pod should schedule on: nodeclaim/x', { rateLimit: limit });
    }
    await flushAsync();
    expect(events()).toHaveLength(10);
    await clock.advance(1_000);
    for (let i = 30; i < 40; i++) {
      recorder.normal(await createPod(`p${i}`), 'Nominated', 'again', { rateLimit: limit });
    }
    await flushAsync();
    expect(events()).toHaveLength(15);
  });

  it('keeps separate Events for different reasons, messages and objects', async () => {
    const a = await createNode('a');
    const b = await createNode('b');
    recorder.normal(a, 'R1', 'm1');
    recorder.normal(a, 'R2', 'm1');
    recorder.normal(a, 'R1', 'm2');
    recorder.normal(b, 'R1', 'm1');
    await flushAsync();

    const summary = events()
      .map((e) => `${e.involvedObject.name}/${e.reason}/${e.message}/${e.count}`)
      .sort();
    expect(summary).toEqual(['a/R1/m1/1', 'a/R1/m2/1', 'a/R2/m1/1', 'b/R1/m1/1']);
  });

  it('writes one Event for repeats recorded before the first has been created', async () => {
    const node = await createNode();
    recorder.normal(node, 'Evicted', 'Evicted pod');
    recorder.normal(node, 'Evicted', 'Evicted pod');
    recorder.normal(node, 'Evicted', 'Evicted pod');
    await flushAsync();

    const all = events();
    expect(all).toHaveLength(1);
    expect(all[0]?.count).toBe(1);
  });

  it('creates the Event afresh once the earlier one is gone (expired)', async () => {
    const node = await createNode();
    recorder.normal(node, 'Launched', 'Launched instance');
    await flushAsync();
    await api.delete(Kinds.Event, events()[0]?.metadata.name as string, 'default');

    await clock.advance(3_600_000);
    recorder.normal(node, 'Launched', 'Launched instance');
    await flushAsync();

    const all = events();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ count: 1, firstTimestamp: '2026-01-01T01:00:00.000Z' });
  });

  it('tells subscribers about every event, repeats included, synchronously', async () => {
    const pod = await createPod();
    const node = await createNode();
    const seen: RecordedEvent[] = [];
    const alsoSeen: string[] = [];
    recorder.subscribe((e) => seen.push(e));
    recorder.subscribe((e) => alsoSeen.push(e.reason));

    recorder.normal(pod, 'Nominated', 'on node-a');
    expect(seen).toHaveLength(1);
    await clock.advance(1000);
    recorder.normal(pod, 'Nominated', 'on node-a');
    recorder.warning(node, 'FailedDraining', 'blocked');

    expect(seen).toEqual([
      {
        time: T0,
        type: 'Normal',
        reason: 'Nominated',
        message: 'on node-a',
        kind: 'Pod',
        name: 'web-1',
        namespace: 'shop',
      },
      {
        time: T0 + 1000,
        type: 'Normal',
        reason: 'Nominated',
        message: 'on node-a',
        kind: 'Pod',
        name: 'web-1',
        namespace: 'shop',
      },
      {
        time: T0 + 1000,
        type: 'Warning',
        reason: 'FailedDraining',
        message: 'blocked',
        kind: 'Node',
        name: 'node-a',
      },
    ]);
    expect(alsoSeen).toEqual(['Nominated', 'Nominated', 'FailedDraining']);
  });

  it('reports API failures to onError without throwing', async () => {
    const rejecting = new MemoryApiServer({
      clock,
      admission: [
        (kind) => {
          if (kind.kind === 'Event') throw new InvalidError('events are forbidden');
        },
      ],
    });
    const seen: string[] = [];
    recorder = new EventRecorder(rejecting, clock, (err) => errors.push(err));
    recorder.subscribe((e) => seen.push(e.reason));
    const node = await rejecting.create(Kinds.Node, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
    });

    expect(() => recorder.normal(node, 'Launched', 'x')).not.toThrow();
    await flushAsync();

    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidError);
    expect(seen).toEqual(['Launched']);
    expect(rejecting.peekAll(Kinds.Event)).toEqual([]);
  });

  it('tries to create the Event again after a failed create', async () => {
    let reject = true;
    const flaky = new MemoryApiServer({
      clock,
      admission: [
        (kind) => {
          if (kind.kind === 'Event' && reject) throw new InvalidError('not now');
        },
      ],
    });
    recorder = new EventRecorder(flaky, clock, (err) => errors.push(err));
    const node = await flaky.create(Kinds.Node, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } });

    recorder.normal(node, 'Launched', 'x');
    await flushAsync();
    expect(errors).toHaveLength(1);

    reject = false;
    recorder.normal(node, 'Launched', 'x');
    await flushAsync();
    expect(flaky.peekAll(Kinds.Event).map((e) => e.count)).toEqual([1]);
    expect(errors).toHaveLength(1);
  });
});
