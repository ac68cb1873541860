/**
 * AWS API errors turned into typed, actionable cloud-provider errors: which call failed, why, and what to fix.
 * The lifecycle controller shows `reason` and `message` on the NodeClaim (condition + event); for access denied
 * the message names the IAM action the controller role lacks, which is the call itself.
 */

import { CloudProviderError } from '../types';

export { CloudProviderError, type CloudProviderErrorReason } from '../types';

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'AuthFailure',
]);
const INVALID_PARAMETER = new Set([
  'InvalidParameter',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'InvalidParameterException',
  'MissingParameter',
  'ValidationError',
  'ValidationException',
  'InvalidAMIID.Malformed',
  'InvalidAMIID.NotFound',
  'InvalidSubnetID.NotFound',
  'InvalidGroup.NotFound',
  'InvalidUserData.Malformed',
  'InvalidBlockDeviceMapping',
]);

/** The error code of an AWS SDK v3 error (its name), or undefined for other errors. */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  for (const v of [e.Code, e.code, e.name]) if (typeof v === 'string' && v !== 'Error') return v;
  return undefined;
}

export function awsErrorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Classifies an error from `action` (an IAM action name such as "ec2:CreateFleet") into a CloudProviderError. */
export function classifyAwsError(err: unknown, action: string): CloudProviderError {
  if (err instanceof CloudProviderError) return err;
  const code = awsErrorCode(err) ?? 'Unknown';
  const detail = awsErrorMessage(err);
  if (THROTTLING.has(code))
    return new CloudProviderError(
      'Throttled',
      action,
      `${action} was throttled by AWS (${code}); it is retried with backoff. If this persists, lower the launch rate or ask AWS for a higher API rate limit.`,
    );
  if (ACCESS_DENIED.has(code))
    return new CloudProviderError(
      'AccessDenied',
      action,
      `${action} was denied (${code}): allow "${action}" in the controller's IAM role policy (check its resource and condition scoping too). AWS said: ${detail}`,
    );
  if (INVALID_PARAMETER.has(code) || code.startsWith('Invalid'))
    return new CloudProviderError(
      'InvalidParameter',
      action,
      `${action} rejected a parameter (${code}): ${detail}. Check the EC2NodeClass (AMI, subnets, security groups, block devices, user data) and NodePool requirements.`,
    );
  return new CloudProviderError('AwsError', action, `${action} failed (${code}): ${detail}`);
}

/** Runs one AWS call, rethrowing its failure as a CloudProviderError naming the action. */
export async function awsCall<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyAwsError(err, action);
  }
}
