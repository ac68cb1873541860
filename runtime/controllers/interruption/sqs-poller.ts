/**
 * The interruption queue as a MessageSource: long-polls SQS the way Karpenter does (up to 10 messages, hidden for
 * 20 s while handled, waiting up to 20 s for one to arrive), parses each body, and deletes handled messages.
 * The queue URL is looked up once; stop() aborts the long poll in flight through the AbortSignal.
 */
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MAX_BATCH } from '../../cloudprovider/interruption/memory-source';
import { parseMessage } from '../../cloudprovider/interruption/messages';
import type { MessageSource, SourcedMessage } from '../../cloudprovider/interruption/source';

/** Seconds a received message stays hidden from other receivers while it is handled. */
export const VISIBILITY_TIMEOUT_SECONDS = 20;
/** Seconds a receive waits for a message before returning empty (long polling). */
export const WAIT_TIME_SECONDS = 20;

export interface SqsMessageSourceOptions {
  sqs: SQSClient;
  /** The queue's name (Karpenter's INTERRUPTION_QUEUE setting), not its URL. */
  queueName: string;
}

export class SqsMessageSource implements MessageSource {
  readonly name: string;
  private queueUrl: Promise<string> | undefined;

  constructor(private readonly opts: SqsMessageSourceOptions) {
    this.name = opts.queueName;
  }

  async receive(signal: AbortSignal): Promise<SourcedMessage[]> {
    const QueueUrl = await this.url();
    if (signal.aborted) return [];
    const out = await this.opts.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: MAX_BATCH,
        VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
        WaitTimeSeconds: WAIT_TIME_SECONDS,
      }),
      { abortSignal: signal },
    );
    const batch: SourcedMessage[] = [];
    for (const m of out.Messages ?? []) {
      // Without a receipt handle a message cannot be deleted; SQS always sends one, so this is only a guard.
      if (!m.ReceiptHandle) continue;
      batch.push({ handle: m.ReceiptHandle, message: parseMessage(m.Body) });
    }
    return batch;
  }

  async delete(message: SourcedMessage): Promise<void> {
    await this.opts.sqs.send(
      new DeleteMessageCommand({ QueueUrl: await this.url(), ReceiptHandle: message.handle }),
    );
  }

  /** GetQueueUrl once; a failed lookup is retried on the next call. */
  private url(): Promise<string> {
    this.queueUrl ??= this.opts.sqs
      .send(new GetQueueUrlCommand({ QueueName: this.opts.queueName }))
      .then((r) => {
        if (!r.QueueUrl) throw new Error(`GetQueueUrl returned no URL for queue ${this.opts.queueName}`);
        return r.QueueUrl;
      });
    const url = this.queueUrl;
    url.catch(() => {
      if (this.queueUrl === url) this.queueUrl = undefined;
    });
    return url;
  }
}
