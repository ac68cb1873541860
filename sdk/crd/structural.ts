import { isJsonObject, toRe2 } from './convert';
import { applyDefaults, validateValue } from './openapi-validate';
import type { JSONSchemaProps } from './types';

/**
 * A checker for what the kube-apiserver demands of a CRD's openAPIV3Schema (a "structural schema") and of its
 * CEL rules, so that a CRD that would be rejected at install time fails a unit test instead. It is deliberately
 * stricter than Kubernetes where that keeps the generator simple (no properties or items inside junctors).
 * It works on `unknown` so that hand-made bad schemas can be fed to it.
 */

type Json = Record<string, unknown>;

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/** Value validations: the only keywords allowed inside allOf / anyOf / oneOf / not. */
const VALUE_VALIDATIONS = new Set([
  'format',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
]);

const NODE_KEYWORDS = new Set([
  ...VALUE_VALIDATIONS,
  'type',
  'description',
  'title',
  'default',
  'nullable',
  'example',
  'items',
  'properties',
  'additionalProperties',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/** JSON Schema keywords Kubernetes rejects, with the reason given to whoever broke it. */
const FORBIDDEN: Record<string, string> = {
  $ref: '$ref is not allowed: inline the referenced schema',
  definitions: 'definitions is not allowed: inline the schemas',
  $defs: '$defs is not allowed: inline the schemas',
  patternProperties: 'patternProperties is not allowed: use additionalProperties and a CEL rule on the keys',
  uniqueItems: 'uniqueItems is not allowed: use x-kubernetes-list-type: set',
  const: 'const is not allowed: use a one-value enum',
  propertyNames: 'propertyNames is not allowed: use a CEL rule on the keys',
  prefixItems: 'prefixItems (tuples) is not allowed',
  additionalItems: 'additionalItems is not allowed',
  dependencies: 'dependencies is not allowed: use a CEL rule',
  $schema: '$schema is not allowed',
  id: 'id is not allowed',
};

const RULE_KEYS = new Set(['rule', 'message', 'messageExpression', 'reason', 'fieldPath', 'optionalOldSelf']);
const RULE_REASONS = new Set([
  'FieldValueInvalid',
  'FieldValueForbidden',
  'FieldValueRequired',
  'FieldValueDuplicate',
]);

/**
 * Functions and macros the Kubernetes CEL environment provides: the CEL standard library, the extended strings and
 * lists libraries, and the Kubernetes regex, URL, quantity, IP/CIDR and optional-type libraries.
 */
// prettier-ignore
const CEL_FUNCTIONS = new Set([
  // macros and standard library
  'has', 'all', 'exists', 'exists_one', 'map', 'filter', 'size', 'int', 'uint', 'double', 'string', 'bytes',
  'bool', 'type', 'dyn', 'duration', 'timestamp', 'matches', 'startsWith', 'endsWith', 'contains',
  'getDate', 'getDayOfMonth', 'getDayOfWeek', 'getDayOfYear', 'getFullYear', 'getHours', 'getMilliseconds',
  'getMinutes', 'getMonth', 'getSeconds',
  // strings extension
  'charAt', 'indexOf', 'lastIndexOf', 'lowerAscii', 'upperAscii', 'replace', 'split', 'substring', 'trim',
  'join', 'format', 'quote', 'reverse',
  // Kubernetes regex and lists libraries
  'find', 'findAll', 'isSorted', 'sum', 'min', 'max', 'slice', 'flatten', 'distinct',
  // Kubernetes URL, quantity, IP and CIDR libraries
  'url', 'isURL', 'getScheme', 'getHost', 'getHostname', 'getPort', 'getEscapedPath', 'getQuery',
  'quantity', 'isQuantity', 'sign', 'isInteger', 'asInteger', 'asApproximateFloat', 'add', 'sub', 'compareTo',
  'isGreaterThan', 'isLessThan', 'ip', 'isIP', 'cidr', 'isCIDR', 'family', 'isUnspecified', 'isLoopback',
  'isLinkLocalMulticast', 'isLinkLocalUnicast', 'isGlobalUnicast', 'containsIP', 'containsCIDR',
  'prefixLength', 'masked',
  // optional types
  'optMap', 'optFlatMap', 'orValue', 'hasValue', 'value', 'of', 'none', 'or',
]);

interface Context {
  issues: string[];
  /** Inside the items of a list that Kubernetes cannot correlate between versions (not a map or set list). */
  uncorrelatable: boolean;
}

/** Check an openAPIV3Schema; `root` adds the rules for the top of a CRD schema. Returns one line per problem. */
export function checkStructuralSchema(schema: unknown, options: { root?: boolean } = {}): string[] {
  const ctx: Context = { issues: [], uncorrelatable: false };
  checkNode(schema, '', ctx);
  if (options.root && isJsonObject(schema)) checkRoot(schema, ctx.issues);
  return ctx.issues;
}

function checkRoot(root: Json, issues: string[]): void {
  if (root.type !== 'object') issues.push('(root): type must be object');
  const properties = isJsonObject(root.properties) ? root.properties : {};
  const metadata = properties.metadata;
  if (metadata !== undefined) {
    const keys = isJsonObject(metadata) ? Object.keys(metadata) : [];
    if (
      !isJsonObject(metadata) ||
      metadata.type !== 'object' ||
      keys.some((k) => k !== 'type' && k !== 'description')
    ) {
      issues.push(
        '.metadata: at the root, metadata must be just {type: object}: the API server validates it',
      );
    }
  }
  if (!properties.spec) issues.push('(root): spec must be a property');
  if (!Array.isArray(root.required) || !root.required.includes('spec'))
    issues.push('(root): spec must be required');
}

function checkNode(node: unknown, path: string, ctx: Context): void {
  const at = path || '(root)';
  const issuesBefore = ctx.issues.length;
  if (!isJsonObject(node)) {
    ctx.issues.push(`${at}: a schema node must be an object, got ${JSON.stringify(node)}`);
    return;
  }
  for (const key of Object.keys(node)) {
    const forbidden = FORBIDDEN[key];
    if (forbidden) ctx.issues.push(`${at}: ${forbidden}`);
    else if (!NODE_KEYWORDS.has(key)) ctx.issues.push(`${at}: unknown keyword "${key}"`);
  }

  const intOrString = flag(node, 'x-kubernetes-int-or-string', at, ctx);
  const preserve = flag(node, 'x-kubernetes-preserve-unknown-fields', at, ctx);
  const type = node.type;
  if (type !== undefined && (typeof type !== 'string' || !TYPES.has(type))) {
    ctx.issues.push(
      `${at}: type must be one of ${[...TYPES].join(', ')}, got ${JSON.stringify(type)}` +
        (type === 'null' || Array.isArray(type) ? ' (use nullable: true for null)' : ''),
    );
  }
  if (type === undefined && !intOrString && !preserve) {
    ctx.issues.push(
      `${at}: every node needs a type (or x-kubernetes-int-or-string / x-kubernetes-preserve-unknown-fields)`,
    );
  }
  if (node.nullable !== undefined && typeof node.nullable !== 'boolean')
    ctx.issues.push(`${at}: nullable must be a boolean`);

  if (intOrString) {
    if (type !== undefined) ctx.issues.push(`${at}: x-kubernetes-int-or-string must not have a type`);
    if (node.anyOf !== undefined && !isIntOrStringAnyOf(node.anyOf)) {
      ctx.issues.push(
        `${at}: with x-kubernetes-int-or-string, anyOf must be exactly [{type: integer}, {type: string}]`,
      );
    }
  } else if (node.anyOf !== undefined) {
    checkJunctor(node.anyOf, `${at}.anyOf`, ctx);
  }
  for (const junctor of ['allOf', 'oneOf'] as const) {
    if (node[junctor] !== undefined) checkJunctor(node[junctor], `${at}.${junctor}`, ctx);
  }
  if (node.not !== undefined) checkJunctor([node.not], `${at}.not`, ctx);

  checkValueValidations(node, at, ctx);

  if (node.properties !== undefined) {
    if (!isJsonObject(node.properties)) ctx.issues.push(`${at}: properties must be an object`);
    else {
      if (type !== 'object') ctx.issues.push(`${at}: properties need type: object`);
      for (const [name, child] of Object.entries(node.properties)) checkNode(child, `${path}.${name}`, ctx);
    }
  }
  if (node.additionalProperties !== undefined) {
    if (node.properties !== undefined) {
      ctx.issues.push(
        `${at}: additionalProperties cannot be set beside properties (use x-kubernetes-preserve-unknown-fields)`,
      );
    }
    if (!isJsonObject(node.additionalProperties)) {
      ctx.issues.push(
        `${at}: additionalProperties must be a schema, not ${JSON.stringify(node.additionalProperties)}`,
      );
    } else {
      if (type !== 'object') ctx.issues.push(`${at}: additionalProperties needs type: object`);
      checkNode(node.additionalProperties, `${path}{*}`, ctx);
    }
  }
  if (Array.isArray(node.required) && isJsonObject(node.properties)) {
    const properties = node.properties;
    for (const name of node.required) {
      if (typeof name !== 'string' || !(name in properties))
        ctx.issues.push(`${at}: required field ${String(name)} is not a property`);
    }
  }

  const listType = node['x-kubernetes-list-type'];
  if (listType !== undefined && listType !== 'atomic' && listType !== 'set' && listType !== 'map') {
    ctx.issues.push(`${at}: x-kubernetes-list-type must be atomic, set or map`);
  }
  if ((listType === 'map') !== (node['x-kubernetes-list-map-keys'] !== undefined)) {
    ctx.issues.push(
      `${at}: x-kubernetes-list-map-keys goes with x-kubernetes-list-type: map, and only with it`,
    );
  }
  if (type === 'array' || node.items !== undefined) {
    if (type !== 'array') ctx.issues.push(`${at}: items need type: array`);
    if (!isJsonObject(node.items)) ctx.issues.push(`${at}: an array needs items with one schema`);
    else {
      const correlatable = listType === 'map' || listType === 'set';
      const inner: Context = { issues: ctx.issues, uncorrelatable: ctx.uncorrelatable || !correlatable };
      checkNode(node.items, `${path}[*]`, inner);
    }
  }

  if (node['x-kubernetes-validations'] !== undefined) checkRules(node, at, ctx);
  if (node.default !== undefined && ctx.issues.length === issuesBefore) {
    // The API server refuses defaults that its own validation (after nested defaulting) would reject.
    const schema = node as JSONSchemaProps;
    for (const problem of validateValue(schema, applyDefaults(schema, node.default))) {
      ctx.issues.push(`${at}: the default ${JSON.stringify(node.default)} is invalid: ${problem}`);
    }
  }
}

function flag(node: Json, key: string, at: string, ctx: Context): boolean {
  const value = node[key];
  if (value !== undefined && value !== true) ctx.issues.push(`${at}: ${key} must be true when set`);
  return value === true;
}

function isIntOrStringAnyOf(anyOf: unknown): boolean {
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return false;
  const [a, b] = anyOf;
  return (
    isJsonObject(a) &&
    isJsonObject(b) &&
    a.type === 'integer' &&
    b.type === 'string' &&
    Object.keys(a).length === 1 &&
    Object.keys(b).length === 1
  );
}

/** Inside allOf/anyOf/oneOf/not only value validations may appear (no type, description, default, nullable...). */
function checkJunctor(branches: unknown, at: string, ctx: Context): void {
  if (!Array.isArray(branches) || branches.length === 0) {
    ctx.issues.push(`${at}: must be a non-empty list of schemas`);
    return;
  }
  branches.forEach((branch, i) => {
    if (!isJsonObject(branch)) {
      ctx.issues.push(`${at}[${i}]: must be a schema`);
      return;
    }
    for (const key of Object.keys(branch)) {
      if (!VALUE_VALIDATIONS.has(key)) {
        ctx.issues.push(
          `${at}[${i}]: "${key}" is not allowed inside a junctor, which breaks the structural schema`,
        );
      }
    }
    for (const junctor of ['allOf', 'anyOf', 'oneOf'] as const) {
      if (branch[junctor] !== undefined) checkJunctor(branch[junctor], `${at}[${i}].${junctor}`, ctx);
    }
    if (branch.not !== undefined) checkJunctor([branch.not], `${at}[${i}].not`, ctx);
    checkValueValidations(branch, `${at}[${i}]`, ctx);
  });
}

function checkValueValidations(node: Json, at: string, ctx: Context): void {
  for (const key of ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties']) {
    const value = node[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) {
      ctx.issues.push(`${at}: ${key} must be a non-negative integer`);
    }
  }
  for (const key of ['minimum', 'maximum', 'multipleOf']) {
    if (node[key] !== undefined && typeof node[key] !== 'number')
      ctx.issues.push(`${at}: ${key} must be a number`);
  }
  for (const key of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (node[key] !== undefined && typeof node[key] !== 'boolean') {
      ctx.issues.push(
        `${at}: ${key} must be a boolean in OpenAPI v3.0 (set minimum/maximum and ${key}: true)`,
      );
    }
  }
  if (node.enum !== undefined && (!Array.isArray(node.enum) || node.enum.length === 0)) {
    ctx.issues.push(`${at}: enum must be a non-empty list`);
  }
  if (node.pattern !== undefined) {
    if (typeof node.pattern !== 'string') ctx.issues.push(`${at}: pattern must be a string`);
    else checkRegex(node.pattern, `${at}: pattern`, ctx);
  }
}

function checkRegex(pattern: string, at: string, ctx: Context): void {
  if (toRe2(pattern) !== pattern) {
    ctx.issues.push(
      `${at} /${pattern}/ uses a regex feature RE2 (Go) lacks: look-arounds, backreferences or \\u escapes`,
    );
    return;
  }
  try {
    // Go's RE2 flags like (?i) are not JavaScript syntax: strip them to check the rest parses.
    new RegExp(
      pattern
        .replace(/\(\?[imsU]+\)/g, '')
        .replace(/\(\?P</g, '(?<')
        .replace(/\\x\{([0-9a-fA-F]+)\}/g, '\\u{$1}'),
      'u',
    );
  } catch (error) {
    ctx.issues.push(`${at} /${pattern}/ does not compile: ${(error as Error).message}`);
  }
}

function checkRules(node: Json, at: string, ctx: Context): void {
  const rules = node['x-kubernetes-validations'];
  if (!Array.isArray(rules)) {
    ctx.issues.push(`${at}: x-kubernetes-validations must be a list`);
    return;
  }
  rules.forEach((entry, i) => {
    const where = `${at}: x-kubernetes-validations[${i}]`;
    if (!isJsonObject(entry)) {
      ctx.issues.push(`${where} must be an object`);
      return;
    }
    for (const key of Object.keys(entry))
      if (!RULE_KEYS.has(key)) ctx.issues.push(`${where}: unknown key "${key}"`);
    if (typeof entry.rule !== 'string' || entry.rule.trim() === '') {
      ctx.issues.push(`${where}: needs a rule`);
      return;
    }
    if (typeof entry.message !== 'string' || entry.message.trim() === '')
      ctx.issues.push(`${where}: needs a message`);
    else if (/[\r\n]/.test(entry.message)) ctx.issues.push(`${where}: message must be a single line`);
    if (entry.reason !== undefined && !RULE_REASONS.has(String(entry.reason)))
      ctx.issues.push(`${where}: unknown reason`);
    if (entry.fieldPath !== undefined && !fieldPathExists(node, entry.fieldPath)) {
      ctx.issues.push(`${where}: fieldPath ${String(entry.fieldPath)} is not a field of this node`);
    }
    for (const problem of celProblems(entry.rule)) ctx.issues.push(`${where} (${entry.rule}): ${problem}`);
    if (ctx.uncorrelatable && /\boldSelf\b/.test(entry.rule)) {
      ctx.issues.push(
        `${where}: oldSelf cannot be used inside a list that is not x-kubernetes-list-type map or set`,
      );
    }
  });
}

function fieldPathExists(node: Json, fieldPath: unknown): boolean {
  if (typeof fieldPath !== 'string' || !fieldPath.startsWith('.')) return false;
  let current: unknown = node;
  for (const part of fieldPath.slice(1).split('.')) {
    const properties: unknown = isJsonObject(current) ? current.properties : undefined;
    current = isJsonObject(properties) ? properties[part] : undefined;
    if (current === undefined) return false;
  }
  return true;
}

/**
 * A light static check of a CEL expression: balanced brackets and quotes, and only functions Kubernetes has.
 * Not a parser: the API server compiles the rules for real once a test control plane exists.
 */
export function celProblems(rule: string): string[] {
  const problems: string[] = [];
  const stripped = stripStrings(rule);
  if (stripped === undefined) return ['unterminated string literal'];
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const ch of stripped) {
    if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return [`unbalanced "${ch}"`];
  }
  if (stack.length > 0) problems.push(`unclosed "${stack[stack.length - 1]}"`);
  for (const match of stripped.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    const name = match[1] ?? '';
    if (!CEL_FUNCTIONS.has(name)) problems.push(`function ${name}() is not in the Kubernetes CEL library`);
  }
  if (/[^=!<>]=[^=]/.test(stripped.replace(/\s/g, ''))) problems.push('"=" is not a CEL operator (use ==)');
  return problems;
}

/** Replace string literals by '' so brackets and names inside them are not looked at; undefined if unterminated. */
function stripStrings(rule: string): string | undefined {
  let out = '';
  for (let i = 0; i < rule.length; i++) {
    const ch = rule[i];
    if (ch !== "'" && ch !== '"') {
      out += ch;
      continue;
    }
    let j = i + 1;
    while (j < rule.length && rule[j] !== ch) j += rule[j] === '\\' ? 2 : 1;
    if (j >= rule.length) return undefined;
    out += "''";
    i = j;
  }
  return out;
}

/** Check a whole CustomResourceDefinition: names, versions, the schema of each version and its printer columns. */
export function checkCrd(crd: unknown): string[] {
  const issues: string[] = [];
  if (!isJsonObject(crd)) return ['the CRD must be an object'];
  if (crd.apiVersion !== 'apiextensions.k8s.io/v1') issues.push('apiVersion must be apiextensions.k8s.io/v1');
  if (crd.kind !== 'CustomResourceDefinition') issues.push('kind must be CustomResourceDefinition');
  const spec = isJsonObject(crd.spec) ? crd.spec : {};
  const names = isJsonObject(spec.names) ? spec.names : {};
  const metadata = isJsonObject(crd.metadata) ? crd.metadata : {};
  if (metadata.name !== `${String(names.plural)}.${String(spec.group)}`)
    issues.push('metadata.name must be <plural>.<group>');
  for (const key of ['plural', 'singular'] as const) {
    const value = names[key];
    if (typeof value !== 'string' || value !== value.toLowerCase())
      issues.push(`names.${key} must be lower case`);
  }
  if (names.listKind !== `${String(names.kind)}List`) issues.push('names.listKind must be <kind>List');
  if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced')
    issues.push('scope must be Cluster or Namespaced');
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) issues.push('at least one version is needed');
  if (versions.filter((v) => isJsonObject(v) && v.storage === true).length !== 1)
    issues.push('exactly one version must be the storage version');
  for (const version of versions) {
    if (!isJsonObject(version)) continue;
    const name = String(version.name);
    const schema = isJsonObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
    if (!isJsonObject(schema)) {
      issues.push(`${name}: schema.openAPIV3Schema is required`);
      continue;
    }
    issues.push(...checkStructuralSchema(schema, { root: true }).map((i) => `${name}: ${i}`));
    const properties = isJsonObject(schema.properties) ? schema.properties : {};
    const subresources = isJsonObject(version.subresources) ? version.subresources : {};
    if (properties.status && !isJsonObject(subresources.status))
      issues.push(`${name}: status must be a subresource`);
    const columns = Array.isArray(version.additionalPrinterColumns) ? version.additionalPrinterColumns : [];
    for (const column of columns)
      issues.push(...checkPrinterColumn(column, schema).map((i) => `${name}: ${i}`));
  }
  return issues;
}

function checkPrinterColumn(column: unknown, schema: Json): string[] {
  if (!isJsonObject(column)) return ['a printer column must be an object'];
  const issues: string[] = [];
  const name = String(column.name);
  if (!['string', 'integer', 'number', 'boolean', 'date'].includes(String(column.type)))
    issues.push(`column ${name}: bad type`);
  if (column.priority !== undefined && (!Number.isInteger(column.priority) || Number(column.priority) < 0)) {
    issues.push(`column ${name}: priority must be a non-negative integer`);
  }
  const jsonPath = column.jsonPath;
  if (typeof jsonPath !== 'string' || !jsonPath.startsWith('.')) {
    issues.push(`column ${name}: jsonPath must start with "."`);
  } else if (!jsonPath.startsWith('.metadata.') && !jsonPathResolves(schema, jsonPath)) {
    issues.push(`column ${name}: ${jsonPath} is not in the schema`);
  }
  return issues;
}

/** Follow a printer-column JSONPath (`.a.b[?(@.x=="y")].c`, `\.` for dots inside a key) through the schema. */
function jsonPathResolves(schema: Json, jsonPath: string): boolean {
  const steps: string[] = [];
  let current = '';
  for (let i = 1; i < jsonPath.length; i++) {
    const ch = jsonPath[i];
    if (ch === '\\' && jsonPath[i + 1] === '.') {
      current += '.';
      i++;
    } else if (ch === '.') {
      steps.push(current);
      current = '';
    } else if (ch === '[') {
      if (current) steps.push(current);
      current = '';
      const end = jsonPath.indexOf(']', i);
      if (end < 0) return false;
      steps.push('[]');
      i = end;
      if (jsonPath[i + 1] === '.') i++;
    } else current += ch;
  }
  if (current) steps.push(current);
  let node: unknown = schema;
  for (const step of steps) {
    if (!isJsonObject(node)) return false;
    if (step === '[]') node = node.items;
    else {
      const properties = isJsonObject(node.properties) ? node.properties : undefined;
      node = properties?.[step] ?? node.additionalProperties;
    }
    if (node === undefined) return false;
  }
  return true;
}

/** CEL functions whose cost grows with the length of the string they read. */
// prettier-ignore
const LINEAR_STRING_FUNCTIONS = [
  'matches', 'find', 'findAll', 'split', 'contains', 'lowerAscii', 'upperAscii', 'replace', 'substring', 'trim',
  'indexOf', 'lastIndexOf', 'join', 'string',
];

/**
 * Rules the API server's CEL cost estimator is likely to reject (it assumes megabyte-sized strings and huge
 * collections wherever maxLength / maxItems / maxProperties are missing, and refuses the CRD when a rule's
 * worst case exceeds the budget). A conservative approximation, checked against the real estimator: it flags
 *  - iterating a map or list without a size bound while scanning strings in the loop body, and
 *  - scanning a string without maxLength from a rule that runs once per item of a list or map.
 */
export function celCostRisks(schema: unknown): string[] {
  const risks: string[] = [];
  const visit = (node: unknown, path: string, repeated: boolean): void => {
    if (!isJsonObject(node)) return;
    const rules = Array.isArray(node['x-kubernetes-validations']) ? node['x-kubernetes-validations'] : [];
    for (const entry of rules) {
      if (!isJsonObject(entry) || typeof entry.rule !== 'string') continue;
      const risk = ruleCostRisk(entry.rule, node, repeated);
      if (risk) risks.push(`${path || '(root)'}: ${risk}: ${entry.rule}`);
    }
    if (isJsonObject(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) visit(child, `${path}.${name}`, repeated);
    }
    if (isJsonObject(node.items)) visit(node.items, `${path}[*]`, true);
    if (isJsonObject(node.additionalProperties)) visit(node.additionalProperties, `${path}{*}`, true);
  };
  visit(schema, '', false);
  return risks;
}

function ruleCostRisk(rule: string, node: Json, repeated: boolean): string | undefined {
  const code = stripStrings(rule) ?? rule;
  const scans = LINEAR_STRING_FUNCTIONS.some((fn) => new RegExp(`\\b${fn}\\(`).test(code));
  if (!scans) return undefined;
  // self(.field)*.all( ... ) and friends: the loop runs once per element of that collection.
  for (const match of code.matchAll(/\bself((?:\.\w+)*)\.(?:all|exists|exists_one|map|filter)\(/g)) {
    const collection = resolve(node, match[1] ?? '');
    if (!collection) continue;
    const bounded =
      collection.type === 'array'
        ? collection.maxItems !== undefined
        : collection.maxProperties !== undefined;
    if (!bounded) return 'scans strings while iterating a collection with no maxItems/maxProperties';
  }
  // self.field.fn( / self.fn( on a string without maxLength, evaluated once per list or map entry.
  if (repeated) {
    for (const match of code.matchAll(/\bself((?:\.\w+|\[\d+\])*)\.(\w+)\(/g)) {
      if (!LINEAR_STRING_FUNCTIONS.includes(match[2] ?? '')) continue;
      const target = resolve(node, match[1] ?? '');
      if (target && target.type === 'string' && target.maxLength === undefined) {
        return 'scans a string with no maxLength once per item of a list or map';
      }
    }
  }
  return undefined;
}

/** `.values[0]` from a node: properties by name, `[n]` into items. */
function resolve(node: Json, path: string): Json | undefined {
  let current: unknown = node;
  for (const part of path.match(/\.\w+|\[\d+\]/g) ?? []) {
    if (!isJsonObject(current)) return undefined;
    if (part.startsWith('[')) current = current.items;
    else {
      const properties: unknown = current.properties;
      current = isJsonObject(properties) ? properties[part.slice(1)] : undefined;
    }
  }
  return isJsonObject(current) ? current : undefined;
}
