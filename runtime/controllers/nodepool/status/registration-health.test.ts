import { nodePool } from '../../../scheduling/testing';
import { testNodeClass } from '../../../cloudprovider/aws/testing';
import {
  BUFFER_SIZE,
  bufferStatus,
  needsReset,
  REGISTRATION_HEALTHY,
  RegistrationHealth,
  registrationCondition,
  type Outcome,
} from './registration-health';

const POOL = { name: 'default', uid: 'uid-1' };
const ok: Outcome = { registered: true };
const launchFailed: Outcome = { registered: false, reason: 'AccessDenied', message: 'CreateFleet: denied' };
const neverJoined: Outcome = {
  registered: false,
  reason: 'RegistrationFailed',
  message: 'Failed to register node',
};

function tracker(...outcomes: Outcome[]): RegistrationHealth {
  const t = new RegistrationHealth();
  for (const o of outcomes) t.record(POOL, o);
  return t;
}

describe('bufferStatus', () => {
  it('is Unknown empty, False from 2 failures (half of 4, counted against the size), else True', () => {
    expect(BUFFER_SIZE).toBe(4);
    expect(bufferStatus([])).toBe('Unknown');
    expect(bufferStatus([false])).toBe('True');
    expect(bufferStatus([false, false])).toBe('False');
    expect(bufferStatus([true, false, true, false])).toBe('False');
    expect(bufferStatus([true, false, true, true])).toBe('True');
  });
});

describe('RegistrationHealth', () => {
  it('stays Unknown until launches tell, and one failure after a reset is not enough to say anything', () => {
    expect(tracker().verdict(POOL.uid)).toEqual({ status: 'Unknown' });
    expect(tracker(launchFailed).verdict(POOL.uid)).toEqual({ status: 'Unknown' });
    expect(tracker(launchFailed, ok).verdict(POOL.uid)).toEqual({ status: 'True' });
  });

  it('turns False with the failure that tipped it, and keeps that reason on later failures', () => {
    const t = tracker(ok, launchFailed);
    expect(t.verdict(POOL.uid).status).toBe('True');
    t.record(POOL, neverJoined);
    expect(t.verdict(POOL.uid)).toEqual({
      status: 'False',
      reason: 'RegistrationFailed',
      message: 'Failed to register node',
    });
    t.record(POOL, launchFailed);
    expect(t.verdict(POOL.uid)).toMatchObject({ status: 'False', reason: 'RegistrationFailed' });
  });

  it('stays False while failures fill half the last 4, and turns True once successes push them out', () => {
    const t = tracker(launchFailed, launchFailed);
    expect(t.verdict(POOL.uid).status).toBe('False');
    t.record(POOL, ok);
    t.record(POOL, ok);
    expect(t.outcomes(POOL.uid)).toEqual([false, false, true, true]);
    expect(t.verdict(POOL.uid).status).toBe('False');
    t.record(POOL, ok); // the oldest failure leaves the buffer
    expect(t.outcomes(POOL.uid)).toEqual([false, true, true, true]);
    expect(t.verdict(POOL.uid).status).toBe('True');
  });

  it('tells listeners the pool name when the verdict changes, not on every outcome', () => {
    const t = new RegistrationHealth();
    const changed: string[] = [];
    t.onChange((name) => changed.push(name));
    t.record(POOL, ok);
    t.record(POOL, ok);
    t.record(POOL, launchFailed);
    expect(changed).toEqual(['default']);
    t.record(POOL, launchFailed);
    expect(changed).toEqual(['default', 'default']);
  });

  it('reset forgets everything; pools are kept apart by uid', () => {
    const t = tracker(launchFailed, launchFailed);
    t.record({ name: 'default', uid: 'uid-2' }, ok);
    t.reset(POOL.uid);
    expect(t.verdict(POOL.uid)).toEqual({ status: 'Unknown' });
    expect(t.outcomes(POOL.uid)).toEqual([]);
    expect(t.verdict('uid-2').status).toBe('True');
  });

  it('hydrates from the condition after a restart, only when it has nothing recorded', () => {
    const t = new RegistrationHealth();
    t.hydrate(POOL.uid, {
      type: REGISTRATION_HEALTHY,
      status: 'False',
      reason: 'AccessDenied',
      message: 'm',
    });
    expect(t.verdict(POOL.uid)).toEqual({ status: 'False', reason: 'AccessDenied', message: 'm' });
    // Upstream pre-fills just enough failures: one success does not clear it, three do.
    t.record(POOL, ok);
    expect(t.verdict(POOL.uid).status).toBe('False');
    t.record(POOL, ok);
    t.record(POOL, ok);
    expect(t.verdict(POOL.uid).status).toBe('True');
    t.hydrate(POOL.uid, { type: REGISTRATION_HEALTHY, status: 'False' });
    expect(t.verdict(POOL.uid).status).toBe('True');

    const healthy = new RegistrationHealth();
    healthy.hydrate(POOL.uid, { type: REGISTRATION_HEALTHY, status: 'True' });
    healthy.record(POOL, launchFailed);
    expect(healthy.verdict(POOL.uid).status).toBe('True');
    const unknown = new RegistrationHealth();
    unknown.hydrate(POOL.uid, { type: REGISTRATION_HEALTHY, status: 'Unknown' });
    expect(unknown.outcomes(POOL.uid)).toEqual([]);
  });
});

describe('needsReset', () => {
  const nodeClass = testNodeClass();
  nodeClass.metadata.generation = 3;
  const written = (poolGeneration: number, observedGeneration: number, nodeClassGeneration: number) => {
    const p = nodePool('default');
    p.metadata.generation = poolGeneration;
    p.status = {
      nodeClassObservedGeneration: nodeClassGeneration,
      conditions: [{ type: REGISTRATION_HEALTHY, status: 'False', observedGeneration }],
    };
    return p;
  };

  it('resets when never written, or when the pool or node class generation moved since', () => {
    expect(needsReset(nodePool('default'), nodeClass)).toBe(true);
    expect(needsReset(written(2, 2, 3), nodeClass)).toBe(false);
    expect(needsReset(written(2, 2, 2), nodeClass)).toBe(true);
    expect(needsReset(written(3, 2, 3), nodeClass)).toBe(true);
  });
});

describe('registrationCondition', () => {
  it('writes upstream reasons and messages at the pool generation, keeping other conditions', () => {
    const ready = { type: 'Ready', status: 'True' as const };
    const unknown = registrationCondition([ready], { status: 'Unknown' }, 4, 0);
    expect(unknown).toContainEqual(ready);
    expect(unknown.find((c) => c.type === REGISTRATION_HEALTHY)).toMatchObject({
      status: 'Unknown',
      reason: 'AwaitingReconciliation',
      message: 'object is awaiting reconciliation',
      observedGeneration: 4,
    });
    const failed = registrationCondition(unknown, { status: 'False', reason: 'R', message: 'M' }, 5, 1000);
    expect(failed.find((c) => c.type === REGISTRATION_HEALTHY)).toMatchObject({
      status: 'False',
      reason: 'R',
      message: 'M',
      observedGeneration: 5,
    });
    expect(failed.filter((c) => c.type === REGISTRATION_HEALTHY)).toHaveLength(1);
  });
});
