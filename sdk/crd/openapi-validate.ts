import { isJsonObject } from './convert';
import type { JSONSchemaProps } from './types';

/**
 * Validate a value against a structural schema the way the API server's OpenAPI validation and pruning do
 * (types, enums, patterns, bounds, required fields, unknown fields, duplicates in set and map lists), without
 * CEL. Used to check that defaults are valid (the API server refuses a CRD whose defaults are not) and that
 * manifests zod accepts are accepted by the CRD too. Returns one line per problem, with a field path.
 */
export function validateValue(schema: JSONSchemaProps, value: unknown, path = ''): string[] {
  const at = path || '(root)';
  if (value === null) return schema.nullable ? [] : [`${at}: must not be null`];
  if (schema['x-kubernetes-int-or-string']) {
    if (!(typeof value === 'string' || Number.isInteger(value)))
      return [`${at}: must be an integer or a string`];
    return typeof value === 'string' ? checkString(schema, value, at) : [];
  }
  const problems: string[] = [];
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${at}: must be one of ${JSON.stringify(schema.enum)}`);
  }
  switch (schema.type) {
    case 'string':
      return typeof value === 'string'
        ? [...problems, ...checkString(schema, value, at)]
        : [`${at}: must be a string`];
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value)))
        return [`${at}: must be ${article(schema.type)}`];
      if (
        schema.minimum !== undefined &&
        (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)
      )
        problems.push(`${at}: is below the minimum`);
      if (
        schema.maximum !== undefined &&
        (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)
      )
        problems.push(`${at}: is above the maximum`);
      return problems;
    }
    case 'boolean':
      return typeof value === 'boolean' ? problems : [`${at}: must be a boolean`];
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: must be a list`];
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        problems.push(`${at}: has more than ${schema.maxItems} items`);
      if (schema.minItems !== undefined && value.length < schema.minItems)
        problems.push(`${at}: has fewer than ${schema.minItems} items`);
      const items = schema.items;
      if (items) value.forEach((item, i) => problems.push(...validateValue(items, item, `${path}[${i}]`)));
      problems.push(...duplicates(schema, value, path));
      return problems;
    }
    case 'object': {
      if (!isJsonObject(value)) return [`${at}: must be an object`];
      const keys = Object.keys(value);
      if (schema.maxProperties !== undefined && keys.length > schema.maxProperties)
        problems.push(`${at}: has more than ${schema.maxProperties} entries`);
      for (const name of schema.required ?? [])
        if (!(name in value)) problems.push(`${at}.${name}: is required`);
      for (const key of keys) {
        if (path === '' && key === 'metadata') continue; // the API server validates ObjectMeta itself
        const child = schema.properties?.[key] ?? schema.additionalProperties;
        if (child) problems.push(...validateValue(child, value[key], `${path}.${key}`));
        else if (!schema['x-kubernetes-preserve-unknown-fields'])
          problems.push(`${path}.${key}: unknown field (would be pruned)`);
      }
      return problems;
    }
    default:
      return problems;
  }
}

/** A `set` list may not hold an item twice, nor a `map` list two items with the same keys. */
function duplicates(schema: JSONSchemaProps, list: unknown[], path: string): string[] {
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== 'set' && listType !== 'map') return [];
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const identity = (item: unknown): string =>
    JSON.stringify(listType === 'set' ? item : keys.map((k) => (isJsonObject(item) ? item[k] : undefined)));
  const seen = new Set<string>();
  const problems: string[] = [];
  list.forEach((item, i) => {
    const id = identity(item);
    if (seen.has(id)) problems.push(`${path}[${i}]: duplicate entry in a list of type ${listType}`);
    seen.add(id);
  });
  return problems;
}

function checkString(schema: JSONSchemaProps, value: string, at: string): string[] {
  const problems: string[] = [];
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength)
    problems.push(`${at}: is longer than ${schema.maxLength}`);
  if (schema.minLength !== undefined && length < schema.minLength)
    problems.push(`${at}: is shorter than ${schema.minLength}`);
  for (const pattern of [schema.pattern, ...(schema.allOf ?? []).map((a) => a.pattern)]) {
    if (pattern !== undefined && !toJsRegex(pattern).test(value))
      problems.push(`${at}: does not match /${pattern}/`);
  }
  return problems;
}

/** RE2 spellings the generator emits that JavaScript writes differently. */
function toJsRegex(pattern: string): RegExp {
  const flags = (pattern.startsWith('(?i)') ? 'i' : '') + (pattern.includes('\\x{') ? 'u' : '');
  const source = pattern
    .replace(/^\(\?i\)/, '')
    .replace(/\(\?P</g, '(?<')
    .replace(/\\x\{([0-9a-fA-F]+)\}/g, '\\u{$1}')
    .replace(/\\\//g, '/');
  return new RegExp(source, flags);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/**
 * Apply the schema's defaults to a value the way the API server does before validation: a missing field with a
 * default gets it (and then the defaults nested inside it), recursively through objects, lists and maps.
 */
export function applyDefaults(schema: JSONSchemaProps, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((item) => applyDefaults(items, item)) : value;
  }
  if (!isJsonObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    if (out[name] === undefined && child.default !== undefined) out[name] = structuredClone(child.default);
    if (out[name] !== undefined) out[name] = applyDefaults(child, out[name]);
  }
  const values = schema.additionalProperties;
  if (values)
    for (const key of Object.keys(out))
      if (!schema.properties?.[key]) out[key] = applyDefaults(values, out[key]);
  return out;
}
