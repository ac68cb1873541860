import { consolidationSavingsPerHourTotal, registry } from '../metrics';
import { currentSavings, parseSavings, renderSavings, savingsBetween } from './savings';

describe('consolidation savings', () => {
  beforeEach(() => consolidationSavingsPerHourTotal.reset());

  it("reads the counter back from the registry's own /metrics text, summed over reasons, label values escaped", async () => {
    consolidationSavingsPerHourTotal.inc({ nodepool: 'general', reason: 'empty' }, 0.25);
    consolidationSavingsPerHourTotal.inc({ nodepool: 'general', reason: 'underutilized' }, 0.5);
    consolidationSavingsPerHourTotal.inc({ nodepool: 'gpu "a"', reason: 'underutilized' }, 1.125);
    const page = await registry.metrics();
    const parsed = parseSavings(page);
    expect(parsed.get('general')).toBeCloseTo(0.75, 9);
    expect([...parsed.keys()].sort()).toEqual(['general', 'gpu \\"a\\"']);
    expect(await currentSavings()).toEqual(
      new Map([
        ['general', 0.75],
        ['gpu "a"', 1.125],
      ]),
    );
  });

  it('gives a window as the difference of two readings, and says when nothing was saved', () => {
    const before = new Map([['general', 1]]);
    const after = new Map([
      ['general', 1.5],
      ['spot', 0.2],
    ]);
    expect(savingsBetween(before, after)).toEqual(
      new Map([
        ['general', 0.5],
        ['spot', 0.2],
      ]),
    );
    expect(savingsBetween(after, after)).toEqual(new Map());
    expect(renderSavings(new Map(), 'in this step')).toBe('consolidation saved nothing in this step');
    expect(renderSavings(savingsBetween(before, after), 'in this step')).toBe(
      'consolidation saved $0.7000/hour in this step:\n  general  $0.5000/hour\n  spot     $0.2000/hour',
    );
  });
});
