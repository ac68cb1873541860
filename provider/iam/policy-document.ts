/** IAM policy documents as plain data, so every statement can be asserted in tests before it reaches AWS. */

export type ConditionOperator =
  'StringEquals' | 'StringLike' | 'StringEqualsIfExists' | 'ForAllValues:StringEquals' | 'Bool';

export type Condition = Partial<Record<ConditionOperator, Record<string, string | string[]>>>;

export interface Principal {
  Service?: string | string[];
  Federated?: string;
  AWS?: string | string[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Principal | '*';
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Condition;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** IAM's limit on a managed policy's size, counted without whitespace. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** A document's size as IAM counts it (JSON.stringify emits no whitespace). */
export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).length;
}
