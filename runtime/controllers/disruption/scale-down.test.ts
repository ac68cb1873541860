import { replicaSetPod } from '../../kube/testing';
import type { NodePool, Pod, ReplicaSet } from '../../kube/objects';
import type { StateNode } from '../../state/cluster-state';
import type { Candidate } from './candidates';
import { SCALE_DOWN_WAIT_MS, scalingDown, waitingForScaleDown } from './scale-down';

const T0 = Date.parse('2026-01-01T00:00:00Z');

const rs = (name: string, replicas: number): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace: 'app', uid: `uid-${name}` },
  spec: { replicas, selector: {}, template: { spec: { containers: [] } } },
});

const pod = replicaSetPod;

const pods = (owner: string, n: number) => Array.from({ length: n }, (_, i) => pod(`${owner}-${i}`, owner));

const candidate = (podsOnNode: Pod[]): Candidate =>
  ({
    stateNode: { name: 'node-a' } as StateNode,
    nodePool: { metadata: { name: 'default' } } as NodePool,
    price: 1,
    reschedulablePods: podsOnNode,
    disruptionCost: 1,
  }) as Candidate;

describe('waiting for ReplicaSet scale-downs', () => {
  it('sees a ReplicaSet with more active pods than replicas as scaling down; terminating pods do not count', () => {
    const seen = new Map<string, number>();
    const terminating = pods('api', 3).map((p) => ({
      ...p,
      metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
    }));
    const out = scalingDown(
      [
        { replicaSet: rs('web', 3), pods: pods('web', 10) },
        { replicaSet: rs('api', 2), pods: [...pods('api', 2), ...terminating] },
        { replicaSet: rs('batch', 5), pods: pods('batch', 2) },
      ],
      seen,
      T0,
    );
    expect([...out.entries()]).toEqual([['uid-web', { name: 'app/web', surplus: 7 }]]);
    expect([...seen.keys()]).toEqual(['uid-web']);
  });

  it('holds a candidate with a pod of such a ReplicaSet, and says which and how many pods are to go', () => {
    const scaling = scalingDown([{ replicaSet: rs('web', 1), pods: pods('web', 4) }], new Map(), T0);
    expect(waitingForScaleDown(candidate([pod('other-0', 'other')]), scaling)).toBeUndefined();
    expect(waitingForScaleDown(candidate([pod('other-0', 'other'), pod('web-9', 'web')]), scaling)).toBe(
      'ReplicaSet app/web is still scaling down (3 pods to go): consolidating now would evict pods it is about to delete',
    );
  });

  it('waits at most SCALE_DOWN_WAIT_MS for one ReplicaSet, and starts over once it was at its replicas', () => {
    const seen = new Map<string, number>();
    const stuck = [{ replicaSet: rs('web', 1), pods: pods('web', 4) }];
    expect(scalingDown(stuck, seen, T0).size).toBe(1);
    expect(scalingDown(stuck, seen, T0 + SCALE_DOWN_WAIT_MS - 1).size).toBe(1);
    expect(scalingDown(stuck, seen, T0 + SCALE_DOWN_WAIT_MS).size).toBe(0);
    // At its replicas, then scaled down again: a new wait.
    expect(
      scalingDown([{ replicaSet: rs('web', 4), pods: pods('web', 4) }], seen, T0 + SCALE_DOWN_WAIT_MS + 1)
        .size,
    ).toBe(0);
    expect(seen.size).toBe(0);
    expect(scalingDown(stuck, seen, T0 + SCALE_DOWN_WAIT_MS + 2).size).toBe(1);
  });
});
