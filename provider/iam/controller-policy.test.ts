import {
  CONTROLLER_POLICY_GROUPS,
  controllerPolicies,
  controllerPolicyStatements,
} from './controller-policy';
import { MANAGED_POLICY_MAX_CHARS, policySize } from './policy-document';

const scope = {
  partition: 'aws',
  region: 'eu-west-1',
  accountId: '123456789012',
  clusterName: 'c',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/KarpenterNodeRole-c',
  interruptionQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:c',
};

describe('controller policy', () => {
  it('puts every statement in exactly one group', () => {
    const sids = controllerPolicyStatements(scope).map((s) => s.Sid);
    const grouped = Object.values(CONTROLLER_POLICY_GROUPS).flat();
    expect([...sids].sort()).toEqual([...grouped].sort());
    expect(new Set(grouped).size).toBe(grouped.length);
  });

  it('keeps each group under the managed-policy size limit even for a 100-character cluster name', () => {
    const long = { ...scope, clusterName: 'x'.repeat(100), region: 'ap-southeast-3' };
    for (const doc of Object.values(controllerPolicies(long))) {
      expect(policySize(doc)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    }
  });

  it('leaves out the SQS group without a queue', () => {
    const noQueue = { ...scope, interruptionQueueArn: undefined };
    expect(Object.keys(controllerPolicies(noQueue))).not.toContain('Interruption');
    expect(Object.keys(controllerPolicies(scope))).toContain('Interruption');
  });

  it("allows reading only this cluster's zonal shifts (ENABLE_ZONAL_SHIFT), and the zone IDs' names", () => {
    const statements = controllerPolicyStatements(scope);
    const arc = statements.find((s) => s.Action === 'arc-zonal-shift:GetManagedResource');
    expect(arc?.Condition).toEqual({
      StringEquals: { 'arc-zonal-shift:ResourceIdentifier': 'arn:aws:eks:eu-west-1:123456789012:cluster/c' },
    });
    expect(Object.keys(controllerPolicies(scope))).toContain('ZonalShift');
    expect(JSON.stringify(statements)).toContain('ec2:DescribeAvailabilityZones');
  });

  it('uses the partition in every ARN and the China partition service name for PassRole', () => {
    const cn = controllerPolicyStatements({ ...scope, partition: 'aws-cn', region: 'cn-north-1' });
    const arns = cn.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource ?? '']));
    for (const arn of arns.filter(
      (a) => a.startsWith('arn:') && !a.includes(':role/') && !a.includes(':sqs:'),
    )) {
      expect(arn.startsWith('arn:aws-cn:')).toBe(true);
    }
    expect(cn.find((s) => s.Sid === 'AllowPassingInstanceRole')?.Condition?.StringEquals).toEqual({
      'iam:PassedToService': 'ec2.amazonaws.com.cn',
    });
  });
});
