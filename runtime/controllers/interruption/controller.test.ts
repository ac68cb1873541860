import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SimClock } from '../../clock/sim-clock';
import { InMemoryMessageSource, noticeFor } from '../../cloudprovider/interruption/memory-source';
import type { MessageSource, SourcedMessage } from '../../cloudprovider/interruption/source';
import type { CloudProvider } from '../../cloudprovider/types';
import { EventRecorder, type RecordedEvent } from '../../events/recorder';
import { ApiError } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { Node, NodeClaim } from '../../kube/objects';
import { createLogger } from '../../logging';
import { ClusterState } from '../../state/cluster-state';
import { InterruptionReasons } from './actions';
import { InterruptionController, type MarkUnavailable } from './controller';
import { nodeFor, spotClaim } from './testing';

const ZONE = 'us-west-2b';
const INSTANCE = 'i-0abcdef1234567890';
const body = (name: string) =>
  readFileSync(join(__dirname, '..', '..', 'cloudprovider', 'interruption', 'testdata', name), 'utf8');

function claim(name: string, instanceId: string): NodeClaim {
  return spotClaim(name, instanceId, { zone: ZONE, instanceType: 'c6g.large' });
}

function node(name: string, instanceId: string): Node {
  return nodeFor(name, instanceId, ZONE);
}

/** The controller over an in-memory API server holding one NodeClaim (and Node) per instance id. */
async function setup(source: MessageSource | { sqs: SQSClient }, instanceIds: string[] = [INSTANCE]) {
  const clock = new SimClock();
  const api = new MemoryApiServer({ clock });
  for (const [i, id] of instanceIds.entries()) {
    await api.create(Kinds.NodeClaim, claim(`claim-${i}`, id));
    await api.create(Kinds.Node, node(`node-${i}`, id));
  }
  const state = new ClusterState(api, clock);
  await state.start();
  const recorder = new EventRecorder(api, clock);
  const events: RecordedEvent[] = [];
  recorder.subscribe((e) => events.push(e));
  const unavailable = jest.fn<ReturnType<MarkUnavailable>, Parameters<MarkUnavailable>>();
  const controller = new InterruptionController({
    api,
    cloud: {} as CloudProvider,
    state,
    clock,
    recorder,
    logger: createLogger('silent'),
    unavailable,
    ...('sqs' in source ? { sqs: source.sqs, queueName: 'karpenter-demo' } : { source }),
  });
  return { clock, api, state, events, unavailable, controller };
}

/** Let the loop run what is queued. */
const flush = async (clock: SimClock, ms = 0) => {
  for (let i = 0; i < 5; i++) await clock.advance(ms);
};

describe('InterruptionController over an in-memory source', () => {
  it('on a spot interruption: events on both objects, offering marked, NodeClaim deleted, message deleted', async () => {
    const source = new InMemoryMessageSource();
    const { clock, api, events, unavailable, controller } = await setup(source);
    controller.start();
    source.push(noticeFor('spotInterruption', INSTANCE, { time: clock.now(), region: 'us-west-2' }));
    await flush(clock);

    expect(api.peek(Kinds.NodeClaim, 'claim-0')).toBeUndefined();
    expect(unavailable.mock.calls).toEqual([['c6g.large', ZONE, 'spot']]);
    expect(events.map((e) => [e.kind, e.name, e.type, e.reason])).toEqual([
      ['NodeClaim', 'claim-0', 'Warning', InterruptionReasons.spotInterrupted],
      ['Node', 'node-0', 'Warning', InterruptionReasons.spotInterrupted],
      ['NodeClaim', 'claim-0', 'Warning', InterruptionReasons.terminatingOnInterruption],
      ['Node', 'node-0', 'Warning', InterruptionReasons.terminatingOnInterruption],
    ]);
    expect(source.depth + source.inFlightCount).toBe(0);
    expect(controller.stats).toMatchObject({
      deleted: 1,
      nodeClaimsDeleted: 1,
      offeringsMarkedUnavailable: 1,
      received: { spotInterruption: 1, malformed: 0 },
    });
    await controller.stop();
    expect(controller.running).toBe(false);
  });

  it('keeps the NodeClaim on a rebalance recommendation and leaves instances that are not ours alone', async () => {
    const source = new InMemoryMessageSource();
    const { clock, api, events, unavailable, controller } = await setup(source);
    controller.start();
    const at = { time: clock.now(), region: 'us-west-2' };
    source.push(noticeFor('rebalanceRecommendation', INSTANCE, at));
    source.push(noticeFor('spotInterruption', 'i-0fffffffffffffff0', at));
    await flush(clock);
    expect(api.peek(Kinds.NodeClaim, 'claim-0')).toBeDefined();
    expect(unavailable).not.toHaveBeenCalled();
    expect(events.map((e) => [e.kind, e.type, e.reason])).toEqual([
      ['NodeClaim', 'Normal', InterruptionReasons.rebalanceRecommendation],
      ['Node', 'Normal', InterruptionReasons.rebalanceRecommendation],
    ]);
    expect(controller.stats.deleted).toBe(2);
    await controller.stop();
  });

  it('leaves a message it failed to handle on the queue, and counts the failure', async () => {
    const handled: SourcedMessage[] = [];
    const source = new InMemoryMessageSource();
    const { clock, api, controller } = await setup(source);
    const deleteSpy = jest.spyOn(source, 'delete').mockImplementation(async (m) => void handled.push(m));
    jest.spyOn(api, 'delete').mockRejectedValueOnce(new ApiError(500, 'InternalError', 'etcd is sad'));
    controller.start();
    source.push(noticeFor('stateChange', INSTANCE, { time: clock.now(), region: 'us-west-2' }));
    await flush(clock);
    expect(deleteSpy).not.toHaveBeenCalled();
    expect(controller.stats.errors.handle).toBe(1);
    expect(controller.stats.nodeClaimsDeleted).toBe(0);
    expect(controller.stats.queueSeconds).toEqual([]);
    await controller.stop();
  });

  it('records how long each handled message was on the queue, from its event time', async () => {
    const source = new InMemoryMessageSource();
    const { clock, controller } = await setup(source);
    const sent = clock.now();
    await clock.advance(90_000);
    controller.start();
    source.push(noticeFor('stateChange', INSTANCE, { time: sent, region: 'us-west-2' }));
    source.push(
      noticeFor('rebalanceRecommendation', 'i-not-ours', { time: sent + 30_000, region: 'us-west-2' }),
    );
    await flush(clock);
    expect(controller.stats.queueSeconds).toEqual([90, 60]);
    await controller.stop();
  });

  it('backs off on the controller clock after failed receives, doubling, and resets after a success', async () => {
    let calls = 0;
    const times: number[] = [];
    const source: MessageSource = {
      name: 'flaky',
      receive: async (signal) => {
        times.push(clock.now());
        calls++;
        if (calls <= 3) throw new Error('network down');
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        return [];
      },
      delete: async () => undefined,
    };
    const { clock, controller } = await setup(source);
    controller.start();
    await flush(clock);
    await clock.advance(60_000);
    const start = times[0] as number;
    expect(times.map((t) => t - start)).toEqual([0, 1000, 3000, 7000]);
    expect(controller.stats.errors.receive).toBe(3);
    await controller.stop();
  });

  it('stop() ends a long poll that is waiting for messages', async () => {
    const source = new InMemoryMessageSource();
    const { clock, controller } = await setup(source);
    controller.start();
    await flush(clock);
    expect(controller.running).toBe(true);
    await controller.stop();
    expect(controller.running).toBe(false);
  });
});

describe('InterruptionController over SQS (mocked)', () => {
  const sqsMock = mockClient(SQSClient);
  beforeEach(() => sqsMock.reset());

  it('handles each kind, deletes every message it handled, and counts malformed and unknown ones', async () => {
    const bodies = [
      body('spot-interruption.json').replaceAll(INSTANCE, 'i-0000000000000000a'),
      body('state-change-stopping.json').replaceAll(INSTANCE, 'i-0000000000000000b'),
      body('aws-health-scheduled-change.json').replaceAll(INSTANCE, 'i-0000000000000000c'),
      body('capacity-reservation-interruption.json').replaceAll(INSTANCE, 'i-0000000000000000d'),
      body('rebalance-recommendation.json').replaceAll(INSTANCE, 'i-0000000000000000e'),
      body('state-change-running.json'),
      '{"version": "0", "id": "cut-off',
    ];
    sqsMock.on(GetQueueUrlCommand).resolves({ QueueUrl: 'https://sqs.local/q' });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: bodies.map((Body, i) => ({ MessageId: `m${i}`, ReceiptHandle: `rh-${i}`, Body })),
      })
      .resolves({});
    sqsMock.on(DeleteMessageCommand).resolves({});
    const sqs = new SQSClient({ region: 'us-west-2' });
    const ids = ['a', 'b', 'c', 'd', 'e'].map((c) => `i-0000000000000000${c}`);
    const { clock, api, controller } = await setup({ sqs }, ids);
    controller.start();
    while (sqsMock.commandCalls(DeleteMessageCommand).length < bodies.length) await flush(clock);
    await controller.stop();
    sqs.destroy();

    expect(api.peekAll(Kinds.NodeClaim).map((c) => c.metadata.name)).toEqual(['claim-4']);
    expect(sqsMock.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle)).toEqual(
      bodies.map((_, i) => `rh-${i}`),
    );
    expect(controller.stats.received).toEqual({
      spotInterruption: 1,
      rebalanceRecommendation: 1,
      stateChange: 1,
      scheduledChange: 1,
      capacityReservationInterruption: 1,
      unknown: 1,
      malformed: 1,
    });
    expect(controller.stats.nodeClaimsDeleted).toBe(4);
  });
});
