/** The SQS queue the controller reads interruption events from, its policy, and the five rules feeding it. */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { interruptionQueuePolicy, QUEUE_RETENTION_SECONDS } from './queue-policy';
import { eventPattern, INTERRUPTION_RULES } from './rules';

export interface InterruptionQueueArgs {
  /** @default the cluster name, as upstream's `settings.interruptionQueue` examples use */
  queueName: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface InterruptionQueue {
  queue: aws.sqs.Queue;
  queuePolicy: aws.sqs.QueuePolicy;
  rules: aws.cloudwatch.EventRule[];
  targets: aws.cloudwatch.EventTarget[];
}

export function createInterruptionQueue(
  name: string,
  args: InterruptionQueueArgs,
  parent: pulumi.Resource,
): InterruptionQueue {
  const opts = { parent };
  const queue = new aws.sqs.Queue(
    `${name}-interruption`,
    {
      name: args.queueName,
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      tags: args.tags,
    },
    opts,
  );
  const queuePolicy = new aws.sqs.QueuePolicy(
    `${name}-interruption`,
    {
      queueUrl: queue.url,
      policy: queue.arn.apply((arn) => JSON.stringify(interruptionQueuePolicy(arn))),
    },
    opts,
  );
  const rules: aws.cloudwatch.EventRule[] = [];
  const targets: aws.cloudwatch.EventTarget[] = [];
  for (const rule of INTERRUPTION_RULES) {
    const eventRule = new aws.cloudwatch.EventRule(
      `${name}-${rule.id}`,
      {
        description: `karpenter-ts interruption: ${rule.detailType}`,
        eventPattern: JSON.stringify(eventPattern(rule)),
        tags: args.tags,
      },
      opts,
    );
    rules.push(eventRule);
    targets.push(
      new aws.cloudwatch.EventTarget(
        `${name}-${rule.id}`,
        { rule: eventRule.name, arn: queue.arn, targetId: 'KarpenterInterruptionQueueTarget' },
        opts,
      ),
    );
  }
  return { queue, queuePolicy, rules, targets };
}
