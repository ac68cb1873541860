import type { Node, NodeClaim } from '../../kube/objects';
import { actionsFor, InterruptionReasons } from './actions';
import { noticeFor } from '../../cloudprovider/interruption/memory-source';
import type { ActionableKind, ActionableMessage } from '../../cloudprovider/interruption/messages';
import { nodeFor, spotClaim } from './testing';

const ZONE = 'us-west-2a';

function claim(name: string, instanceId: string, metadata: Partial<NodeClaim['metadata']> = {}): NodeClaim {
  return spotClaim(name, instanceId, { zone: ZONE, instanceType: 'm5.large', metadata });
}

function node(name: string, instanceId: string): Node {
  return nodeFor(name, instanceId, ZONE);
}

const at = { time: Date.UTC(2026, 10, 22), region: 'us-west-2' };
const notice = (kind: ActionableKind, id: string): ActionableMessage => noticeFor(kind, id, at);

describe('actionsFor', () => {
  const claims = [claim('a', 'i-0aaa'), claim('b', 'i-0bbb'), claim('c', 'i-0aaa0')];
  const nodes = [node('node-a', 'i-0aaa'), node('node-c', 'i-0aaa0')];

  it('finds the NodeClaim and Node by the instance id at the end of their providerIDs', () => {
    const [a, ...rest] = actionsFor(notice('stateChange', 'i-0aaa'), claims, nodes);
    expect(rest).toEqual([]);
    expect(a?.nodeClaim.metadata.name).toBe('a');
    expect(a?.node?.metadata.name).toBe('node-a');
    // i-0aaa0 only shares a prefix with i-0aaa.
    expect(actionsFor(notice('stateChange', 'i-0aaa0'), claims, nodes)[0]?.nodeClaim.metadata.name).toBe('c');
  });

  it('acts on the NodeClaim alone when it has no Node yet', () => {
    const [b] = actionsFor(notice('stateChange', 'i-0bbb'), claims, nodes);
    expect(b?.nodeClaim.metadata.name).toBe('b');
    expect(b?.node).toBeUndefined();
  });

  it('skips instances that are not ours', () => {
    expect(actionsFor(notice('spotInterruption', 'i-0fff'), claims, nodes)).toEqual([]);
  });

  it('drains and marks the offering unavailable on a spot interruption', () => {
    const [a] = actionsFor(notice('spotInterruption', 'i-0aaa'), claims, nodes);
    expect(a).toMatchObject({
      deleteNodeClaim: true,
      markUnavailable: { instanceType: 'm5.large', zone: ZONE, capacityType: 'spot' },
      event: { type: 'Warning', reason: InterruptionReasons.spotInterrupted },
    });
  });

  it('cannot mark an offering it cannot name', () => {
    const unlabelled = claim('u', 'i-0ccc', { labels: {} });
    const [u] = actionsFor(notice('spotInterruption', 'i-0ccc'), [unlabelled], []);
    expect(u?.deleteNodeClaim).toBe(true);
    expect(u?.markUnavailable).toBeUndefined();
  });

  it('only records an event for a rebalance recommendation', () => {
    const [a] = actionsFor(notice('rebalanceRecommendation', 'i-0aaa'), claims, nodes);
    expect(a).toMatchObject({
      deleteNodeClaim: false,
      event: { type: 'Normal', reason: InterruptionReasons.rebalanceRecommendation },
    });
    expect(a?.markUnavailable).toBeUndefined();
  });

  it('drains without marking offerings for the other kinds, each with its reason', () => {
    const expected: [ActionableKind, string][] = [
      ['stateChange', InterruptionReasons.instanceTerminating],
      ['scheduledChange', InterruptionReasons.instanceUnhealthy],
      ['capacityReservationInterruption', InterruptionReasons.capacityReservationInterrupted],
    ];
    for (const [kind, reason] of expected) {
      const [a] = actionsFor(notice(kind, 'i-0aaa'), claims, nodes);
      expect({
        kind,
        deleteNodeClaim: a?.deleteNodeClaim,
        reason: a?.event.reason,
        mark: a?.markUnavailable,
      }).toEqual({ kind, deleteNodeClaim: true, reason, mark: undefined });
    }
  });

  it('tells stopping from terminating', () => {
    const stopping: ActionableMessage = {
      ...notice('stateChange', 'i-0aaa'),
      state: 'stopped',
    } as ActionableMessage;
    expect(actionsFor(stopping, claims, nodes)[0]?.event.reason).toBe(InterruptionReasons.instanceStopping);
  });

  it('does not delete a NodeClaim that is already being deleted, but still reports', () => {
    const deleting = claim('d', 'i-0ddd', { deletionTimestamp: '2026-11-22T00:00:00Z' });
    const [d] = actionsFor(notice('spotInterruption', 'i-0ddd'), [deleting], []);
    expect(d?.deleteNodeClaim).toBe(false);
    expect(d?.markUnavailable).toBeDefined();
  });

  it('acts once per NodeClaim for every instance an AWS Health event names', () => {
    const health: ActionableMessage = {
      ...notice('scheduledChange', 'i-0aaa'),
      instanceIds: ['i-0aaa', 'i-0bbb', 'i-0aaa', 'i-0fff'],
    } as ActionableMessage;
    expect(actionsFor(health, claims, nodes).map((a) => a.nodeClaim.metadata.name)).toEqual(['a', 'b']);
  });
});
