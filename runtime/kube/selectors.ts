import type { LabelSelector } from './objects';

/** Match a structured label selector (matchLabels + matchExpressions). An empty selector matches everything. */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const v = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (v === undefined || !(e.values ?? []).includes(v)) return false;
        break;
      case 'NotIn':
        if (v !== undefined && (e.values ?? []).includes(v)) return false;
        break;
      case 'Exists':
        if (v === undefined) return false;
        break;
      case 'DoesNotExist':
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

/** Parse the API's string selector ("a=b,c!=d,e,!f") into a structured selector. */
export function parseSelectorString(s: string | undefined): LabelSelector {
  const selector: Required<LabelSelector> = { matchLabels: {}, matchExpressions: [] };
  for (const raw of (s ?? '').split(',')) {
    const part = raw.trim();
    if (!part) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(part))) {
      selector.matchExpressions.push({ key: m[1] as string, operator: 'NotIn', values: [m[2] as string] });
    } else if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(part))) {
      selector.matchLabels[m[1] as string] = m[2] as string;
    } else if ((m = /^!(\S+)$/.exec(part))) {
      selector.matchExpressions.push({ key: m[1] as string, operator: 'DoesNotExist' });
    } else {
      selector.matchExpressions.push({ key: part, operator: 'Exists' });
    }
  }
  return selector;
}

/** Render matchLabels as the API's string selector. */
export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** One term of a field selector: a dotted path into the object compared to a value. */
export interface FieldRequirement {
  path: string;
  equal: boolean;
  value: string;
}

/**
 * Parse the API's field selector ("involvedObject.name=n,reason!=x"): only equality and inequality exist. Which
 * paths a kind supports is the server's business; an unknown one is rejected there, not here.
 */
export function parseFieldSelector(s: string): FieldRequirement[] {
  return s
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const m = /^([^!=\s]+)\s*(!=|==|=)\s*(.*)$/.exec(part);
      if (!m)
        throw new Error(
          `invalid field selector term "${part}": expected <field>=<value> or <field>!=<value>`,
        );
      return { path: m[1] as string, equal: m[2] !== '!=', value: m[3] as string };
    });
}

/** Whether an object matches every term; a missing field reads as the empty string, as on the server. */
export function matchesFieldSelector(requirements: FieldRequirement[], obj: object): boolean {
  return requirements.every(({ path, equal, value }) => {
    let cursor: unknown = obj;
    for (const key of path.split('.')) {
      cursor =
        cursor !== null && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[key] : undefined;
    }
    const actual = cursor === undefined || cursor === null ? '' : String(cursor);
    return (actual === value) === equal;
  });
}
