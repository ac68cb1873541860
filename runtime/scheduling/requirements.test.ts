import fc from 'fast-check';
import type { NodeSelectorRequirement } from '../kube/objects';
import { Requirement, Requirements } from './requirements';

const K = 'k';
const req = (operator: NodeSelectorRequirement['operator'], values?: string[]): Requirement =>
  Requirement.fromSelector({ key: K, operator, ...(values ? { values } : {}) });
const accepted = (r: Requirement, candidates: string[]): string[] => candidates.filter((v) => r.has(v));

describe('Requirement operators', () => {
  const probe = ['a', 'b', 'c', '', '-1', '0', '2', '3', '4', '10'];

  it('In accepts exactly its values and needs the label', () => {
    const r = req('In', ['a', 'b']);
    expect(accepted(r, probe)).toEqual(['a', 'b']);
    expect(r.allowsAbsent()).toBe(false);
    expect(r.complement).toBe(false);
  });

  it('NotIn accepts everything but its values, and a missing label', () => {
    const r = req('NotIn', ['a', '3']);
    expect(accepted(r, probe)).toEqual(['b', 'c', '', '-1', '0', '2', '4', '10']);
    expect(r.allowsAbsent()).toBe(true);
  });

  it('Exists accepts any value but not a missing label', () => {
    const r = req('Exists');
    expect(accepted(r, probe)).toEqual(probe);
    expect(r.allowsAbsent()).toBe(false);
  });

  it('DoesNotExist accepts no value, only a missing label', () => {
    const r = req('DoesNotExist');
    expect(accepted(r, probe)).toEqual([]);
    expect(r.allowsAbsent()).toBe(true);
    // Not empty: a node without the label satisfies it.
    expect(r.isEmpty()).toBe(false);
  });

  it('Gt accepts integers strictly above the bound and nothing else', () => {
    const r = req('Gt', ['3']);
    expect(accepted(r, probe)).toEqual(['4', '10']);
    expect(r.allowsAbsent()).toBe(false);
  });

  it('Lt accepts integers strictly below the bound', () => {
    const r = req('Lt', ['3']);
    expect(accepted(r, probe)).toEqual(['-1', '0', '2']);
    expect(r.allowsAbsent()).toBe(false);
  });

  it('Gte includes the bound', () => {
    const r = req('Gte', ['3']);
    expect(accepted(r, probe)).toEqual(['3', '4', '10']);
    expect(r.allowsAbsent()).toBe(false);
  });

  it('Lte includes the bound', () => {
    const r = req('Lte', ['3']);
    expect(accepted(r, probe)).toEqual(['-1', '0', '2', '3']);
    expect(r.allowsAbsent()).toBe(false);
  });

  it('numeric operators parse label values as decimal integers only (like strconv.Atoi)', () => {
    const lt = req('Lt', ['5']);
    // Signs and leading zeros are decimal integers…
    expect(accepted(lt, ['+2', '02', '-0'])).toEqual(['+2', '02', '-0']);
    // …but an empty value, floats, exponents, hex and padded strings are not.
    expect(accepted(lt, ['', ' ', '1.0', '1.5', '1e0', '0x1', ' 1', 'Infinity'])).toEqual([]);
    expect(accepted(req('Gt', ['100']), ['1e3', '0x100', '101'])).toEqual(['101']);
  });

  it('numeric operators reject anything but exactly one integer value', () => {
    expect(() => req('Gt', ['1', '2'])).toThrow(
      'requirement k Gt needs exactly one integer value, got [1, 2]',
    );
    expect(() => req('Lt', ['abc'])).toThrow('requirement k Lt needs exactly one integer value, got [abc]');
    expect(() => req('Gte', [])).toThrow('requirement k Gte needs exactly one integer value, got []');
    expect(() => req('Lte', ['1.5'])).toThrow('requirement k Lte needs exactly one integer value, got [1.5]');
    expect(() => req('Gt', [''])).toThrow('requirement k Gt needs exactly one integer value, got []');
  });

  it('In and exists builders', () => {
    expect(Requirement.in(K, ['x']).toString()).toBe('k In [x]');
    expect(Requirement.exists(K).toString()).toBe('k Exists');
  });

  it('any() picks the smallest value of a finite set and nothing from a complement', () => {
    expect(req('In', ['c', 'a', 'b']).any()).toBe('a');
    expect(req('NotIn', ['a']).any()).toBeUndefined();
    expect(req('DoesNotExist').any()).toBeUndefined();
  });
});

describe('Requirement intersection', () => {
  it('finite × finite keeps the common values', () => {
    const i = req('In', ['a', 'b']).intersect(req('In', ['b', 'c']));
    expect(i.toString()).toBe('k In [b]');
    expect(req('In', ['a', 'b']).intersects(req('In', ['b', 'c']))).toBe(true);
    expect(req('In', ['a']).intersects(req('In', ['b']))).toBe(false);
    expect(
      req('In', ['a'])
        .intersect(req('In', ['b']))
        .isEmpty(),
    ).toBe(true);
  });

  it('finite × complement filters the finite side, in either order', () => {
    expect(
      req('In', ['a', 'b', 'c'])
        .intersect(req('NotIn', ['b']))
        .toString(),
    ).toBe('k In [a, c]');
    expect(
      req('NotIn', ['b'])
        .intersect(req('In', ['a', 'b', 'c']))
        .toString(),
    ).toBe('k In [a, c]');
    expect(req('In', ['a']).intersect(req('Exists')).toString()).toBe('k In [a]');
    expect(req('In', ['a']).intersects(req('NotIn', ['a']))).toBe(false);
    expect(req('In', ['a']).intersect(req('DoesNotExist')).toString()).toBe('k In [] (contradictory)');
    expect(req('In', ['a']).intersects(req('DoesNotExist'))).toBe(false);
  });

  it('finite × bounds keeps the in-range integers and drops the bounds', () => {
    const i = req('In', ['1', '5', 'x', '9']).intersect(req('Gt', ['2']).intersect(req('Lt', ['9'])));
    expect(i.toString()).toBe('k In [5]');
    expect(i.complement).toBe(false);
    expect(i.greaterThan).toBeUndefined();
    expect(i.lessThan).toBeUndefined();
    expect(req('In', ['1', '2']).intersects(req('Gte', ['3']))).toBe(false);
  });

  it('complement × complement unions the excluded values and keeps both bounds', () => {
    expect(
      req('NotIn', ['a'])
        .intersect(req('NotIn', ['b']))
        .toString(),
    ).toBe('k NotIn [a, b]');
    expect(
      req('Exists')
        .intersect(req('NotIn', ['a']))
        .toString(),
    ).toBe('k Exists, NotIn [a]');
    expect(req('Exists').intersect(req('Exists')).toString()).toBe('k Exists');
    const range = req('Gt', ['1'])
      .intersect(req('Lt', ['5']))
      .intersect(req('NotIn', ['3']));
    expect(range.toString()).toBe('k NotIn [3] Gt 1 Lt 5');
    expect(accepted(range, ['0', '1', '2', '3', '4', '5', 'a'])).toEqual(['2', '4']);
  });

  it('bounds tighten: the larger lower bound and the smaller upper bound win', () => {
    expect(
      req('Gt', ['1'])
        .intersect(req('Gt', ['3']))
        .toString(),
    ).toBe('k Gt 3');
    expect(
      req('Lt', ['4'])
        .intersect(req('Lt', ['8']))
        .toString(),
    ).toBe('k Lt 4');
    // Gte/Lte are normalised to exclusive bounds.
    expect(
      req('Gte', ['2'])
        .intersect(req('Lte', ['4']))
        .toString(),
    ).toBe('k Gt 1 Lt 5');
  });

  it('bounds intersect only when an integer lies strictly between them', () => {
    expect(req('Gt', ['3']).intersects(req('Lt', ['5']))).toBe(true); // 4
    expect(req('Gt', ['3']).intersects(req('Lt', ['4']))).toBe(false);
    expect(req('Gte', ['4']).intersects(req('Lte', ['4']))).toBe(true); // 4
    expect(req('Gt', ['5']).intersects(req('Lt', ['1']))).toBe(false);
    expect(req('Gt', ['5']).intersects(req('Gt', ['100']))).toBe(true);
    expect(req('Gt', ['5']).intersects(req('Exists'))).toBe(true);
    expect(req('Gt', ['5']).intersects(req('DoesNotExist'))).toBe(false);
  });

  it('keeps the larger minValues', () => {
    const a = Requirement.fromSelector({ key: K, operator: 'Exists', minValues: 2 });
    const b = Requirement.fromSelector({ key: K, operator: 'NotIn', values: ['x'], minValues: 5 });
    expect(a.intersect(b).minValues).toBe(5);
    expect(b.intersect(req('In', ['a', 'b'])).minValues).toBe(5);
  });
});

describe('Requirement.toString', () => {
  it.each<[string, Requirement, string]>([
    ['In (sorted)', req('In', ['b', 'a']), 'k In [a, b]'],
    ['NotIn (sorted)', req('NotIn', ['z', 'y']), 'k NotIn [y, z]'],
    ['Exists', req('Exists'), 'k Exists'],
    ['DoesNotExist', req('DoesNotExist'), 'k DoesNotExist'],
    ['Gt', req('Gt', ['3']), 'k Gt 3'],
    ['Lt', req('Lt', ['3']), 'k Lt 3'],
    ['Gte as Gt n-1', req('Gte', ['3']), 'k Gt 2'],
    ['Lte as Lt n+1', req('Lte', ['3']), 'k Lt 4'],
  ])('%s', (_name, r, text) => {
    expect(r.toString()).toBe(text);
  });
});

describe('Requirements', () => {
  const zone = 'topology.kubernetes.io/zone';
  const arch = 'kubernetes.io/arch';

  it('adding a second requirement on a key intersects it with the first', () => {
    const reqs = Requirements.fromSelectors([
      { key: K, operator: 'In', values: ['a', 'b', 'c'] },
      { key: K, operator: 'NotIn', values: ['b'] },
      { key: 'other', operator: 'Exists' },
    ]);
    expect(reqs.keys()).toEqual([K, 'other']);
    expect(reqs.toString()).toBe('k In [a, c], other Exists');
  });

  it('intersect leaves both operands unchanged', () => {
    const a = Requirements.fromLabels({ [K]: 'a' });
    const b = Requirements.fromSelectors([{ key: K, operator: 'In', values: ['a', 'b'] }]);
    const i = a.intersect(b);
    expect(i.toString()).toBe('k In [a]');
    expect(b.toString()).toBe('k In [a, b]');
    i.add(Requirement.in('x', ['1']));
    expect(a.has('x')).toBe(false);
  });

  describe('incompatibility', () => {
    const pool = Requirements.fromSelectors([
      { key: 'workload-type', operator: 'In', values: ['developers-workshop'] },
      { key: zone, operator: 'In', values: ['us-east-1a', 'us-east-1b'] },
    ]);
    const check = (pod: NodeSelectorRequirement[], allowUndefinedWellKnown = true): string | undefined =>
      pool.incompatibility(Requirements.fromSelectors(pod), { allowUndefinedWellKnown });

    it('defined keys must intersect', () => {
      expect(check([{ key: zone, operator: 'In', values: ['us-east-1b', 'us-east-1c'] }])).toBeUndefined();
      expect(check([{ key: 'workload-type', operator: 'In', values: ['other'] }])).toBe(
        'workload-type In [other] conflicts with workload-type In [developers-workshop]',
      );
      expect(check([{ key: zone, operator: 'NotIn', values: ['us-east-1a', 'us-east-1b'] }])).toBe(
        `${zone} NotIn [us-east-1a, us-east-1b] conflicts with ${zone} In [us-east-1a, us-east-1b]`,
      );
      expect(check([{ key: 'workload-type', operator: 'DoesNotExist' }])).toBe(
        'workload-type DoesNotExist conflicts with workload-type In [developers-workshop]',
      );
    });

    it('an undefined custom key is incompatible unless the pod allows the label to be absent', () => {
      expect(check([{ key: 'team', operator: 'In', values: ['a'] }])).toBe(
        'label team is not defined (requires team In [a])',
      );
      expect(check([{ key: 'team', operator: 'Exists' }])).toBe(
        'label team is not defined (requires team Exists)',
      );
      expect(check([{ key: 'team', operator: 'Gt', values: ['1'] }])).toBe(
        'label team is not defined (requires team Gt 1)',
      );
      expect(check([{ key: 'team', operator: 'NotIn', values: ['a'] }])).toBeUndefined();
      expect(check([{ key: 'team', operator: 'DoesNotExist' }])).toBeUndefined();
    });

    it('an undefined well-known key is allowed only with allowUndefinedWellKnown', () => {
      const pod: NodeSelectorRequirement[] = [{ key: arch, operator: 'In', values: ['arm64'] }];
      expect(check(pod, true)).toBeUndefined();
      expect(check(pod, false)).toBe(`label ${arch} is not defined (requires ${arch} In [arm64])`);
      expect(check([{ key: arch, operator: 'NotIn', values: ['arm64'] }], false)).toBeUndefined();
    });

    it('reports the first conflicting requirement in the pod order', () => {
      expect(
        check([
          { key: 'team', operator: 'In', values: ['a'] },
          { key: 'workload-type', operator: 'In', values: ['other'] },
        ]),
      ).toBe('label team is not defined (requires team In [a])');
    });
  });

  it('matchesLabels requires every requirement, with absence allowed only for NotIn/DoesNotExist', () => {
    const reqs = Requirements.fromSelectors([
      { key: 'a', operator: 'In', values: ['1'] },
      { key: 'b', operator: 'NotIn', values: ['x'] },
      { key: 'c', operator: 'DoesNotExist' },
      { key: 'd', operator: 'Gt', values: ['4'] },
    ]);
    expect(reqs.matchesLabels({ a: '1', d: '5' })).toBe(true);
    expect(reqs.matchesLabels({ a: '1', b: 'y', d: '5', other: 'z' })).toBe(true);
    expect(reqs.matchesLabels({ a: '2', d: '5' })).toBe(false);
    expect(reqs.matchesLabels({ a: '1', b: 'x', d: '5' })).toBe(false);
    expect(reqs.matchesLabels({ a: '1', c: '', d: '5' })).toBe(false);
    expect(reqs.matchesLabels({ a: '1', d: '4' })).toBe(false);
    expect(reqs.matchesLabels({ a: '1' })).toBe(false);
    expect(reqs.matchesLabels({ d: '5' })).toBe(false);
    expect(new Requirements().matchesLabels({})).toBe(true);
  });

  it('singleValueLabels lists only keys fixed to one value', () => {
    const reqs = Requirements.fromSelectors([
      { key: 'one', operator: 'In', values: ['x'] },
      { key: 'two', operator: 'In', values: ['x', 'y'] },
      { key: 'narrowed', operator: 'In', values: ['x', 'y'] },
      { key: 'narrowed', operator: 'NotIn', values: ['y'] },
      { key: 'notin', operator: 'NotIn', values: ['x'] },
      { key: 'exists', operator: 'Exists' },
      { key: 'gone', operator: 'DoesNotExist' },
      { key: 'num', operator: 'Gt', values: ['1'] },
    ]);
    expect(reqs.singleValueLabels()).toEqual({ one: 'x', narrowed: 'x' });
  });
});

/**
 * Known gaps of the algebra, asserted as Kubernetes would behave. `it.failing` passes while the gap exists and
 * turns red once it is fixed, so whoever fixes it flips these to plain `it`.
 */
describe('known caveats of the requirements algebra', () => {
  it('contradictory In ∩ In collapses to DoesNotExist and so allows a missing label', () => {
    // nodeSelector team=a AND affinity team In [b]: no node can satisfy it, with or without the label.
    const reqs = Requirements.fromSelectors([
      { key: 'team', operator: 'In', values: ['a'] },
      { key: 'team', operator: 'In', values: ['b'] },
    ]);
    expect(reqs.matchesLabels({})).toBe(false);
  });

  it('Exists ∩ NotIn becomes a plain NotIn and so allows a missing label', () => {
    const reqs = Requirements.fromSelectors([
      { key: 'team', operator: 'Exists' },
      { key: 'team', operator: 'NotIn', values: ['a'] },
    ]);
    expect(reqs.matchesLabels({})).toBe(false);
  });

  it('DoesNotExist does not intersect DoesNotExist (or NotIn), though a missing label satisfies both', () => {
    const pool = Requirements.fromSelectors([{ key: 'gpu', operator: 'DoesNotExist' }]);
    const pod = Requirements.fromSelectors([{ key: 'gpu', operator: 'DoesNotExist' }]);
    expect(pool.incompatibility(pod, { allowUndefinedWellKnown: true })).toBeUndefined();
  });

  it('NotIn exclusions compare strings, so a bounded range whose canonical integers are all excluded still intersects', () => {
    // Gt 1, Lt 3 and NotIn [2]: the only integer is 2, but "02" and "+2" still parse to 2 and are not excluded.
    const r = req('Gt', ['1']).intersect(req('Lt', ['3']));
    expect(r.intersects(req('NotIn', ['2']))).toBe(true);
    expect(accepted(r.intersect(req('NotIn', ['2'])), ['1', '2', '3', '02', '+2'])).toEqual(['02', '+2']);
  });
});

describe('requirement algebra laws (property tests)', () => {
  /** Values In/NotIn draw from: letters and the integers the numeric operators use. */
  const ALPHABET = ['a', 'b', 'c', '0', '1', '2', '3', '4', '5'];
  /**
   * Values to test membership against. Besides the alphabet it needs witnesses the alphabet can never exclude:
   * a letter for unbounded complements, integers just outside 0..5 for one-sided bounds, and non-canonical
   * spellings ("03") for two-sided bounds whose canonical integers are all excluded by NotIn (see the caveat
   * above). Decoys ("", "1.0", "1e1") must never pass a bound.
   */
  const UNIVERSE = [
    ...ALPHABET,
    'z',
    '-2',
    '-1',
    '6',
    '7',
    ...['0', '1', '2', '3', '4', '5', '6', '7'].map((n) => `0${n}`),
    '',
    '1.0',
    '1e1',
  ];

  const selectorArb: fc.Arbitrary<NodeSelectorRequirement> = fc.oneof(
    fc.record({
      key: fc.constant(K),
      operator: fc.constantFrom('In' as const, 'NotIn' as const),
      values: fc.subarray(ALPHABET, { minLength: 1 }),
    }),
    fc.record({ key: fc.constant(K), operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const) }),
    fc.record({
      key: fc.constant(K),
      operator: fc.constantFrom('Gt' as const, 'Lt' as const, 'Gte' as const, 'Lte' as const),
      values: fc.integer({ min: 0, max: 5 }).map((n) => [String(n)]),
    }),
  );
  /** A single operator or the intersection of up to three, so compound (bounded NotIn) shapes appear too. */
  const reqArb: fc.Arbitrary<Requirement> = fc
    .array(selectorArb, { minLength: 1, maxLength: 3 })
    .map((sels) => sels.map((s) => Requirement.fromSelector(s)).reduce((a, b) => a.intersect(b)));
  const runs = { numRuns: 1000 };

  it('intersection is commutative in membership and equals the conjunction', () => {
    fc.assert(
      fc.property(reqArb, reqArb, (a, b) => {
        const ab = a.intersect(b);
        const ba = b.intersect(a);
        for (const v of UNIVERSE) {
          const both = a.has(v) && b.has(v);
          if (ab.has(v) !== both || ba.has(v) !== both) return false;
        }
        return true;
      }),
      runs,
    );
  });

  it('intersects(a, b) holds exactly when some value of the universe, or the label being absent, satisfies both', () => {
    fc.assert(
      fc.property(reqArb, reqArb, (a, b) => {
        const witness = UNIVERSE.some((v) => a.has(v) && b.has(v)) || (a.allowsAbsent() && b.allowsAbsent());
        return a.intersects(b) === witness && b.intersects(a) === witness;
      }),
      runs,
    );
  });

  it('intersects(a, b), computed without building the intersection, agrees with intersect(a, b).isEmpty()', () => {
    fc.assert(
      fc.property(reqArb, reqArb, (a, b) => a.intersects(b) === !a.intersect(b).isEmpty()),
      runs,
    );
  });

  it('single names the one value of an unbounded In, and nothing else has one', () => {
    fc.assert(
      fc.property(reqArb, (a) => {
        const accepted = UNIVERSE.filter((v) => a.has(v));
        const oneValueIn = !a.complement && a.values.size === 1;
        return oneValueIn ? a.single === accepted[0] && accepted.length === 1 : a.single === undefined;
      }),
      runs,
    );
  });

  it('intersection is idempotent in membership', () => {
    fc.assert(
      fc.property(reqArb, (a) => {
        const aa = a.intersect(a);
        return UNIVERSE.every((v) => aa.has(v) === a.has(v)) && a.intersects(a) === aa.intersects(aa);
      }),
      runs,
    );
  });

  it('intersection is associative in membership', () => {
    fc.assert(
      fc.property(reqArb, reqArb, reqArb, (a, b, c) => {
        const left = a.intersect(b).intersect(c);
        const right = a.intersect(b.intersect(c));
        return UNIVERSE.every((v) => left.has(v) === right.has(v));
      }),
      runs,
    );
  });

  it('no bounded requirement accepts a non-integer decoy', () => {
    fc.assert(
      fc.property(reqArb, (a) =>
        a.greaterThan === undefined && a.lessThan === undefined
          ? true
          : ['', '1.0', '1e1', 'a', 'z'].every((v) => !a.has(v)),
      ),
      runs,
    );
  });
});
