import type { Pod, PodDisruptionBudget } from './objects';
import { disruptionsAllowed, evictionVerdict, isPodHealthy, pdbSelects } from './pdb';

interface PodOpts {
  namespace?: string;
  labels?: Record<string, string>;
  phase?: NonNullable<Pod['status']>['phase'];
  ready?: boolean;
  deleting?: boolean;
}

function pod(name: string, opts: PodOpts = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      labels: opts.labels ?? { app: 'web' },
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00.000Z' } : {}),
    },
    spec: { containers: [{ name: 'app' }] },
    status: {
      phase: opts.phase ?? 'Running',
      ...(opts.ready === undefined
        ? {}
        : { conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }] }),
    },
  };
}

function pods(n: number, opts: PodOpts = {}): Pod[] {
  return Array.from({ length: n }, (_, i) => pod(`web-${i}`, { ready: true, ...opts }));
}

function pdb(
  spec: Partial<PodDisruptionBudget['spec']>,
  namespace = 'default',
  name = 'web',
): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  };
}

describe('isPodHealthy', () => {
  it('is healthy when Running and Ready, or Running without a Ready condition', () => {
    expect(isPodHealthy(pod('a', { ready: true }))).toBe(true);
    expect(isPodHealthy(pod('a'))).toBe(true);
  });

  it('is unhealthy when not Running, not Ready, or being deleted', () => {
    expect(isPodHealthy(pod('a', { phase: 'Pending', ready: true }))).toBe(false);
    expect(isPodHealthy(pod('a', { phase: 'Succeeded' }))).toBe(false);
    expect(isPodHealthy(pod('a', { ready: false }))).toBe(false);
    expect(isPodHealthy(pod('a', { ready: true, deleting: true }))).toBe(false);
    const noStatus = pod('a');
    delete noStatus.status;
    expect(isPodHealthy(noStatus)).toBe(false);
  });
});

describe('disruptionsAllowed', () => {
  it.each<[string, Partial<PodDisruptionBudget['spec']>, number]>([
    ['minAvailable int', { minAvailable: 3 }, 2],
    ['minAvailable int equal to the pod count', { minAvailable: 5 }, 0],
    ['minAvailable int above the pod count never goes negative', { minAvailable: 9 }, 0],
    ['minAvailable 0', { minAvailable: 0 }, 5],
    ['maxUnavailable int', { maxUnavailable: 2 }, 2],
    ['maxUnavailable 0', { maxUnavailable: 0 }, 0],
    // 50% of 5 = 2.5: minAvailable rounds up to 3, so 2 may go.
    ['minAvailable percent rounds up', { minAvailable: '50%' }, 2],
    ['minAvailable 100%', { minAvailable: '100%' }, 0],
    // 30% of 5 = 1.5: maxUnavailable rounds up to 2.
    ['maxUnavailable percent rounds up', { maxUnavailable: '30%' }, 2],
    ['maxUnavailable 100%', { maxUnavailable: '100%' }, 5],
    ['a numeric string counts as an int', { minAvailable: '4' }, 1],
    ['neither set: nothing may be disrupted', {}, 0],
  ])('%s', (_name, spec, expected) => {
    expect(disruptionsAllowed(pdb(spec), pods(5))).toBe(expected);
  });

  it('counts only healthy pods: not Running, not Ready and deleting pods use up the budget', () => {
    const all = [
      ...pods(3),
      pod('pending', { phase: 'Pending' }),
      pod('unready', { ready: false }),
      pod('deleting', { ready: true, deleting: true }),
    ];
    // Expected pods: 5 (the deleting one is not expected); healthy: 3.
    expect(disruptionsAllowed(pdb({ minAvailable: 2 }), all)).toBe(1);
    expect(disruptionsAllowed(pdb({ minAvailable: 3 }), all)).toBe(0);
    // maxUnavailable 2 of 5 expected → 3 desired healthy, exactly the healthy count.
    expect(disruptionsAllowed(pdb({ maxUnavailable: 2 }), all)).toBe(0);
    expect(disruptionsAllowed(pdb({ maxUnavailable: 3 }), all)).toBe(1);
    // 60% of 5 expected = 3 → 0 allowed; 40% of 5 = 2 → 1 allowed.
    expect(disruptionsAllowed(pdb({ minAvailable: '60%' }), all)).toBe(0);
    expect(disruptionsAllowed(pdb({ minAvailable: '40%' }), all)).toBe(1);
  });

  it('percentages scale with the expected (non-deleting) pods, not with deleting ones', () => {
    const all = [
      ...pods(4),
      pod('d1', { ready: true, deleting: true }),
      pod('d2', { ready: true, deleting: true }),
    ];
    // 50% of 4 = 2 → 2 allowed. Were deleting pods counted as expected, 50% of 6 = 3 → 1.
    expect(disruptionsAllowed(pdb({ minAvailable: '50%' }), all)).toBe(2);
  });

  it('only counts pods in the budget’s namespace that its selector matches', () => {
    const all = [
      ...pods(2),
      pod('other-ns-1', { namespace: 'other', ready: true }),
      pod('other-ns-2', { namespace: 'other', ready: true }),
      pod('other-app', { labels: { app: 'api' }, ready: true }),
    ];
    expect(disruptionsAllowed(pdb({ minAvailable: 1 }), all)).toBe(1);
    expect(disruptionsAllowed(pdb({ minAvailable: 1 }, 'other'), all)).toBe(1);
    expect(disruptionsAllowed(pdb({ minAvailable: 2 }, 'other'), all)).toBe(0);
    expect(disruptionsAllowed(pdb({ minAvailable: 1 }, 'empty-ns'), all)).toBe(0);
  });

  it('an empty selector selects every pod in the namespace; a missing one selects none', () => {
    const all = [...pods(2), pod('api', { labels: { app: 'api' }, ready: true })];
    expect(disruptionsAllowed(pdb({ minAvailable: 1, selector: {} }), all)).toBe(2);
    const noSelector = pdb({ minAvailable: 0 });
    delete noSelector.spec.selector;
    expect(disruptionsAllowed(noSelector, all)).toBe(0);
  });
});

describe('pdbSelects', () => {
  it('requires the same namespace and a matching selector', () => {
    const budget = pdb({ minAvailable: 1 });
    expect(pdbSelects(budget, pod('a'))).toBe(true);
    expect(pdbSelects(budget, pod('a', { namespace: 'other' }))).toBe(false);
    expect(pdbSelects(budget, pod('a', { labels: { app: 'api' } }))).toBe(false);
  });
});

describe('evictionVerdict', () => {
  it('allows a pod no budget selects', () => {
    expect(evictionVerdict(pod('a'), [pdb({ minAvailable: 1 }, 'other')], [pod('a')])).toEqual({
      allowed: true,
    });
  });

  it('allows evicting a pod that is not Running, whatever the budget', () => {
    const pending = pod('p', { phase: 'Pending' });
    expect(evictionVerdict(pending, [pdb({ maxUnavailable: 0 })], [pending])).toEqual({ allowed: true });
  });

  it('refuses with 429 naming the budget when no disruptions are allowed', () => {
    const all = pods(2);
    expect(evictionVerdict(all[0] as Pod, [pdb({ minAvailable: 2 })], all)).toEqual({
      allowed: false,
      status: 429,
      pdb: 'web',
      message: "Cannot evict pod as it would violate the pod's disruption budget (default/web).",
    });
    expect(evictionVerdict(all[0] as Pod, [pdb({ minAvailable: 1 })], all)).toEqual({ allowed: true });
  });

  it('refuses with 500 when more than one budget selects the pod', () => {
    const all = pods(3);
    const verdict = evictionVerdict(
      all[0] as Pod,
      [pdb({ minAvailable: 0 }, 'default', 'a'), pdb({ maxUnavailable: 3 }, 'default', 'b')],
      all,
    );
    expect(verdict).toMatchObject({ allowed: false, status: 500 });
  });
});

describe('expected pods follow the controller scale', () => {
  const owned = (name: string, phase: 'Running' | 'Pending' = 'Running'): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      labels: { app: 'web' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u', controller: true },
      ],
    },
    spec: { containers: [{ name: 'c' }] },
    status: { phase, conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False' }] },
  });
  const budget: PodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'ns' },
    spec: { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 },
  };

  it('does not let back-to-back evictions drain a workload whose replacements are not up yet', () => {
    const scale = () => 3;
    // Three replicas wanted, one was just evicted: two healthy, so none more may go.
    expect(disruptionsAllowed(budget, [owned('a'), owned('b')], scale)).toBe(0);
    // Without the scale the evicted pod is forgotten, which is exactly the hazard.
    expect(disruptionsAllowed(budget, [owned('a'), owned('b')])).toBe(1);
    expect(disruptionsAllowed(budget, [owned('a'), owned('b'), owned('c')], scale)).toBe(1);
  });
});
