import type { z } from 'zod';

/** Thrown when a manifest does not match its schema; the message lists every field path with the fix. */
export class ValidationError extends Error {
  constructor(
    readonly kind: string,
    readonly objectName: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(
      `invalid ${kind} "${objectName}":\n` +
        issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.name = 'ValidationError';
  }
}

/** Parse and default a manifest with its schema, or throw a ValidationError naming each bad field. */
export function parseManifest<S extends z.ZodType>(schema: S, kind: string, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const name = (input as { metadata?: { name?: string } } | undefined)?.metadata?.name ?? '(unnamed)';
  throw new ValidationError(
    kind,
    name,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
