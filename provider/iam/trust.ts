/** Who may assume the controller and node roles. */
import { policyDocument, type PolicyDocument } from './policy-document';

export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

/** EKS Pod Identity: the agent assumes the role and tags the session with the pod's identity. */
export function podIdentityTrust(): PolicyDocument {
  return policyDocument([
    {
      Sid: 'AllowEksPodIdentity',
      Effect: 'Allow',
      Principal: { Service: POD_IDENTITY_PRINCIPAL },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ]);
}

export interface IrsaTrustScope {
  /** The cluster's IAM OIDC provider ARN. */
  oidcProviderArn: string;
  /** The issuer URL, with or without https:// (the condition keys use it without). */
  oidcProviderUrl: string;
  namespace: string;
  serviceAccount: string;
}

/** IRSA: only this service account's projected token may be exchanged, and only for STS. */
export function irsaTrust(scope: IrsaTrustScope): PolicyDocument {
  const issuer = scope.oidcProviderUrl.replace(/^https:\/\//, '');
  return policyDocument([
    {
      Sid: 'AllowServiceAccountWebIdentity',
      Effect: 'Allow',
      Principal: { Federated: scope.oidcProviderArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${issuer}:sub`]: `system:serviceaccount:${scope.namespace}:${scope.serviceAccount}`,
          [`${issuer}:aud`]: 'sts.amazonaws.com',
        },
      },
    },
  ]);
}

/** The node role: assumed by the EC2 instances Karpenter launches. */
export function ec2Trust(): PolicyDocument {
  return policyDocument([
    { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ]);
}
