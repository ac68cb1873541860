/** The generated CRDs (sdk/crds/*.yaml, `npm run crds`), read from the package so they never drift from sdk/. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { packageRoot } from '../../runtime/package-root';

export interface CrdDocument {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; [key: string]: unknown };
  spec: Record<string, unknown>;
}

export function crdDirectory(): string {
  return join(packageRoot(__dirname), 'sdk', 'crds');
}

function isCrd(doc: unknown): doc is CrdDocument {
  if (typeof doc !== 'object' || doc === null) return false;
  const d = doc as { kind?: unknown; metadata?: { name?: unknown } };
  return d.kind === 'CustomResourceDefinition' && typeof d.metadata?.name === 'string';
}

/** Every CRD in the folder, in file order; anything else in the files is an error, not silently skipped. */
export function loadCrds(dir: string = crdDirectory()): CrdDocument[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  if (files.length === 0) throw new Error(`no CRDs in ${dir}: run \`npm run crds\``);
  return files.flatMap((file) =>
    loadAll(readFileSync(join(dir, file), 'utf8'))
      .filter((doc) => doc !== null && doc !== undefined)
      .map((doc) => {
        if (!isCrd(doc)) throw new Error(`${file}: expected only CustomResourceDefinitions`);
        return doc;
      }),
  );
}
