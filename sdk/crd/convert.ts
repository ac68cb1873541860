import { z } from 'zod';
import { maxMatchLength } from './regex-length';
import type { JSONSchemaProps, SchemaType, ValidationRule } from './types';

/**
 * zod → Kubernetes structural schema.
 *
 * zod 4's `z.toJSONSchema` does the heavy lifting (checks, defaults, descriptions, meta), targeting OpenAPI 3.0 so
 * that nullability is `nullable` and exclusive bounds are booleans. Its output still breaks several structural
 * schema rules (unions, `$ref` for schemas with an `id`, `additionalProperties` beside `properties`, JS-only
 * regexes...), so a second pass rewrites every node into the subset Kubernetes accepts. Rewrites only ever widen
 * what the schema accepts: the zod schema stays the authority and still runs in the SDK and the controller.
 */

type Json = Record<string, unknown>;

export interface ConversionResult {
  schema: JSONSchemaProps;
  /** Constraints that could not be expressed and were widened, with where; surfaced by the generator script. */
  warnings: string[];
}

const SCHEMA_TYPES: ReadonlySet<string> = new Set([
  'object',
  'array',
  'string',
  'integer',
  'number',
  'boolean',
]);

/** Formats the apiextensions-apiserver validates with the same meaning as zod's (zod's `duration` is ISO 8601, not Go). */
const K8S_FORMATS: ReadonlySet<string> = new Set([
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uuid',
  'uri',
  'date',
  'date-time',
  'byte',
]);

const NUMERIC_KEYWORDS = [
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
] as const;
type NumericKeyword = (typeof NUMERIC_KEYWORDS)[number];
const LOWER_BOUNDS: ReadonlySet<string> = new Set(['minLength', 'minimum', 'minItems', 'minProperties']);

/** JSON Schema keywords with no structural equivalent that narrow what is accepted: dropping them widens. */
const UNSUPPORTED_VALIDATIONS = [
  'uniqueItems',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
  'contains',
  'if',
  'then',
  'else',
  'not',
  'unevaluatedProperties',
  'unevaluatedItems',
];

/** Keywords passed through verbatim once checked (they are the Kubernetes extensions a zod `.meta()` may carry). */
const PASSTHROUGH_EXTENSIONS = [
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
] as const;

export function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A node that accepts anything: what an unconstrained `z.unknown()` or an unrepresentable schema becomes. */
function anyNode(): JSONSchemaProps {
  return { 'x-kubernetes-preserve-unknown-fields': true };
}

function isAny(node: JSONSchemaProps): boolean {
  return (
    node['x-kubernetes-preserve-unknown-fields'] === true &&
    node.type === undefined &&
    node['x-kubernetes-int-or-string'] !== true
  );
}

function isIntOrString(node: JSONSchemaProps): boolean {
  return node['x-kubernetes-int-or-string'] === true;
}

function intOrString(pattern: string | undefined): JSONSchemaProps {
  return {
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    ...(pattern === undefined ? {} : { pattern }),
  };
}

const REGEX_SPECIALS = /[\\^$.*+?()[\]{}|/]/g;
function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIALS, '\\$&');
}

/**
 * Translate a JavaScript regex source into Go RE2 syntax (what the apiserver compiles `pattern` and CEL
 * `matches()` with), or undefined when RE2 cannot express it (lookaround, backreferences).
 */
export function toRe2(source: string): string | undefined {
  if (/\(\?<?[=!]/.test(source) || /\\[1-9]|\\k</.test(source) || source.includes('[^]')) return undefined;
  return source
    .replace(/\\u\{([0-9a-fA-F]+)\}/g, '\\x{$1}')
    .replace(/\\u([0-9a-fA-F]{4})/g, '\\x{$1}')
    .replace(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?P<$1>');
}

/** Regexes with inline flags must not leak them into a neighbouring alternative, so those get a group. */
function alternative(pattern: string): string {
  return pattern.includes('(?') ? `(?:${pattern})` : pattern;
}

function enumPattern(values: unknown[]): string {
  return `^(?:${values.map((v) => escapeRegex(String(v))).join('|')})$`;
}

function celString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function keyPatternRule(patterns: string[]): ValidationRule {
  return {
    rule: `self.all(k, ${patterns.map((p) => `k.matches(${celString(p)})`).join(' || ')})`,
    message: `every key must match ${patterns.map((p) => `/${p}/`).join(' or ')}`,
  };
}

interface ZodInternals {
  def: { type: string; keyType?: unknown; checks?: unknown[] };
  bag: Record<string, unknown>;
  values?: ReadonlySet<unknown>;
}

function internals(schema: unknown): ZodInternals | undefined {
  if (!isJsonObject(schema) && typeof schema !== 'function') return undefined;
  const zod = (schema as { _zod?: unknown })._zod;
  if (!isJsonObject(zod) || !isJsonObject(zod.def) || typeof zod.def.type !== 'string') return undefined;
  return zod as unknown as ZodInternals;
}

/** The regexes a zod string checks: `.regex()` and formats keep theirs on the check, some types in the bag. */
function regexesOf(schema: unknown): RegExp[] {
  const zod = internals(schema);
  if (!zod) return [];
  const found: RegExp[] = [];
  for (const check of zod.def.checks ?? []) {
    const def = isJsonObject(check) && isJsonObject(check._zod) ? check._zod.def : undefined;
    if (isJsonObject(def) && def.pattern instanceof RegExp) found.push(def.pattern);
  }
  const bag = zod.bag.patterns;
  if (bag instanceof Set) for (const p of bag) if (p instanceof RegExp && !found.includes(p)) found.push(p);
  return found;
}

/**
 * Hook run by `z.toJSONSchema` on every zod node: it recovers what the OpenAPI 3.0 target drops (record key
 * constraints, case-insensitive regex flags) while the zod schema is still at hand.
 */
function override(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const zod = internals(ctx.zodSchema);
  if (!zod) return;
  const json = ctx.jsonSchema;
  if (zod.def.type === 'string') {
    const regexes = regexesOf(ctx.zodSchema);
    const flagged = regexes.some((r) => r.flags.includes('i'));
    if (flagged) {
      const sources = regexes.map((r) => (r.flags.includes('i') ? `(?i)${r.source}` : r.source));
      if (sources.length === 1) json.pattern = sources[0];
      else json.allOf = sources.map((pattern) => ({ pattern }));
    }
    return;
  }
  if (zod.def.type !== 'record') return;
  const key = internals(zod.def.keyType);
  const values = key?.values;
  if (values && values.size > 0 && [...values].every((v) => typeof v === 'string')) {
    // An enum-keyed record is an object with known fields: say so instead of a free-form map.
    const value = json.additionalProperties;
    json.properties = Object.fromEntries([...values].map((k) => [String(k), clone(value)]));
    delete json.additionalProperties;
    return;
  }
  const patterns = regexesOf(zod.def.keyType).map((r) => toRe2(r.source));
  if (patterns.length > 0 && patterns.every((p): p is string => p !== undefined)) {
    const existing = Array.isArray(json['x-kubernetes-validations']) ? json['x-kubernetes-validations'] : [];
    json['x-kubernetes-validations'] = [...existing, keyPatternRule(patterns)];
  }
}

/** Convert a zod schema to a structural openAPIV3Schema (see the file comment). */
export function zodToStructuralSchema(schema: z.ZodType, name: string): ConversionResult {
  const raw = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    // Defaults make fields optional on input, and transforms/pipes are described by what they accept.
    io: 'input',
    // Refinements and transforms have no JSON Schema form: they become `{}` here and CEL rules elsewhere.
    unrepresentable: 'any',
    reused: 'inline',
    override: (ctx) => override({ zodSchema: ctx.zodSchema, jsonSchema: ctx.jsonSchema as Json }),
  }) as unknown as Json;
  const converter = new Converter(raw, name);
  const result = converter.normalize(raw, '');
  return { schema: result, warnings: converter.warnings };
}

class Converter {
  readonly warnings: string[] = [];

  constructor(
    private readonly root: Json,
    private readonly name: string,
  ) {}

  private warn(path: string, message: string): void {
    this.warnings.push(`${this.name} ${path || '(root)'}: ${message}`);
  }

  /** Follow a local `$ref` (zod emits them for schemas with a meta `id`), merging sibling keywords over it. */
  private deref(raw: Json, path: string, refs: readonly string[]): { node: Json; refs: readonly string[] } {
    let node = raw;
    let seen = refs;
    while (typeof node.$ref === 'string') {
      const ref = node.$ref;
      if (seen.includes(ref)) {
        throw new Error(
          `${this.name} ${path}: the schema refers to itself through ${ref}; a CRD schema cannot be recursive, ` +
            'so bound the recursion in the zod schema (for example a fixed depth)',
        );
      }
      if (!ref.startsWith('#/'))
        throw new Error(`${this.name} ${path}: cannot resolve non-local $ref ${ref}`);
      let target: unknown = this.root;
      for (const part of ref.slice(2).split('/')) {
        const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
        target = isJsonObject(target) ? target[key] : undefined;
      }
      if (!isJsonObject(target)) throw new Error(`${this.name} ${path}: unresolved $ref ${ref}`);
      const rest: Json = { ...node };
      delete rest.$ref;
      node = { ...target, ...rest };
      seen = [...seen, ref];
    }
    return { node, refs: seen };
  }

  private isNullSchema(raw: unknown, refs: readonly string[]): boolean {
    if (!isJsonObject(raw)) return false;
    const { node } = this.deref(raw, '', refs);
    return (
      node.type === 'null' || (Array.isArray(node.enum) && node.enum.length === 1 && node.enum[0] === null)
    );
  }

  private isNever(raw: unknown): boolean {
    return isJsonObject(raw) && isJsonObject(raw.not) && Object.keys(raw.not).length === 0;
  }

  normalize(input: unknown, path: string, inheritedRefs: readonly string[] = []): JSONSchemaProps {
    if (input === true || (isJsonObject(input) && Object.keys(input).length === 0)) {
      this.warn(
        path,
        'accepts any value (z.unknown, z.any or an unrepresentable type): x-kubernetes-preserve-unknown-fields',
      );
      return anyNode();
    }
    if (!isJsonObject(input)) throw new Error(`${this.name} ${path}: expected a JSON schema object`);
    const { node: raw, refs } = this.deref(input, path, inheritedRefs);

    let result = this.normalizeOwn(raw, path, refs);
    const union = Array.isArray(raw.anyOf) ? raw.anyOf : Array.isArray(raw.oneOf) ? raw.oneOf : undefined;
    if (union) {
      const nonNull = union.filter((b) => !this.isNullSchema(b, refs));
      if (nonNull.length < union.length) result.nullable = true;
      const branches = nonNull.map((b) => this.normalize(withType(b, raw.type), path, refs));
      const collapsed =
        branches.length === 1 ? (branches[0] as JSONSchemaProps) : this.collapseUnion(branches, path);
      result = isAny(collapsed) ? { ...result, ...collapsed } : this.intersect(result, collapsed, path);
    }
    if (Array.isArray(raw.allOf)) {
      for (const branch of raw.allOf) {
        result = this.intersect(result, this.normalize(withType(branch, raw.type), path, refs), path);
      }
    }
    return this.finish(result, path);
  }

  /** Every keyword of a node except the junctors (anyOf/oneOf/allOf), which `normalize` folds in afterwards. */
  private normalizeOwn(raw: Json, path: string, refs: readonly string[]): JSONSchemaProps {
    const out: JSONSchemaProps = {};
    const type = raw.type;
    if (typeof type === 'string' && SCHEMA_TYPES.has(type)) out.type = type as SchemaType;
    else if (type === 'null') out.nullable = true;
    else if (Array.isArray(type)) {
      const types = type.filter((t): t is SchemaType => typeof t === 'string' && SCHEMA_TYPES.has(t));
      if (type.includes('null')) out.nullable = true;
      if (types.length === 1) out.type = types[0];
      else if (types.length > 1)
        Object.assign(
          out,
          this.collapseUnion(
            types.map((t) => ({ type: t })),
            path,
          ),
        );
    }
    if (typeof raw.description === 'string' && raw.description.length > 0) out.description = raw.description;
    if (raw.default !== undefined) out.default = clone(raw.default);
    if (raw.nullable === true) out.nullable = true;
    if (typeof raw.format === 'string') {
      if (K8S_FORMATS.has(raw.format)) out.format = raw.format;
      else if (raw.pattern === undefined)
        this.warn(path, `format "${raw.format}" has no Kubernetes equivalent: dropped`);
    }
    if (Array.isArray(raw.enum)) {
      const values = raw.enum.filter((v) => v !== null);
      if (values.length < raw.enum.length) out.nullable = true;
      if (values.length > 0) out.enum = clone(values);
    }
    if (raw.const !== undefined && raw.const !== null) out.enum = [clone(raw.const)];
    if (typeof raw.pattern === 'string') {
      const pattern = toRe2(raw.pattern);
      if (pattern === undefined)
        this.warn(path, `pattern /${raw.pattern}/ needs a JavaScript-only regex feature: dropped`);
      else out.pattern = pattern;
    }
    for (const keyword of NUMERIC_KEYWORDS) {
      const value = raw[keyword];
      if (typeof value === 'number' && Number.isFinite(value)) out[keyword] = value;
    }
    this.exclusiveBound(raw, out, 'exclusiveMinimum', 'minimum');
    this.exclusiveBound(raw, out, 'exclusiveMaximum', 'maximum');
    for (const keyword of UNSUPPORTED_VALIDATIONS) {
      if (raw[keyword] !== undefined && !(keyword === 'not' && this.isNever(raw))) {
        this.warn(path, `"${keyword}" cannot be expressed in a structural schema: dropped`);
      }
    }

    if (isJsonObject(raw.properties)) {
      const properties: Record<string, JSONSchemaProps> = {};
      for (const [key, value] of Object.entries(raw.properties)) {
        if (this.isNever(value)) continue; // z.never(): the field may not be set, which pruning already ensures
        properties[key] = this.normalize(value, `${path}.${key}`, refs);
      }
      out.properties = properties;
    }
    if (Array.isArray(raw.required)) {
      const required = raw.required.filter((r): r is string => typeof r === 'string');
      if (required.length > 0) out.required = [...required];
    }
    this.normalizeMapKeywords(raw, out, path, refs);

    if (Array.isArray(raw.items) || Array.isArray(raw.prefixItems)) {
      // Tuples: Kubernetes lists are homogeneous, so accept any of the positional types anywhere.
      const positional = [
        ...(Array.isArray(raw.prefixItems) ? raw.prefixItems : []),
        ...(Array.isArray(raw.items) ? raw.items : []),
      ];
      if (isJsonObject(raw.items)) positional.push(raw.items);
      const branches = positional.map((b) => this.normalize(b, `${path}[*]`, refs));
      out.items = branches.length === 1 ? branches[0] : this.collapseUnion(branches, `${path}[*]`);
    } else if (isJsonObject(raw.items)) {
      out.items = this.normalize(raw.items, `${path}[*]`, refs);
    }

    const validations = raw['x-kubernetes-validations'];
    if (validations !== undefined) out['x-kubernetes-validations'] = this.validationRules(validations, path);
    for (const ext of PASSTHROUGH_EXTENSIONS) {
      if (raw[ext] !== undefined) (out as Json)[ext] = clone(raw[ext]);
    }
    if (raw['x-kubernetes-int-or-string'] === true) Object.assign(out, intOrString(out.pattern));
    if (raw['x-kubernetes-preserve-unknown-fields'] === true)
      out['x-kubernetes-preserve-unknown-fields'] = true;
    return out;
  }

  private exclusiveBound(
    raw: Json,
    out: JSONSchemaProps,
    keyword: 'exclusiveMinimum' | 'exclusiveMaximum',
    bound: 'minimum' | 'maximum',
  ): void {
    const value = raw[keyword];
    if (value === true && out[bound] !== undefined) out[keyword] = true;
    else if (typeof value === 'number' && Number.isFinite(value)) {
      // JSON Schema 2019+ form: the bound itself is the number.
      out[bound] = value;
      out[keyword] = true;
    }
  }

  /** `additionalProperties`, `patternProperties` and `propertyNames`, which Kubernetes allows only as a plain map. */
  private normalizeMapKeywords(raw: Json, out: JSONSchemaProps, path: string, refs: readonly string[]): void {
    const hasProperties = isJsonObject(raw.properties);
    const extra: JSONSchemaProps[] = [];
    const ap = raw.additionalProperties;
    let open = false;
    if (ap === true || (isJsonObject(ap) && Object.keys(ap).length === 0)) open = true;
    else if (isJsonObject(ap)) extra.push(this.normalize(ap, `${path}{*}`, refs));

    const keyPatterns: string[] = [];
    if (isJsonObject(raw.patternProperties)) {
      for (const [pattern, value] of Object.entries(raw.patternProperties)) {
        const re2 = toRe2(pattern);
        if (re2 !== undefined) keyPatterns.push(re2);
        extra.push(this.normalize(value, `${path}{*}`, refs));
      }
    }
    if (isJsonObject(raw.propertyNames) && typeof raw.propertyNames.pattern === 'string') {
      const re2 = toRe2(raw.propertyNames.pattern);
      if (re2 !== undefined) keyPatterns.push(re2);
    }

    if (hasProperties) {
      // Properties plus extra keys: Kubernetes forbids both, so keep the known fields and let the rest through.
      if (open || extra.length > 0) out['x-kubernetes-preserve-unknown-fields'] = true;
      return;
    }
    if (open) {
      out.type = 'object';
      out['x-kubernetes-preserve-unknown-fields'] = true;
    } else if (extra.length > 0) {
      out.type = 'object';
      out.additionalProperties = extra.length === 1 ? extra[0] : this.collapseUnion(extra, `${path}{*}`);
    }
    if (keyPatterns.length > 0) {
      out['x-kubernetes-validations'] = [
        ...(out['x-kubernetes-validations'] ?? []),
        keyPatternRule(keyPatterns),
      ];
    }
  }

  private validationRules(value: unknown, path: string): ValidationRule[] {
    if (!Array.isArray(value))
      throw new Error(`${this.name} ${path}: x-kubernetes-validations must be a list`);
    return value.map((entry) => {
      if (!isJsonObject(entry) || typeof entry.rule !== 'string' || typeof entry.message !== 'string') {
        throw new Error(
          `${this.name} ${path}: each x-kubernetes-validations entry needs a string rule and message`,
        );
      }
      const rule: ValidationRule = { rule: entry.rule, message: entry.message };
      if (typeof entry.fieldPath === 'string') rule.fieldPath = entry.fieldPath;
      if (typeof entry.reason === 'string') rule.reason = entry.reason as ValidationRule['reason'];
      return rule;
    });
  }

  /** Make the node self-describing: every node gets a type (or an explicit escape hatch). */
  private finish(node: JSONSchemaProps, path: string): JSONSchemaProps {
    if (isIntOrString(node)) {
      delete node.type;
      return node;
    }
    if (node.type === undefined) {
      if (node.properties || node.additionalProperties) node.type = 'object';
      else if (node.items) node.type = 'array';
      else if (node.enum && enumType(node.enum)) node.type = enumType(node.enum);
      else if (node['x-kubernetes-preserve-unknown-fields'] !== true) {
        this.warn(
          path,
          'has no type in zod (unknown, custom or transform): x-kubernetes-preserve-unknown-fields',
        );
        node['x-kubernetes-preserve-unknown-fields'] = true;
      }
    }
    if (node.type === 'integer' || node.type === 'number') {
      // zod's int() adds ±MAX_SAFE_INTEGER bounds, which say nothing to a reader of the CRD.
      if (node.minimum !== undefined && node.minimum <= -Number.MAX_SAFE_INTEGER) {
        delete node.minimum;
        delete node.exclusiveMinimum;
      }
      if (node.maximum !== undefined && node.maximum >= Number.MAX_SAFE_INTEGER) {
        delete node.maximum;
        delete node.exclusiveMaximum;
      }
    }
    if (node.type === 'string' && node.pattern !== undefined && node.maxLength === undefined) {
      // Implied by the pattern, but the API server's CEL cost estimator only reads maxLength.
      const max = maxMatchLength(node.pattern);
      if (max !== undefined) node.maxLength = max;
    }
    if (node.type === 'array' && !node.items) {
      this.warn(path, 'array without an item type: items accept any value');
      node.items = anyNode();
    }
    if (node.required && node.properties) {
      const known = node.properties;
      node.required = node.required.filter((r) => r in known);
      if (node.required.length === 0) delete node.required;
    }
    return node;
  }

  /** A union (anyOf/oneOf) as one structural node: the narrowest single schema accepting every branch. */
  private collapseUnion(branches: JSONSchemaProps[], path: string): JSONSchemaProps {
    if (branches.some(isAny)) return anyNode();
    const kinds = new Set(branches.map((b) => (isIntOrString(b) ? 'int-or-string' : (b.type ?? 'unknown'))));
    const only = (...allowed: string[]): boolean => [...kinds].every((k) => allowed.includes(k));
    if (branches.some((b) => b['x-kubernetes-validations'])) {
      this.warn(path, 'CEL rules on a union branch cannot be kept: dropped');
    }
    const common = commonKeywords(branches, ['description', 'nullable', 'default']);

    if (only('string')) return { ...common, ...this.mergeStrings(branches) };
    if (only('integer', 'number')) {
      return {
        ...common,
        ...commonKeywords(branches, [
          'minimum',
          'maximum',
          'exclusiveMinimum',
          'exclusiveMaximum',
          'multipleOf',
        ]),
        type: kinds.has('number') ? 'number' : 'integer',
      };
    }
    if (only('string', 'integer', 'number', 'int-or-string')) {
      // Kubernetes' int-or-string, as used by resource quantities and IntOrString fields.
      const strings = branches.filter((b) => b.type === 'string' || isIntOrString(b));
      const pattern = strings.every((b) => b.enum || b.pattern)
        ? this.mergeStrings(strings).pattern
        : undefined;
      return { ...common, ...intOrString(pattern) };
    }
    if (only('boolean')) {
      const enums = branches.every((b) => b.enum)
        ? { enum: unique(branches.flatMap((b) => b.enum ?? [])) }
        : {};
      return { ...common, type: 'boolean', ...enums };
    }
    if (only('object')) return { ...common, ...this.mergeObjects(branches, path) };
    if (only('array')) {
      const items = branches.map((b) => b.items ?? anyNode());
      return {
        ...common,
        ...commonKeywords(branches, ['minItems', 'maxItems']),
        type: 'array',
        items: this.collapseUnion(items, `${path}[*]`),
      };
    }
    this.warn(
      path,
      `union of ${[...kinds].join(', ')} has no structural form: x-kubernetes-preserve-unknown-fields`,
    );
    return { ...common, ...anyNode() };
  }

  private mergeStrings(branches: JSONSchemaProps[]): JSONSchemaProps {
    const lengths = commonKeywords(branches, ['minLength', 'maxLength', 'format']);
    if (!branches.every((b) => b.enum || b.pattern)) return { type: 'string', ...lengths };
    if (branches.every((b) => b.enum))
      return { type: 'string', ...lengths, enum: unique(branches.flatMap((b) => b.enum ?? [])) };
    const alternatives = branches.map((b) => (b.enum ? enumPattern(b.enum) : alternative(b.pattern ?? '')));
    return { type: 'string', ...lengths, pattern: unique(alternatives).join('|') };
  }

  private mergeObjects(branches: JSONSchemaProps[], path: string): JSONSchemaProps {
    if (branches.every((b) => b.additionalProperties && !b.properties)) {
      const values = branches.map((b) => b.additionalProperties ?? anyNode());
      return { type: 'object', additionalProperties: this.collapseUnion(values, `${path}{*}`) };
    }
    if (branches.some((b) => b.additionalProperties)) return { type: 'object', ...anyNode() };
    const byKey = new Map<string, JSONSchemaProps[]>();
    for (const branch of branches) {
      for (const [key, value] of Object.entries(branch.properties ?? {})) {
        byKey.set(key, [...(byKey.get(key) ?? []), value]);
      }
    }
    const properties: Record<string, JSONSchemaProps> = {};
    for (const [key, values] of byKey) {
      properties[key] =
        values.length === 1 ? (values[0] as JSONSchemaProps) : this.collapseUnion(values, `${path}.${key}`);
    }
    // A field is required only if every branch requires it.
    const required = [...byKey.keys()].filter((k) => branches.every((b) => b.required?.includes(k)));
    const out: JSONSchemaProps = { type: 'object', properties };
    if (required.length > 0) out.required = required;
    if (branches.some((b) => b['x-kubernetes-preserve-unknown-fields']))
      out['x-kubernetes-preserve-unknown-fields'] = true;
    return out;
  }

  /** Both schemas must hold (allOf, or a node's own keywords over its union): the first one's annotations win. */
  private intersect(a: JSONSchemaProps, b: JSONSchemaProps, path: string): JSONSchemaProps {
    if (isAny(b)) return a;
    if (isAny(a)) return { ...b, ...pick(a, ['description', 'default', 'nullable']) };
    const out: JSONSchemaProps = clone(a);
    if (a.type && b.type && a.type !== b.type) {
      const numeric = new Set([a.type, b.type]);
      if (numeric.has('integer') && numeric.has('number')) out.type = 'integer';
      else
        throw new Error(
          `${this.name} ${path}: the zod schema requires both ${a.type} and ${b.type}, which nothing satisfies`,
        );
    }
    for (const [key, value] of Object.entries(b) as [keyof JSONSchemaProps, unknown][]) {
      const current = out[key];
      if (current === undefined) {
        (out as Json)[key] = clone(value);
        continue;
      }
      switch (key) {
        case 'properties': {
          const merged = { ...(current as Record<string, JSONSchemaProps>) };
          for (const [name, schema] of Object.entries(value as Record<string, JSONSchemaProps>)) {
            merged[name] = merged[name] ? this.intersect(merged[name], schema, `${path}.${name}`) : schema;
          }
          out.properties = merged;
          break;
        }
        case 'items':
        case 'additionalProperties':
          out[key] = this.intersect(current as JSONSchemaProps, value as JSONSchemaProps, path);
          break;
        case 'required':
          out.required = unique([...(current as string[]), ...(value as string[])]);
          break;
        case 'enum':
          out.enum = (current as unknown[]).filter((v) => (value as unknown[]).some((w) => deepEqual(v, w)));
          break;
        case 'pattern':
          if (current !== value) out.allOf = [...(out.allOf ?? []), { pattern: value as string }];
          break;
        case 'allOf':
          out.allOf = [...(current as JSONSchemaProps[]), ...(value as JSONSchemaProps[])];
          break;
        case 'x-kubernetes-validations': {
          const rules = [...(current as ValidationRule[])];
          for (const rule of value as ValidationRule[])
            if (!rules.some((r) => r.rule === rule.rule)) rules.push(rule);
          out[key] = rules;
          break;
        }
        default:
          if ((NUMERIC_KEYWORDS as readonly string[]).includes(key)) {
            const k = key as NumericKeyword;
            const pickLarger = LOWER_BOUNDS.has(k);
            out[k] = pickLarger
              ? Math.max(current as number, value as number)
              : Math.min(current as number, value as number);
          }
        // Annotations (description, default, format...) keep the first schema's value.
      }
    }
    return out;
  }
}

/** A junctor branch without a type is about values of its parent's type (zod's allOf of regexes, for one). */
function withType(branch: unknown, parentType: unknown): unknown {
  if (!isJsonObject(branch) || branch.type !== undefined || typeof parentType !== 'string') return branch;
  if (typeof branch.$ref === 'string') return branch;
  return { type: parentType, ...branch };
}

function enumType(values: unknown[]): SchemaType | undefined {
  if (values.every((v) => typeof v === 'string')) return 'string';
  if (values.every((v) => typeof v === 'boolean')) return 'boolean';
  if (values.every((v) => typeof v === 'number'))
    return values.every(Number.isInteger) ? 'integer' : 'number';
  return undefined;
}

function unique<T>(values: T[]): T[] {
  const out: T[] = [];
  for (const value of values) if (!out.some((v) => deepEqual(v, value))) out.push(value);
  return out;
}

function pick(node: JSONSchemaProps, keys: (keyof JSONSchemaProps)[]): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  for (const key of keys) if (node[key] !== undefined) (out as Json)[key] = node[key];
  return out;
}

/** Keywords every branch has with the same value: the only ones a collapsed union can keep without narrowing. */
function commonKeywords(branches: JSONSchemaProps[], keys: (keyof JSONSchemaProps)[]): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  const [first, ...rest] = branches;
  if (!first) return out;
  for (const key of keys) {
    const value = first[key];
    if (value !== undefined && rest.every((b) => deepEqual(b[key], value))) (out as Json)[key] = clone(value);
  }
  return out;
}
