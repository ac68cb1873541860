import { instanceTypes, nodePool, schedulingPool } from '../../../scheduling/testing';
import {
  decideReplicas,
  isStaticNodePool,
  nodeLimit,
  removalOrder,
  staticClaimPlan,
  type StaticClaim,
} from './replicas';

function claim(name: string, opts: Partial<StaticClaim> = {}): StaticClaim {
  return {
    name,
    launched: true,
    deleting: false,
    pendingDisruption: false,
    reschedulablePods: 1,
    doNotDisrupt: false,
    disruptionCost: 1,
    ...opts,
  };
}
const claims = (n: number, opts: Partial<StaticClaim> = {}) =>
  Array.from({ length: n }, (_, i) => claim(`c${i}`, opts));

describe('static NodePools', () => {
  it('are the pools that set replicas, zero included', () => {
    expect(isStaticNodePool(nodePool('s', { replicas: 0 }))).toBe(true);
    expect(isStaticNodePool(nodePool('d'))).toBe(false);
  });

  it('read limits.nodes as a count', () => {
    expect(nodeLimit(nodePool('s', { replicas: 1, limits: { nodes: '7' } }))).toBe(7);
    expect(nodeLimit(nodePool('s', { replicas: 1 }))).toBeUndefined();
  });
});

describe('decideReplicas', () => {
  it('creates the missing claims', () => {
    expect(decideReplicas(5, undefined, claims(2))).toMatchObject({ action: 'create', count: 3 });
    expect(decideReplicas(3, undefined, [])).toMatchObject({ action: 'create', count: 3 });
  });

  it('does nothing at the replica count', () => {
    expect(decideReplicas(3, undefined, claims(3))).toMatchObject({ action: 'none' });
  });

  it('counts a node pending disruption (its replacement is staged by its own command)', () => {
    const cs = [...claims(2), claim('p', { pendingDisruption: true })];
    expect(decideReplicas(3, undefined, cs)).toMatchObject({ action: 'none' });
    expect(decideReplicas(4, undefined, cs)).toMatchObject({ action: 'create', count: 1 });
  });

  it('does not count deleting claims as capacity, but counts them against limits.nodes', () => {
    const cs = [...claims(2), claim('gone', { deleting: true })];
    expect(decideReplicas(3, undefined, cs)).toMatchObject({ action: 'create', count: 1 });
    expect(decideReplicas(3, 3, cs)).toMatchObject({
      action: 'none',
      atNodeLimit: expect.stringContaining('limits.nodes 3'),
    });
    expect(decideReplicas(5, 4, cs)).toMatchObject({ action: 'create', count: 1 });
  });

  it('never creates past limits.nodes', () => {
    const decision = decideReplicas(10, 4, claims(1));
    expect(decision).toMatchObject({ action: 'create', count: 3 });
    expect(decision.action === 'create' && decision.reason).toContain('limits.nodes 4 allows 3');
  });

  it('removes only the excess of active claims', () => {
    const cs = [...claims(4), claim('p', { pendingDisruption: true }), claim('d', { deleting: true })];
    const decision = decideReplicas(2, undefined, cs);
    expect(decision.action).toBe('remove');
    if (decision.action !== 'remove') return;
    expect(decision.claims).toHaveLength(2);
    expect(decision.claims).not.toContain('p');
    expect(decision.claims).not.toContain('d');
  });

  it('scales to zero', () => {
    const decision = decideReplicas(0, undefined, claims(3));
    expect(decision.action === 'remove' && decision.claims.sort()).toEqual(['c0', 'c1', 'c2']);
  });
});

describe('removalOrder', () => {
  it('takes unlaunched claims, then empty nodes, then the cheapest to disrupt, do-not-disrupt last', () => {
    const order = removalOrder([
      claim('protected', { doNotDisrupt: true, disruptionCost: 0 }),
      claim('busy', { reschedulablePods: 5, disruptionCost: 5 }),
      claim('light', { reschedulablePods: 1, disruptionCost: 0.5 }),
      claim('empty', { reschedulablePods: 0 }),
      claim('launching', { launched: false, reschedulablePods: 0 }),
      claim('empty-but-protected', { reschedulablePods: 0, doNotDisrupt: true }),
    ]);
    expect(order).toEqual(['launching', 'empty', 'light', 'busy', 'empty-but-protected', 'protected']);
  });

  it('leaves claims pending disruption or deleting out', () => {
    expect(
      removalOrder([claim('a'), claim('p', { pendingDisruption: true }), claim('d', { deleting: true })]),
    ).toEqual(['a']);
  });
});

describe('staticClaimPlan', () => {
  it('offers every type that satisfies the pool and fits its DaemonSets, cheapest first', () => {
    const pool = nodePool('s', {
      replicas: 2,
      requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5', 'c5'] }],
      taints: [{ key: 'dedicated', value: 'static', effect: 'NoSchedule' }],
    });
    const types = instanceTypes(['m5.large', 'm5.xlarge', 'c5.large', 't3.micro']);
    const plan = staticClaimPlan(schedulingPool(pool, types, { daemonOverhead: { cpu: 100 } }));
    if (typeof plan === 'string') throw new Error(plan);
    const names = plan.instanceTypeOptions.map((it) => it.name);
    expect(names.sort()).toEqual(['c5.large', 'm5.large', 'm5.xlarge']);
    const price = (name: string) =>
      Math.min(...(types.find((t) => t.name === name)?.offerings.map((o) => o.price) ?? []));
    const prices = plan.instanceTypeOptions.map((it) => price(it.name));
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(plan.pods).toEqual([]);
    expect(plan.requests).toEqual({ cpu: 100 });
    expect(plan.taints).toEqual([{ key: 'dedicated', value: 'static', effect: 'NoSchedule' }]);
    expect(plan.requirements.get('karpenter.sh/nodepool')?.has('s')).toBe(true);
  });

  it('says why when no type fits the DaemonSets', () => {
    const pool = nodePool('s', { replicas: 1 });
    const plan = staticClaimPlan(
      schedulingPool(pool, instanceTypes(['t3.micro']), { daemonOverhead: { cpu: 64_000 } }),
    );
    expect(plan).toMatch(/no instance type satisfies the requirements of NodePool "s"/);
  });
});
