import { awsCall, classifyAwsError, CloudProviderError } from './errors';
import { awsError } from './testing';

describe('classifyAwsError', () => {
  it('names the missing IAM action for access denied', () => {
    const e = classifyAwsError(
      awsError('UnauthorizedOperation', 'You are not authorized'),
      'ec2:CreateFleet',
    );
    expect(e).toBeInstanceOf(CloudProviderError);
    expect(e.reason).toBe('AccessDenied');
    expect(e.action).toBe('ec2:CreateFleet');
    expect(e.message).toContain('allow "ec2:CreateFleet"');
    expect(e.message).toContain('You are not authorized');
    expect(e.retryable).toBe(false);
  });

  it.each(['RequestLimitExceeded', 'Throttling', 'ThrottlingException'])(
    '%s is retryable throttling',
    (code) => {
      const e = classifyAwsError(awsError(code), 'ec2:DescribeInstances');
      expect(e.reason).toBe('Throttled');
      expect(e.retryable).toBe(true);
      expect(e.message).toContain('ec2:DescribeInstances was throttled');
    },
  );

  it.each([
    'InvalidParameterValue',
    'InvalidAMIID.NotFound',
    'InvalidSubnetID.NotFound',
    'ValidationException',
  ])('%s is an invalid parameter pointing at the node class', (code) => {
    const e = classifyAwsError(awsError(code, 'bad value'), 'ec2:CreateFleet');
    expect(e.reason).toBe('InvalidParameter');
    expect(e.message).toContain('bad value');
    expect(e.message).toContain('EC2NodeClass');
  });

  it('keeps other errors as retryable AWS errors with their code', () => {
    const e = classifyAwsError(awsError('InternalError', 'boom'), 'ssm:GetParameter');
    expect(e.reason).toBe('AwsError');
    expect(e.message).toBe('ssm:GetParameter failed (InternalError): boom');
  });

  it('awsCall rethrows classified and passes results through', async () => {
    await expect(awsCall('iam:GetInstanceProfile', async () => 7)).resolves.toBe(7);
    await expect(
      awsCall('iam:GetInstanceProfile', () => Promise.reject(awsError('AccessDenied'))),
    ).rejects.toMatchObject({ reason: 'AccessDenied', action: 'iam:GetInstanceProfile' });
  });
});
