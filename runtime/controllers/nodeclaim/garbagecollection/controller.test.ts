import type { NodeClaim } from '../../../kube/objects';
import { testNodeClaim } from '../../../kube/testing';
import { findGarbage, LEAK_GRACE_MS } from './controller';

const NOW = Date.parse('2026-01-01T01:00:00Z');

function claim(
  name: string,
  providerID: string,
  opts: { launchedAgoMs?: number; launched?: boolean } = {},
): NodeClaim {
  return testNodeClaim(name, {
    metadata: { creationTimestamp: new Date(NOW - (opts.launchedAgoMs ?? 60_000)).toISOString() },
    status: { providerID },
    conditions: opts.launched === false ? [] : ['Launched'],
  });
}

describe('findGarbage', () => {
  it('finds instances nobody owns once they are older than the grace period', () => {
    const cloud = [
      claim('a', 'aws:///z/i-a'),
      claim('gone-claim', 'aws:///z/i-b'),
      claim('young', 'aws:///z/i-c', { launchedAgoMs: LEAK_GRACE_MS - 1 }),
      claim('in-flight', 'aws:///z/i-d'),
    ];
    const claims = [claim('a', 'aws:///z/i-a'), claim('in-flight', '', { launched: false })];
    const { leaked, vanished } = findGarbage(cloud, claims, NOW);
    expect(leaked.map((c) => c.status?.providerID)).toEqual(['aws:///z/i-b']);
    expect(vanished).toEqual([]);
  });

  it('finds a second instance tagged with a claim that records another one: a duplicate launch', () => {
    const cloud = [claim('twice', 'aws:///z/i-first'), claim('twice', 'aws:///z/i-second')];
    const { leaked } = findGarbage(cloud, [claim('twice', 'aws:///z/i-second')], NOW);
    expect(leaked.map((c) => c.status?.providerID)).toEqual(['aws:///z/i-first']);
  });

  it('finds launched claims whose instance is gone, but not unlaunched or deleting ones', () => {
    const deleting = claim('deleting', 'aws:///z/i-y');
    deleting.metadata.deletionTimestamp = '2026-01-01T00:59:00Z';
    const claims = [
      claim('gone', 'aws:///z/i-x'),
      deleting,
      claim('new', 'aws:///z/i-z', { launched: false }),
    ];
    const { vanished } = findGarbage([], claims, NOW);
    expect(vanished.map((c) => c.metadata.name)).toEqual(['gone']);
  });
});
