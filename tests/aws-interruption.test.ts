/**
 * The interruption controller against SQS as moto emulates it: real long polls, receipt handles and deletes, over
 * the in-memory Kubernetes API (no cluster needed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { nodeClaimSchema } from '../sdk/api/nodeclaim';
import { Labels } from '../sdk/api/well-known';
import { RealClock } from '../runtime/clock/clock';
import type { CloudProvider } from '../runtime/cloudprovider/types';
import { InterruptionController, type MarkUnavailable } from '../runtime/controllers/interruption';
import { EventRecorder, type RecordedEvent } from '../runtime/events/recorder';
import { Kinds } from '../runtime/kube/kinds';
import { MemoryApiServer } from '../runtime/kube/memory/memory-api-server';
import { createLogger } from '../runtime/logging';
import { ClusterState } from '../runtime/state/cluster-state';
import { describeWithMoto, motoClientConfig, startMoto, type MotoServer } from './support/moto';

const describeMoto = describeWithMoto('the interruption tests on moto');

const QUEUE = 'karpenter-ts-interruption';
const ZONE = 'us-east-1a';
const SAMPLE_INSTANCE = 'i-0abcdef1234567890';
const sample = (name: string, instanceId: string) =>
  readFileSync(
    join(__dirname, '..', 'runtime', 'cloudprovider', 'interruption', 'testdata', name),
    'utf8',
  ).replaceAll(SAMPLE_INSTANCE, instanceId);

/** One instance per kind, so each message's effect shows on its own NodeClaim. */
const INSTANCES = {
  spot: 'i-0000000000000000a',
  stopping: 'i-0000000000000000b',
  health: 'i-0000000000000000c',
  reservation: 'i-0000000000000000d',
  rebalance: 'i-0000000000000000e',
  untouched: 'i-0000000000000000f',
};

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeMoto('interruption over SQS (moto)', () => {
  let moto: MotoServer;
  let sqs: SQSClient;

  beforeAll(async () => {
    moto = await startMoto();
    sqs = new SQSClient(motoClientConfig(moto.endpoint));
  }, 600_000);
  afterAll(async () => {
    sqs?.destroy();
    await moto?.stop();
  });

  it('acts on each kind, deletes every message from the queue, counts malformed ones', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: QUEUE, Attributes: { MessageRetentionPeriod: '300' } }),
    );
    const clock = new RealClock();
    const api = new MemoryApiServer({ clock });
    for (const [name, id] of Object.entries(INSTANCES)) {
      await api.create(
        Kinds.NodeClaim,
        nodeClaimSchema.parse({
          apiVersion: 'karpenter.sh/v1',
          kind: 'NodeClaim',
          metadata: {
            name,
            labels: {
              [Labels.instanceType]: 'm7g.large',
              [Labels.zone]: ZONE,
              [Labels.capacityType]: 'spot',
            },
          },
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
            requirements: [],
          },
          status: { providerID: `aws:///${ZONE}/${id}` },
        }),
      );
      await api.create(Kinds.Node, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `node-${name}` },
        spec: { providerID: `aws:///${ZONE}/${id}` },
      });
    }
    const state = new ClusterState(api, clock);
    await state.start();
    const recorder = new EventRecorder(api, clock);
    const events: RecordedEvent[] = [];
    recorder.subscribe((e) => events.push(e));
    const unavailable = jest.fn<ReturnType<MarkUnavailable>, Parameters<MarkUnavailable>>();

    const bodies = [
      sample('spot-interruption.json', INSTANCES.spot),
      sample('state-change-stopping.json', INSTANCES.stopping),
      sample('aws-health-scheduled-change.json', INSTANCES.health),
      sample('capacity-reservation-interruption.json', INSTANCES.reservation),
      sample('rebalance-recommendation.json', INSTANCES.rebalance),
      sample('state-change-running.json', INSTANCES.untouched),
      '{"version":"0","id":"abc","detail-type":"EC2 Spot Instance Interruption Warning","source":"aws.ec2","detail":{',
      'hello from a misconfigured rule',
    ];
    for (const MessageBody of bodies) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }));

    const controller = new InterruptionController({
      api,
      cloud: {} as CloudProvider,
      state,
      clock,
      recorder,
      logger: createLogger('silent'),
      sqs,
      queueName: QUEUE,
      unavailable,
    });
    controller.start();
    try {
      await until('every message is deleted', () => controller.stats.deleted === bodies.length);
    } finally {
      // The loop is back in a 20 s long poll by now: stop() must cut it short.
      const stopping = Date.now();
      await controller.stop();
      expect(Date.now() - stopping).toBeLessThan(5_000);
      state.stop();
    }

    expect(
      api
        .peekAll(Kinds.NodeClaim)
        .map((c) => c.metadata.name)
        .sort(),
    ).toEqual(['rebalance', 'untouched']);
    expect(unavailable.mock.calls).toEqual([['m7g.large', ZONE, 'spot']]);
    expect(controller.stats.received).toEqual({
      spotInterruption: 1,
      rebalanceRecommendation: 1,
      stateChange: 1,
      scheduledChange: 1,
      capacityReservationInterruption: 1,
      unknown: 1,
      malformed: 2,
    });
    expect(controller.stats.errors).toEqual({ receive: 0, handle: 0, delete: 0 });
    expect(
      events
        .filter((e) => e.kind === 'Node')
        .map((e) => `${e.name}:${e.reason}`)
        .sort(),
    ).toEqual([
      'node-health:InstanceUnhealthy',
      'node-health:TerminatingOnInterruption',
      'node-rebalance:SpotRebalanceRecommendation',
      'node-reservation:CapacityReservationInstanceInterrupted',
      'node-reservation:TerminatingOnInterruption',
      'node-spot:SpotInterrupted',
      'node-spot:TerminatingOnInterruption',
      'node-stopping:InstanceStopping',
      'node-stopping:TerminatingOnInterruption',
    ]);

    // Deleted, not merely hidden: nothing visible and nothing in flight comes back after the visibility timeout.
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(attrs.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  }, 120_000);

  it('leaves a message it could not act on in the queue, and acts when SQS delivers it again', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${QUEUE}-retry` }));
    const clock = new RealClock();
    const api = new MemoryApiServer({ clock });
    await api.create(
      Kinds.NodeClaim,
      nodeClaimSchema.parse({
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodeClaim',
        metadata: { name: 'spot', labels: { [Labels.instanceType]: 'm7g.large', [Labels.zone]: ZONE } },
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
          requirements: [],
        },
        status: { providerID: `aws:///${ZONE}/${INSTANCES.spot}` },
      }),
    );
    const state = new ClusterState(api, clock);
    await state.start();
    const apiDelete = jest.spyOn(api, 'delete').mockRejectedValueOnce(new Error('API server unavailable'));
    await sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: sample('spot-interruption.json', INSTANCES.spot) }),
    );
    const controller = new InterruptionController({
      api,
      cloud: {} as CloudProvider,
      state,
      clock,
      recorder: new EventRecorder(api, clock),
      logger: createLogger('silent'),
      sqs,
      queueName: `${QUEUE}-retry`,
      unavailable: () => undefined,
    });
    controller.start();
    try {
      await until('the first attempt fails', () => controller.stats.errors.handle === 1);
      expect(controller.stats.deleted).toBe(0);
      // Hidden for the 20 s visibility timeout, then delivered again.
      await until('the message is handled on redelivery', () => controller.stats.deleted === 1, 45_000);
    } finally {
      await controller.stop();
      state.stop();
    }
    expect(controller.stats.received.spotInterruption).toBe(2);
    expect(apiDelete).toHaveBeenCalledTimes(2);
    expect(api.peek(Kinds.NodeClaim, 'spot')).toBeUndefined();
  }, 90_000);
});
