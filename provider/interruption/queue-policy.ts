/** Who may write to the interruption queue: EventBridge and SQS itself, and nobody over plain HTTP. */
import { policyDocument, type PolicyDocument } from '../iam/policy-document';

/** How long an undelivered interruption message is worth keeping: a spot warning is only good for two minutes. */
export const QUEUE_RETENTION_SECONDS = 300;

export const QUEUE_SENDERS = ['events.amazonaws.com', 'sqs.amazonaws.com'] as const;

export function interruptionQueuePolicy(queueArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: 'EC2InterruptionPolicy',
      Effect: 'Allow',
      Principal: { Service: [...QUEUE_SENDERS] },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
    },
    {
      Sid: 'DenyHTTP',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sqs:*',
      Resource: queueArn,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ]);
}
