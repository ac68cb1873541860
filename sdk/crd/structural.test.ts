import { generateCrds } from './generate';
import { celCostRisks, celProblems, checkCrd, checkStructuralSchema } from './structural';
import type { JSONSchemaProps } from './types';

/** A minimal valid CRD root around `spec`, so each case below isolates one problem. */
function root(spec: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec,
    },
    required: ['spec'],
    ...extra,
  };
}

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  ...extra,
});

describe('checkStructuralSchema', () => {
  it('accepts a well-formed schema', () => {
    const spec = object(
      {
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 10, default: 'abc' },
        limits: {
          type: 'object',
          additionalProperties: {
            'x-kubernetes-int-or-string': true,
            anyOf: [{ type: 'integer' }, { type: 'string' }],
          },
        },
        items: { type: 'array', maxItems: 3, items: { type: 'string' } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        ref: object(
          { group: { type: 'string' } },
          {
            'x-kubernetes-validations': [
              { rule: 'self.group == oldSelf.group', message: 'group is immutable', fieldPath: '.group' },
            ],
          },
        ),
      },
      { required: ['name'] },
    );
    expect(checkStructuralSchema(root(spec), { root: true })).toEqual([]);
  });

  // Each hand-made bad schema must be caught: proof that the checker can fail.
  it.each<[string, unknown, RegExp]>([
    ['$ref', { $ref: '#/definitions/Spec' }, /\$ref is not allowed/],
    ['definitions', object({}, { definitions: { A: { type: 'string' } } }), /definitions is not allowed/],
    ['$defs', object({}, { $defs: { A: { type: 'string' } } }), /\$defs is not allowed/],
    [
      'additionalProperties beside properties',
      object({ a: { type: 'string' } }, { additionalProperties: { type: 'string' } }),
      /beside properties/,
    ],
    [
      'additionalProperties: false',
      object({ a: { type: 'string' } }, { additionalProperties: false }),
      /additionalProperties must be a schema/,
    ],
    ['type: null', object({ a: { type: 'null' } }), /nullable: true/],
    ['a type array', object({ a: { type: ['string', 'null'] } }), /nullable: true/],
    [
      'uniqueItems',
      object({ a: { type: 'array', items: { type: 'string' }, uniqueItems: true } }),
      /uniqueItems is not allowed/,
    ],
    [
      'patternProperties',
      object({ a: { type: 'object', patternProperties: { '^x': { type: 'string' } } } }),
      /patternProperties is not allowed/,
    ],
    ['a node without a type', object({ a: { description: 'untyped' } }), /every node needs a type/],
    [
      'a union of typed branches',
      object({ a: { anyOf: [{ type: 'string' }, { type: 'number' }] } }),
      /"type" is not allowed inside a junctor/,
    ],
    [
      'oneOf with descriptions',
      object({ a: { type: 'string', oneOf: [{ description: 'x', pattern: 'a' }] } }),
      /"description" is not allowed inside a junctor/,
    ],
    [
      'int-or-string with a type',
      object({ a: { type: 'string', 'x-kubernetes-int-or-string': true } }),
      /must not have a type/,
    ],
    [
      'int-or-string with another anyOf',
      object({ a: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'number' }, { type: 'string' }] } }),
      /exactly \[\{type: integer\}, \{type: string\}\]/,
    ],
    [
      'preserve-unknown-fields false',
      object({ a: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false } }),
      /must be true when set/,
    ],
    ['an array without items', object({ a: { type: 'array' } }), /needs items with one schema/],
    [
      'tuple items',
      object({ a: { type: 'array', items: [{ type: 'string' }] } }),
      /needs items with one schema/,
    ],
    [
      'properties without type object',
      { properties: { a: { type: 'string' } }, type: 'string' },
      /properties need type: object/,
    ],
    ['an unknown keyword', object({ a: { type: 'string', readOnly: true } }), /unknown keyword "readOnly"/],
    ['const', object({ a: { type: 'string', const: 'x' } }), /const is not allowed/],
    [
      'draft-2020 exclusiveMinimum',
      object({ a: { type: 'integer', exclusiveMinimum: 0 } }),
      /must be a boolean/,
    ],
    [
      'a required field that is not a property',
      object({ a: { type: 'string' } }, { required: ['b'] }),
      /required field b/,
    ],
    ['a look-ahead pattern', object({ a: { type: 'string', pattern: '^(?!x)' } }), /regex feature RE2/],
    ['an empty enum', object({ a: { type: 'string', enum: [] } }), /enum must be a non-empty list/],
    [
      'a rule without a message',
      object({ a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""' }] } }),
      /needs a message/,
    ],
    [
      'a rule without a rule',
      object({ a: { type: 'string', 'x-kubernetes-validations': [{ message: 'm' }] } }),
      /needs a rule/,
    ],
    [
      'a multi-line message',
      object({ a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'true', message: 'a\nb' }] } }),
      /single line/,
    ],
    [
      'an unknown CEL function',
      object({
        a: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self.toUpperCase() == "A"', message: 'm' }],
        },
      }),
      /toUpperCase\(\) is not in the Kubernetes CEL library/,
    ],
    [
      'unbalanced CEL',
      object({
        a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'size(self > 1', message: 'm' }] },
      }),
      /unclosed/,
    ],
    [
      'a bad fieldPath',
      object({
        a: object(
          { b: { type: 'string' } },
          { 'x-kubernetes-validations': [{ rule: 'true', message: 'm', fieldPath: '.c' }] },
        ),
      }),
      /fieldPath \.c is not a field/,
    ],
    [
      'oldSelf inside an atomic list',
      object({
        a: {
          type: 'array',
          items: object(
            { b: { type: 'string' } },
            { 'x-kubernetes-validations': [{ rule: 'self.b == oldSelf.b', message: 'm' }] },
          ),
        },
      }),
      /oldSelf cannot be used inside a list/,
    ],
    [
      'an invalid default',
      object({ a: { type: 'integer', minimum: 1, default: 0 } }),
      /the default 0 is invalid/,
    ],
    [
      'a default with an unknown field',
      object({ a: object({ b: { type: 'string' } }, { default: { c: 'x' } }) }),
      /unknown field/,
    ],
  ])('fails on %s', (_name, spec, message) => {
    const issues = checkStructuralSchema(root(spec), { root: true });
    expect(issues.join('\n')).toMatch(message);
  });

  it('fails on a root whose metadata is described or whose spec is optional', () => {
    const described = root(object({}));
    (described.properties as Record<string, unknown>).metadata = object({ name: { type: 'string' } });
    expect(checkStructuralSchema(described, { root: true }).join('\n')).toMatch(
      /metadata must be just \{type: object\}/,
    );
    expect(checkStructuralSchema(root(object({}), { required: [] }), { root: true }).join('\n')).toMatch(
      /spec must be required/,
    );
  });
});

describe('checkCrd', () => {
  const [generated] = generateCrds();

  it('fails on bad names, storage versions and printer columns', () => {
    if (!generated) throw new Error('no CRDs');
    const bad = structuredClone(generated.crd);
    bad.metadata.name = 'nodepools';
    bad.spec.names.plural = 'NodePools';
    const version = bad.spec.versions[0];
    if (!version) throw new Error('no version');
    version.storage = false;
    version.additionalPrinterColumns.push({ name: 'Gone', type: 'string', jsonPath: '.status.missing' });
    const issues = checkCrd(bad).join('\n');
    expect(issues).toMatch(/metadata.name must be <plural>.<group>/);
    expect(issues).toMatch(/names.plural must be lower case/);
    expect(issues).toMatch(/exactly one version must be the storage version/);
    expect(issues).toMatch(/column Gone: .status.missing is not in the schema/);
  });
});

describe('celProblems', () => {
  it('accepts Kubernetes CEL and ignores what is inside string literals', () => {
    expect(celProblems('self.all(k, k.matches(\'^[a-z(]+$\') && !k.startsWith("x)"))')).toEqual([]);
    expect(celProblems("self.alias.split('@')[0].lowerAscii() in ['al2023']")).toEqual([]);
  });

  it('flags assignments and unterminated strings', () => {
    expect(celProblems('self.a = 1')).toEqual(['"=" is not a CEL operator (use ==)']);
    expect(celProblems("self == 'x")).toEqual(['unterminated string literal']);
  });
});

describe('celCostRisks', () => {
  const rule = (r: string) => ({ 'x-kubernetes-validations': [{ rule: r, message: 'm' }] });
  const map = (extra: Record<string, unknown>): JSONSchemaProps => ({
    type: 'object',
    additionalProperties: { type: 'string' },
    ...extra,
  });

  it('flags scanning keys of an unbounded map, not of a bounded one, and not constant-cost checks', () => {
    expect(celCostRisks(map(rule("self.all(k, k.matches('^a'))")))).toHaveLength(1);
    expect(celCostRisks(map({ maxProperties: 20, ...rule("self.all(k, k.matches('^a'))") }))).toEqual([]);
    expect(celCostRisks(map(rule("self.all(k, k != 'a' && !k.startsWith('b'))")))).toEqual([]);
  });

  it('flags scanning an unbounded string once per list item', () => {
    const list = (maxLength?: number): JSONSchemaProps => ({
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        properties: { s: { type: 'string', ...(maxLength ? { maxLength } : {}) } },
        ...rule("!has(self.s) || self.s.matches('^[0-9]+$')"),
      },
    });
    expect(celCostRisks(list())).toHaveLength(1);
    expect(celCostRisks(list(100))).toEqual([]);
  });
});
