import type { LabelSelector } from './objects';
import {
  matchesFieldSelector,
  matchesSelector,
  parseFieldSelector,
  parseSelectorString,
  selectorString,
} from './selectors';

const labels = { app: 'web', tier: 'frontend', env: 'prod' };

function matchesString(s: string, l: Record<string, string> | undefined): boolean {
  return matchesSelector(parseSelectorString(s), l);
}

describe('parseSelectorString', () => {
  it('parses = and == as equality (matchLabels)', () => {
    expect(parseSelectorString('a=b,c==d')).toEqual({
      matchLabels: { a: 'b', c: 'd' },
      matchExpressions: [],
    });
  });

  it('parses != as NotIn, a bare key as Exists and !key as DoesNotExist', () => {
    expect(parseSelectorString('a!=b,c,!d')).toEqual({
      matchLabels: {},
      matchExpressions: [
        { key: 'a', operator: 'NotIn', values: ['b'] },
        { key: 'c', operator: 'Exists' },
        { key: 'd', operator: 'DoesNotExist' },
      ],
    });
  });

  it('tolerates whitespace around terms and operators and ignores empty terms', () => {
    expect(parseSelectorString(' a = b , , c != d ,  e ')).toEqual({
      matchLabels: { a: 'b' },
      matchExpressions: [
        { key: 'c', operator: 'NotIn', values: ['d'] },
        { key: 'e', operator: 'Exists' },
      ],
    });
  });

  it('keeps qualified keys and values with dots, slashes and dashes', () => {
    expect(
      parseSelectorString('karpenter.sh/nodepool=general-purpose,node.kubernetes.io/instance-type'),
    ).toEqual({
      matchLabels: { 'karpenter.sh/nodepool': 'general-purpose' },
      matchExpressions: [{ key: 'node.kubernetes.io/instance-type', operator: 'Exists' }],
    });
  });

  it('parses an empty or missing string to an empty selector', () => {
    expect(parseSelectorString('')).toEqual({ matchLabels: {}, matchExpressions: [] });
    expect(parseSelectorString(undefined)).toEqual({ matchLabels: {}, matchExpressions: [] });
  });

  it('round-trips selectorString for matchLabels', () => {
    const s = selectorString({ app: 'web', 'karpenter.sh/nodepool': 'default' });
    expect(s).toBe('app=web,karpenter.sh/nodepool=default');
    expect(parseSelectorString(s).matchLabels).toEqual({ app: 'web', 'karpenter.sh/nodepool': 'default' });
  });
});

describe('string selectors matched against labels', () => {
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['app!=api', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,env!=dev,tier,!canary', true],
    ['app=web,env!=prod', false],
    ['', true],
  ])('%j → %s', (selector, expected) => {
    expect(matchesString(selector, labels)).toBe(expected);
  });

  it('treats missing labels as no labels', () => {
    expect(matchesString('', undefined)).toBe(true);
    expect(matchesString('!app', undefined)).toBe(true);
    expect(matchesString('app!=web', undefined)).toBe(true);
    expect(matchesString('app', undefined)).toBe(false);
    expect(matchesString('app=web', undefined)).toBe(false);
  });
});

describe('matchesSelector (structured)', () => {
  it('requires every matchLabels entry', () => {
    expect(matchesSelector({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { app: 'web', env: 'dev' } }, labels)).toBe(false);
    expect(matchesSelector({ matchLabels: { other: 'x' } }, labels)).toBe(false);
  });

  it('In: the label must exist and be one of the values', () => {
    const sel = (values: string[]): LabelSelector => ({
      matchExpressions: [{ key: 'env', operator: 'In', values }],
    });
    expect(matchesSelector(sel(['dev', 'prod']), labels)).toBe(true);
    expect(matchesSelector(sel(['dev', 'staging']), labels)).toBe(false);
    expect(matchesSelector(sel([]), labels)).toBe(false);
    expect(matchesSelector(sel(['prod']), { app: 'web' })).toBe(false);
  });

  it('NotIn: matches when the label is absent or not one of the values', () => {
    const sel: LabelSelector = {
      matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod', 'qa'] }],
    };
    expect(matchesSelector(sel, labels)).toBe(false);
    expect(matchesSelector(sel, { env: 'dev' })).toBe(true);
    expect(matchesSelector(sel, {})).toBe(true);
  });

  it('Exists and DoesNotExist look only at the key', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, { tier: '' })).toBe(
      true,
    );
    expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
    expect(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(
      false,
    );
  });

  it('ANDs matchLabels and every matchExpression', () => {
    const sel: LabelSelector = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    expect(matchesSelector(sel, labels)).toBe(true);
    expect(matchesSelector(sel, { ...labels, canary: 'true' })).toBe(false);
    expect(matchesSelector(sel, { ...labels, app: 'api' })).toBe(false);
    expect(matchesSelector(sel, { ...labels, env: 'dev' })).toBe(false);
  });

  it('an empty selector matches everything; a missing selector matches nothing', () => {
    expect(matchesSelector({}, labels)).toBe(true);
    expect(matchesSelector({}, {})).toBe(true);
    expect(matchesSelector({ matchLabels: {}, matchExpressions: [] }, undefined)).toBe(true);
    expect(matchesSelector(undefined, labels)).toBe(false);
    expect(matchesSelector(undefined, {})).toBe(false);
  });
});

describe('field selectors', () => {
  const event = {
    metadata: { name: 'e1', namespace: 'default' },
    involvedObject: { kind: 'Node', name: 'n1' },
    reason: 'DisruptionBlocked',
  };

  it('parses equality and inequality terms, and rejects anything else naming the form', () => {
    expect(parseFieldSelector('involvedObject.name=n1, reason==X,type!=Normal')).toEqual([
      { path: 'involvedObject.name', equal: true, value: 'n1' },
      { path: 'reason', equal: true, value: 'X' },
      { path: 'type', equal: false, value: 'Normal' },
    ]);
    expect(parseFieldSelector('')).toEqual([]);
    expect(() => parseFieldSelector('reason')).toThrow(
      'invalid field selector term "reason": expected <field>=<value> or <field>!=<value>',
    );
  });

  it('matches every term against the dotted path; a missing field reads as empty', () => {
    const match = (s: string) => matchesFieldSelector(parseFieldSelector(s), event);
    expect(match('involvedObject.kind=Node,involvedObject.name=n1,reason=DisruptionBlocked')).toBe(true);
    expect(match('involvedObject.name=n2')).toBe(false);
    expect(match('reason!=DisruptionBlocked')).toBe(false);
    expect(match('metadata.namespace=default')).toBe(true);
    expect(match('involvedObject.uid=')).toBe(true);
    expect(match('involvedObject.uid!=')).toBe(false);
  });
});
