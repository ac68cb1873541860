/**
 * AWS names derived from the cluster name. EKS cluster names run to 100 characters, IAM role names to 64, policy
 * names to 128 and SQS queue names to 80: a derived name that does not fit is cut and given a hash of the whole
 * name, so it stays unique per cluster and the same on every `pulumi up` (a random suffix would replace the role).
 */
import { createHash } from 'node:crypto';

export const IAM_ROLE_NAME_MAX = 64;
export const IAM_POLICY_NAME_MAX = 128;
export const SQS_QUEUE_NAME_MAX = 80;

/** `name` when it fits in `max` characters, else its first characters, "-" and 8 hex digits of its SHA-256. */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - hash.length - 1).replace(/[-_]+$/, '')}-${hash}`;
}

/** A name the user gave that AWS would refuse at `pulumi up`, as a problem naming the field; undefined if it fits. */
export function nameTooLong(field: string, value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || value.length <= max) return undefined;
  return `${field}: "${value}" is ${value.length} characters; AWS allows at most ${max}: give a shorter name, or leave it unset for a derived one that fits`;
}
