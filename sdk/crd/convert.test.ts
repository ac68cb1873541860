import { z } from 'zod';
import { toRe2, zodToStructuralSchema } from './convert';
import { maxMatchLength } from './regex-length';
import { checkStructuralSchema } from './structural';
import type { JSONSchemaProps } from './types';

/** Convert a zod schema and require the result to be structural: every case below must pass the checker. */
function convert(schema: z.ZodType): { schema: JSONSchemaProps; warnings: string[] } {
  const result = zodToStructuralSchema(schema, 'Test');
  expect(checkStructuralSchema(result.schema)).toEqual([]);
  return result;
}

function field(schema: z.ZodType): JSONSchemaProps {
  const node = convert(z.object({ f: schema })).schema.properties?.f;
  if (!node) throw new Error('field f missing');
  return node;
}

describe('zodToStructuralSchema', () => {
  it('turns string | number unions into int-or-string, keeping the string pattern', () => {
    expect(field(z.union([z.string().regex(/^[0-9]+m?$/), z.number()]))).toEqual({
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern: '^[0-9]+m?$',
    });
    expect(field(z.record(z.string(), z.union([z.string(), z.number().int()])))).toEqual({
      type: 'object',
      additionalProperties: {
        'x-kubernetes-int-or-string': true,
        anyOf: [{ type: 'integer' }, { type: 'string' }],
      },
    });
  });

  it('folds unions of strings into one pattern or one enum', () => {
    const neverOrDuration = field(z.union([z.literal('Never'), z.string().regex(/^[0-9]+h$/)]));
    expect(neverOrDuration).toEqual({ type: 'string', pattern: '^(?:Never)$|^[0-9]+h$' });
    expect(field(z.union([z.literal('a'), z.enum(['b', 'c'])]))).toEqual({
      type: 'string',
      enum: ['a', 'b', 'c'],
    });
    // An unconstrained branch makes the whole union a plain string.
    expect(field(z.union([z.literal('a'), z.string()]))).toEqual({ type: 'string' });
  });

  it('uses nullable instead of null types', () => {
    expect(field(z.string().nullable())).toEqual({ type: 'string', nullable: true });
    expect(field(z.union([z.number().int(), z.null()]))).toEqual({ type: 'integer', nullable: true });
  });

  it('never puts additionalProperties beside properties', () => {
    expect(field(z.looseObject({ a: z.string() }))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(field(z.strictObject({ a: z.string().optional() }))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
    });
    expect(field(z.object({ a: z.string() }).catchall(z.number()))['additionalProperties']).toBeUndefined();
  });

  it('writes maps as type object with additionalProperties, and key constraints as CEL', () => {
    expect(field(z.record(z.string(), z.string()))).toEqual({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(field(z.record(z.string().regex(/^[a-z]+$/), z.boolean()))).toEqual({
      type: 'object',
      additionalProperties: { type: 'boolean' },
      'x-kubernetes-validations': [
        { rule: "self.all(k, k.matches('^[a-z]+$'))", message: 'every key must match /^[a-z]+$/' },
      ],
    });
    // Enum keys are a fixed set of fields.
    expect(field(z.record(z.enum(['cpu', 'memory']), z.string()))).toEqual({
      type: 'object',
      properties: { cpu: { type: 'string' }, memory: { type: 'string' } },
      required: ['cpu', 'memory'],
    });
  });

  it('describes refinements, transforms and pipes by the input they accept', () => {
    const refined = z.object({ a: z.string() }).superRefine((value, ctx) => {
      if (value.a === 'x') ctx.addIssue({ code: 'custom', message: 'no x' });
    });
    expect(field(refined)).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
    });
    expect(field(z.string().transform((s) => s.length))).toEqual({ type: 'string' });
    expect(field(z.preprocess((v) => String(v), z.string().min(2)))).toEqual({
      type: 'string',
      minLength: 2,
    });
    expect(field(z.string().refine((s) => s !== 'x'))).toEqual({ type: 'string' });
  });

  it('carries defaults (including prefault) and makes defaulted fields optional', () => {
    const result = convert(
      z.object({
        a: z.string().default('x'),
        b: z.object({ c: z.number().default(1) }).prefault({}),
        d: z.string(),
      }),
    );
    expect(result.schema.properties?.a).toEqual({ type: 'string', default: 'x' });
    expect(result.schema.properties?.b?.default).toEqual({});
    expect(result.schema.required).toEqual(['d']);
  });

  it('carries descriptions and x-kubernetes-validations from .describe() and .meta()', () => {
    const rule = { rule: 'self.a != self.b', message: 'a and b must differ' };
    const node = field(
      z
        .object({ a: z.string().describe('the a'), b: z.string() })
        .meta({ description: 'a pair', 'x-kubernetes-validations': [rule] }),
    );
    expect(node.description).toBe('a pair');
    expect(node.properties?.a?.description).toBe('the a');
    expect(node['x-kubernetes-validations']).toEqual([rule]);
  });

  it('inlines schemas registered with an id instead of emitting $ref', () => {
    const shared = z.object({ x: z.string() }).meta({ id: 'Shared' });
    const result = convert(z.object({ a: shared, b: shared.optional() }));
    expect(result.schema.properties?.a).toEqual({
      type: 'object',
      properties: { x: { type: 'string' } },
      required: ['x'],
    });
    expect(result.schema.properties?.b).toEqual(result.schema.properties?.a);
    expect(JSON.stringify(result.schema)).not.toContain('$ref');
  });

  it('refuses recursive schemas with a way out', () => {
    type Tree = { children?: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ children: z.array(tree).optional() }));
    expect(() => zodToStructuralSchema(z.object({ root: tree }), 'Tree')).toThrow(/cannot be recursive/);
  });

  it('merges discriminated unions of objects into one object', () => {
    const node = field(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('a'), x: z.string() }),
        z.object({ kind: z.literal('b'), y: z.number().int() }),
      ]),
    );
    expect(node).toEqual({
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['a', 'b'] },
        x: { type: 'string' },
        y: { type: 'integer' },
      },
      required: ['kind'],
    });
  });

  it('handles integer bounds, exclusive bounds and several regexes', () => {
    expect(field(z.number().int())).toEqual({ type: 'integer' });
    expect(field(z.number().positive())).toEqual({ type: 'number', minimum: 0, exclusiveMinimum: true });
    expect(field(z.string().regex(/^a/).regex(/b$/i))).toEqual({
      type: 'string',
      pattern: '^a',
      allOf: [{ pattern: '(?i)b$' }],
    });
  });

  it('falls back to x-kubernetes-preserve-unknown-fields, with a warning, where no type exists', () => {
    const result = convert(
      z.object({ a: z.unknown(), b: z.union([z.string(), z.object({ c: z.string() })]) }),
    );
    expect(result.schema.properties?.a).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(result.schema.properties?.b).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(result.warnings).toHaveLength(2);
  });

  it('drops regexes RE2 cannot run, with a warning, and derives maxLength from bounded ones', () => {
    const result = convert(
      z.object({ a: z.string().regex(/^(?!x)[a-z]+$/), b: z.string().regex(/^[a-z]{1,8}$/) }),
    );
    expect(result.schema.properties?.a).toEqual({ type: 'string' });
    expect(result.warnings.join('\n')).toMatch(/\.a: pattern .* JavaScript-only regex feature/);
    expect(result.schema.properties?.b).toEqual({ type: 'string', pattern: '^[a-z]{1,8}$', maxLength: 8 });
  });

  it('drops z.never() fields and keeps tuples homogeneous', () => {
    const result = convert(z.object({ gone: z.never().optional(), pair: z.tuple([z.string(), z.string()]) }));
    expect(result.schema.properties?.gone).toBeUndefined();
    expect(result.schema.properties?.pair).toEqual({
      type: 'array',
      items: { type: 'string' },
      minItems: 2,
      maxItems: 2,
    });
  });
});

describe('toRe2', () => {
  it('keeps RE2 syntax, rewrites \\u escapes and named groups, and refuses look-arounds and backreferences', () => {
    expect(toRe2('^[a-z]+$')).toBe('^[a-z]+$');
    expect(toRe2('^\\u00b5s$')).toBe('^\\x{00b5}s$');
    expect(toRe2('(?<year>[0-9]{4})')).toBe('(?P<year>[0-9]{4})');
    expect(toRe2('^(?=a)')).toBeUndefined();
    expect(toRe2('(?<!a)b')).toBeUndefined();
    expect(toRe2('(a)\\1')).toBeUndefined();
  });
});

describe('maxMatchLength', () => {
  it.each([
    ['^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$', 63],
    ['^[0-9]{12}$', 12],
    ['^(?:Never)$|^abc$', 5],
    ['^(a|bc)?d{2,5}$', 7],
    ['^(?i)ab$', 2],
  ])('%s can match at most %d characters', (pattern, max) => {
    expect(maxMatchLength(pattern)).toBe(max);
  });

  it.each(['^a+$', 'abc', '^abc', 'abc$', '^a|b$', '^a{2,}$', '^(a$'])(
    '%s has no usable bound',
    (pattern) => {
      expect(maxMatchLength(pattern)).toBeUndefined();
    },
  );
});
