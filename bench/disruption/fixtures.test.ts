import { measure } from './run';

describe('disruption benchmark fixture', () => {
  it('gives the disruption loop real work: a half-used cluster consolidates', async () => {
    const row = await measure(30, 10);
    expect(row.pods).toBe(300);
    expect(row.decision).toMatch(/^Underutilized/);
    expect(row.nodesDisrupted).toBeGreaterThan(0);
    expect(row.savingsPerHour).toBeGreaterThan(0);
  }, 60_000);
});
