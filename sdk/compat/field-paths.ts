/**
 * Every field path of a CRD's stored version under spec and status ("spec.template.spec.requirements[].key"), so
 * our generated CRDs can be compared field by field with upstream's (see docs/COMPATIBILITY.md).
 */
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

export interface CrdLike {
  spec: {
    names: { kind: string };
    versions: { storage?: boolean; schema?: { openAPIV3Schema?: SchemaNode } }[];
  };
}

export function fieldPaths(crd: CrdLike): string[] {
  const stored = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  const out: string[] = [];
  const walk = (node: SchemaNode | undefined, prefix: string): void => {
    if (!node) return;
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.push(path);
      walk(child, path);
    }
    if (node.type === 'array') walk(node.items, `${prefix}[]`);
  };
  walk(stored?.schema?.openAPIV3Schema, '');
  return out.filter((p) => p.startsWith('spec') || p.startsWith('status'));
}
