import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsMessageSource } from './sqs-poller';

const QUEUE_URL = 'https://sqs.us-west-2.amazonaws.com/123456789012/karpenter-demo';
const spot = readFileSync(
  join(__dirname, '..', '..', 'cloudprovider', 'interruption', 'testdata', 'spot-interruption.json'),
  'utf8',
);

describe('SqsMessageSource', () => {
  const sqsMock = mockClient(SQSClient);
  let sqs: SQSClient;

  beforeEach(() => {
    sqsMock.reset();
    sqs = new SQSClient({ region: 'us-west-2' });
    sqsMock.on(GetQueueUrlCommand).resolves({ QueueUrl: QUEUE_URL });
  });
  afterEach(() => sqs.destroy());

  it('long-polls with Karpenter’s request and looks the queue URL up once', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'rh-1', Body: spot }] })
      .resolves({});
    const source = new SqsMessageSource({ sqs, queueName: 'karpenter-demo' });
    const signal = new AbortController().signal;

    const first = await source.receive(signal);
    const second = await source.receive(signal);

    expect(sqsMock.commandCalls(GetQueueUrlCommand).map((c) => c.args[0].input)).toEqual([
      { QueueName: 'karpenter-demo' },
    ]);
    const receives = sqsMock.commandCalls(ReceiveMessageCommand);
    expect(receives.map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, VisibilityTimeout: 20, WaitTimeSeconds: 20 },
      { QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, VisibilityTimeout: 20, WaitTimeSeconds: 20 },
    ]);
    expect(first).toHaveLength(1);
    expect(first[0]?.handle).toBe('rh-1');
    expect(first[0]?.message).toMatchObject({
      kind: 'spotInterruption',
      instanceIds: ['i-0abcdef1234567890'],
    });
    expect(second).toEqual([]);
  });

  it('passes the abort signal to the long poll, so stop() can cut it short', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({});
    const source = new SqsMessageSource({ sqs, queueName: 'karpenter-demo' });
    const abort = new AbortController();
    const sent = jest.spyOn(sqs, 'send');
    await source.receive(abort.signal);
    const receiveCall = sent.mock.calls.find(([cmd]) => cmd instanceof ReceiveMessageCommand);
    expect(receiveCall?.[1]).toEqual({ abortSignal: abort.signal });
  });

  it('parses every body, malformed ones included, and skips messages without a receipt handle', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({
      Messages: [
        { MessageId: 'a', ReceiptHandle: 'rh-a', Body: '{"truncated": ' },
        { MessageId: 'b', Body: spot },
        { MessageId: 'c', ReceiptHandle: 'rh-c' },
      ],
    });
    const source = new SqsMessageSource({ sqs, queueName: 'karpenter-demo' });
    const batch = await source.receive(new AbortController().signal);
    expect(batch.map((m) => [m.handle, m.message.kind])).toEqual([
      ['rh-a', 'malformed'],
      ['rh-c', 'malformed'],
    ]);
  });

  it('deletes by receipt handle on the looked-up URL', async () => {
    sqsMock.on(DeleteMessageCommand).resolves({});
    const source = new SqsMessageSource({ sqs, queueName: 'karpenter-demo' });
    await source.delete({ handle: 'rh-9', message: { kind: 'malformed', reason: 'x' } });
    expect(sqsMock.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-9' },
    ]);
  });

  it('retries a failed queue URL lookup on the next call', async () => {
    sqsMock
      .on(GetQueueUrlCommand)
      .rejectsOnce(new Error('QueueDoesNotExist'))
      .resolves({ QueueUrl: QUEUE_URL });
    sqsMock.on(ReceiveMessageCommand).resolves({});
    const source = new SqsMessageSource({ sqs, queueName: 'karpenter-demo' });
    await expect(source.receive(new AbortController().signal)).rejects.toThrow('QueueDoesNotExist');
    await expect(source.receive(new AbortController().signal)).resolves.toEqual([]);
    await source.receive(new AbortController().signal);
    expect(sqsMock.commandCalls(GetQueueUrlCommand)).toHaveLength(2);
  });
});
