import { nameOf } from './objects';

describe('nameOf', () => {
  it('returns the name', () => {
    expect(nameOf({ kind: 'Node', metadata: { name: 'node-a' } })).toBe('node-a');
  });

  it('throws naming the kind when the name is missing', () => {
    expect(() => nameOf({ kind: 'NodeClaim', metadata: { generateName: 'default-' } })).toThrow(
      'NodeClaim (generateName "default-") has no metadata.name',
    );
    expect(() => nameOf({ kind: 'Pod', metadata: {} })).toThrow('Pod has no metadata.name');
  });
});
