import { readFileSync } from 'node:fs';
import { renderSettingsTable, SETTINGS_DOC, withGeneratedTable } from './settings-docs';
import { SETTINGS } from './settings';
import { UNAPPLIED_SETTINGS } from './settings-upstream';

/** Prettier pads table cells; the content is what must match. */
const normalize = (text: string) => text.replace(/ +/g, ' ').replace(/-{3,}/g, '---');

describe('docs/SETTINGS.md', () => {
  it('holds the table rendered from the settings the controller reads (run `npx tsx runtime/settings-docs.ts`)', () => {
    const doc = readFileSync(SETTINGS_DOC, 'utf8');
    expect(normalize(doc)).toBe(normalize(withGeneratedTable(doc)));
  });

  it('has a row for every applied and unapplied setting and every gate', () => {
    const table = renderSettingsTable();
    for (const s of [...Object.values(SETTINGS), ...UNAPPLIED_SETTINGS])
      expect(table).toContain(`| \`${s.env}\` |`);
    expect(table).toMatch(/\| `SpotToSpotConsolidation` \| false \| decides:/);
    expect(table).toMatch(/\| `ReservedCapacity` \| true \| decides: /);
    expect(table).toMatch(/\| `CapacityBuffer` \| false \| decides: /);
    expect(table).toMatch(/\| `TerminateFirstDrift` \| false \| decides: /);
    expect(table).toMatch(/\| `TerminateFirstRepair` \| false \| decides: /);
  });
});
