/** Helpers for the AWS provider's unit tests: a hand-moved clock, a silent logger, fixtures. */
import pino, { type Logger } from 'pino';
import type { Clock } from '../../clock/clock';
import type { EC2NodeClass } from '../../kube/objects';

export class ManualClock implements Clock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  setTimer(): () => void {
    return () => undefined;
  }
  sleep(): Promise<void> {
    return Promise.resolve();
  }
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** An AWS SDK-style service error with the given code. */
export function awsError(code: string, message = code): Error {
  return Object.assign(new Error(message), { name: code, $metadata: {} });
}

export function testNodeClass(spec: Partial<EC2NodeClass['spec']> = {}, name = 'default'): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name },
    spec: {
      role: 'KarpenterNodeRole-test',
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpProtocolIPv6: 'disabled',
        httpPutResponseHopLimit: 1,
        httpTokens: 'required',
      },
      ...spec,
    },
  };
}
