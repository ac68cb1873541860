import type { MergePatch } from './api';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Apply an RFC 7386 JSON merge patch: objects merge recursively, null deletes, everything else replaces. */
export function applyMergePatch<T>(target: T, patch: MergePatch): T {
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v)) out[k] = applyMergePatch(out[k], v);
    else out[k] = v;
  }
  return out as T;
}
