import type { JSONSchemaProps } from './types';

/**
 * Find a node in a structural schema by a dotted field path: `spec.template.spec.requirements[*].key`, where
 * `[*]` steps into list items and `{*}` into map values. Returns undefined when the path does not exist.
 */
export function schemaAt(root: JSONSchemaProps, path: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = root;
  for (const segment of splitPath(path)) {
    if (!node) return undefined;
    if (segment === '[*]') node = node.items;
    else if (segment === '{*}') node = node.additionalProperties;
    else node = node.properties?.[segment] ?? node.additionalProperties;
  }
  return node;
}

/** `a.b[*].c{*}` → ['a', 'b', '[*]', 'c', '{*}']; an empty path is the root. */
export function splitPath(path: string): string[] {
  const segments: string[] = [];
  for (const part of path.split('.')) {
    if (part === '') continue;
    const match = /^([^[{]*)((?:\[\*\]|\{\*\})*)$/.exec(part);
    if (!match) throw new Error(`invalid schema path segment "${part}" in "${path}"`);
    if (match[1]) segments.push(match[1]);
    for (const marker of (match[2] ?? '').match(/\[\*\]|\{\*\}/g) ?? []) segments.push(marker);
  }
  return segments;
}
