import { readFileSync } from 'node:fs';
import {
  COMPATIBILITY_DOC,
  extraFields,
  fieldRows,
  ourFields,
  staleReasons,
  withGeneratedTable,
} from './compatibility-docs';

const normalize = (text: string) => text.replace(/ +/g, ' ').replace(/-{3,}/g, '---');

describe('docs/COMPATIBILITY.md', () => {
  it('holds the table rendered from upstream CRDs and ours (run `npx tsx runtime/compatibility-docs.ts`)', () => {
    const doc = readFileSync(COMPATIBILITY_DOC, 'utf8');
    expect(normalize(doc)).toBe(normalize(withGeneratedTable(doc)));
  });

  it('gives a reason for every upstream field our CRDs lack', () => {
    expect(fieldRows().filter((r) => r.note.startsWith('MISSING'))).toEqual([]);
  });

  it('lists as not supported only fields our CRDs really lack', () => {
    expect(staleReasons()).toEqual([]);
  });

  it('adds no field of its own to upstream kinds', () => {
    expect(extraFields()).toEqual([]);
  });

  it('would notice a field dropped from our schemas', () => {
    const ours = ourFields();
    ours.get('NodePool')?.delete('spec.weight');
    expect(fieldRows(ours).find((r) => r.kind === 'NodePool' && r.path === 'spec.weight')?.note).toMatch(
      /^MISSING/,
    );
  });
});
