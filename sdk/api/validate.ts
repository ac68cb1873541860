import { z } from 'zod';

export interface FieldProblem {
  /** Field path such as `spec.template.spec.requirements.2.values`; map keys that are not plain words are quoted. */
  path: string;
  message: string;
  /** The id of the cross-field rule that failed (see Rules in rules.ts); absent for structural problems. */
  rule?: string;
}

/** Thrown when a manifest does not match its schema; the message lists every field path with the fix. */
export class ValidationError extends Error {
  constructor(
    readonly kind: string,
    readonly objectName: string,
    readonly issues: FieldProblem[],
  ) {
    super(
      `invalid ${kind} "${objectName}":\n` +
        issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.name = 'ValidationError';
  }
}

/** `spec.requirements.2.values`, `spec.tags["kubernetes.io/cluster/x"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += out ? `.${segment}` : String(segment);
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment))
      out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/**
 * Messages for the issues the schemas leave to zod (missing fields, wrong types, unknown fields), phrased as
 * "what is wrong: how to fix it". Schema-level messages take precedence, so this only fills the gaps.
 */
export const manifestErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const field = issue.path?.[issue.path.length - 1];
      if (issue.input === undefined) {
        return field === undefined ? 'is required' : `is required: add ${String(field)}`;
      }
      if (
        issue.expected === 'string' &&
        (typeof issue.input === 'number' || typeof issue.input === 'boolean')
      ) {
        return `must be a string, got ${describe(issue.input)}: quote it ("${String(issue.input)}")`;
      }
      const expected =
        issue.expected === 'array' ? 'list' : issue.expected === 'record' ? 'object' : issue.expected;
      return `must be ${article(expected)}, got ${describe(issue.input)}: write it as ${article(expected)}`;
    }
    case 'unrecognized_keys': {
      const known =
        issue.inst instanceof z.ZodObject
          ? ` (known fields: ${Object.keys(issue.inst.shape).join(', ')})`
          : '';
      const plural = issue.keys.length > 1;
      return `unknown field${plural ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove ${plural ? 'them' : 'it'} or fix the spelling${known}`;
    }
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')} (got ${JSON.stringify(issue.input)})`;
    case 'too_small':
      return issue.origin === 'array'
        ? `needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}: add some`
        : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `has more than ${String(issue.maximum)} items: remove some`
        : `must be at most ${String(issue.maximum)}`;
    default:
      return undefined;
  }
};

/** Every problem `schema` finds in `input`, with display paths, or the parsed (defaulted) value. */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { success: true; data: z.infer<S> } | { success: false; problems: FieldProblem[] } {
  const result = schema.safeParse(input, { error: manifestErrorMap });
  if (result.success) return { success: true, data: result.data };
  return {
    success: false,
    problems: result.error.issues.map((issue) => {
      const rule =
        issue.code === 'custom' ? (issue.params as { rule?: unknown } | undefined)?.rule : undefined;
      return {
        path: formatPath(issue.path),
        message: issue.message,
        ...(typeof rule === 'string' ? { rule } : {}),
      };
    }),
  };
}

/** Parse and default a manifest with its schema, or throw a ValidationError naming each bad field. */
export function parseManifest<S extends z.ZodType>(schema: S, kind: string, input: unknown): z.infer<S> {
  const result = validate(schema, input);
  if (result.success) return result.data;
  const name = (input as { metadata?: { name?: string } } | undefined)?.metadata?.name ?? '(unnamed)';
  throw new ValidationError(kind, name, result.problems);
}
