/**
 * A CloudProvider that fails a share of its calls, as a profile says: insufficient capacity (create only),
 * throttling, server errors, and lost responses (the call took effect, then the answer was lost: a launched
 * instance the controller never heard of, a terminated one it thinks is running).
 */
import { CloudProviderError, InsufficientCapacityError, type CloudProvider } from '../../cloudprovider/types';
import type { CloudFault, CloudMethod, FaultProfile } from './profile';
import type { FaultLog } from './fault-log';
import { pick } from './faulty-api';
import type { Random } from '../prng';

const ACTION: Record<CloudMethod, string> = {
  create: 'ec2:CreateFleet',
  delete: 'ec2:TerminateInstances',
  get: 'ec2:DescribeInstances',
  list: 'ec2:DescribeInstances',
  getInstanceTypes: 'ec2:DescribeInstanceTypes',
};

function errorFor(fault: CloudFault, method: CloudMethod): Error {
  switch (fault) {
    case 'insufficientCapacity':
      return new InsufficientCapacityError(
        'injected: InsufficientInstanceCapacity for every requested offering',
      );
    case 'throttle':
      return new CloudProviderError('Throttled', ACTION[method], 'injected: RequestLimitExceeded');
    case 'serverError':
      return new CloudProviderError('AwsError', ACTION[method], 'injected: InternalError (500)');
    case 'lostResponse':
      return new CloudProviderError(
        'AwsError',
        ACTION[method],
        'injected: connection reset after the request was sent',
      );
  }
}

export function faultyCloud(
  inner: CloudProvider,
  profile: FaultProfile,
  rng: Random,
  log: FaultLog,
): CloudProvider {
  async function call<R>(method: CloudMethod, run: () => Promise<R>): Promise<R> {
    const fault = log.open ? pick(rng, profile.cloud[method]) : undefined;
    if (!fault) return run();
    log.count(`cloud.${method}.${fault}`);
    if (fault === 'lostResponse') await run();
    throw errorFor(fault, method);
  }
  return {
    name: inner.name,
    ...(inner.reportsNodeClassStatus ? { reportsNodeClassStatus: true } : {}),
    create: (claim) => call('create', () => inner.create(claim)),
    delete: (claim) => call('delete', () => inner.delete(claim)),
    get: (providerID) => call('get', () => inner.get(providerID)),
    list: () => call('list', () => inner.list()),
    getInstanceTypes: (pool) => call('getInstanceTypes', () => inner.getInstanceTypes(pool)),
    isDrifted: (claim) => inner.isDrifted(claim),
    nodeOverheadPrice: (pool) => inner.nodeOverheadPrice(pool),
    repairPolicies: () => inner.repairPolicies(),
    ...(inner.useNodeOverlays ? { useNodeOverlays: (apply) => inner.useNodeOverlays?.(apply) } : {}),
    ...(inner.useZonalShift ? { useZonalShift: (shifted) => inner.useZonalShift?.(shifted) } : {}),
    ...(inner.expiringReservations ? { expiringReservations: inner.expiringReservations.bind(inner) } : {}),
  };
}
