import type { InstanceType } from '../../scheduling/instance-types';
import type { PlannedNodeClaim } from '../../scheduling/plan';
import { instanceType } from '../../scheduling/testing';
import type { Candidate } from './candidates';
import { withinCommand } from './simulation';
import type { Command } from './methods';

// Only the fields withinCommand reads: the candidates' node names and the replacements' options.
const candidate = (name: string) => ({ stateNode: { name } }) as unknown as Candidate;
const replacement = (types: InstanceType[]) =>
  ({ instanceTypeOptions: types }) as unknown as PlannedNodeClaim;
const command = (
  reason: Command['reason'],
  nodes: string[],
  replacements: InstanceType[][] = [],
): Command => ({
  reason,
  candidates: nodes.map(candidate),
  replacements: replacements.map(replacement),
  savings: 1,
});

describe('withinCommand (what the validation may carry out)', () => {
  const [large, xlarge, big] = ['m5.large', 'm5.xlarge', 'm5.4xlarge'].map((n) =>
    instanceType(n),
  ) as InstanceType[];
  it('accepts the same command, or some of its nodes under any reason', () => {
    const decided = command('Underutilized', ['a', 'b', 'c']);
    expect(withinCommand(decided, command('Underutilized', ['a', 'b', 'c']))).toBe(true);
    expect(withinCommand(decided, command('Empty', ['b']))).toBe(true);
  });

  it('refuses a node the command did not choose', () => {
    expect(withinCommand(command('Empty', ['a']), command('Empty', ['a', 'b']))).toBe(false);
  });

  it('refuses more replacements than decided, or an instance type they did not offer', () => {
    const decided = command('Underutilized', ['a', 'b'], [[large, xlarge]]);
    expect(withinCommand(decided, command('Underutilized', ['a'], [[large]]))).toBe(true);
    expect(withinCommand(decided, command('Underutilized', ['a'], [[large], [large]]))).toBe(false);
    expect(withinCommand(decided, command('Underutilized', ['a'], [[big]]))).toBe(false);
    expect(withinCommand(command('Empty', ['a']), command('Underutilized', ['a'], [[large]]))).toBe(false);
  });
});
