import { applyMergePatch } from './merge-patch';

describe('applyMergePatch (RFC 7386)', () => {
  it('adds, replaces and keeps top-level fields', () => {
    expect(applyMergePatch({ a: 1, b: 'x' }, { b: 'y', c: true })).toEqual({ a: 1, b: 'y', c: true });
  });

  it('null deletes a field, at any depth', () => {
    expect(applyMergePatch({ a: 1, b: 2 }, { a: null })).toEqual({ b: 2 });
    expect(
      applyMergePatch(
        { metadata: { labels: { keep: '1', drop: '2' }, annotations: { x: 'y' } } },
        { metadata: { labels: { drop: null } } },
      ),
    ).toEqual({ metadata: { labels: { keep: '1' }, annotations: { x: 'y' } } });
  });

  it('deleting a field that does not exist is a no-op', () => {
    expect(applyMergePatch({ a: 1 }, { missing: null })).toEqual({ a: 1 });
  });

  it('merges nested objects recursively', () => {
    expect(
      applyMergePatch(
        { spec: { replicas: 1, template: { image: 'a', port: 80 } } },
        { spec: { template: { image: 'b' } } },
      ),
    ).toEqual({ spec: { replicas: 1, template: { image: 'b', port: 80 } } });
  });

  it('replaces arrays wholesale instead of merging them', () => {
    expect(applyMergePatch({ finalizers: ['a', 'b', 'c'] }, { finalizers: ['b'] })).toEqual({
      finalizers: ['b'],
    });
    expect(applyMergePatch({ list: [{ a: 1 }] }, { list: [{ b: 2 }] })).toEqual({ list: [{ b: 2 }] });
  });

  it('an object patch replaces a scalar or array target, and nulls inside it are dropped', () => {
    expect(applyMergePatch({ a: 5 }, { a: { x: 1, y: null } })).toEqual({ a: { x: 1 } });
    expect(applyMergePatch({ a: [1, 2] }, { a: { x: 1 } })).toEqual({ a: { x: 1 } });
    expect(applyMergePatch({}, { a: { b: { c: null } } })).toEqual({ a: { b: {} } });
  });

  it('a scalar patch value replaces an object', () => {
    expect(applyMergePatch({ a: { x: 1 } }, { a: 'flat' })).toEqual({ a: 'flat' });
  });

  it('an empty patch leaves the object unchanged', () => {
    expect(applyMergePatch({ a: { b: 1 } }, {})).toEqual({ a: { b: 1 } });
  });

  it('does not mutate the target or the patch', () => {
    const target = { a: { b: 1, c: 2 }, d: [1] };
    const patch = { a: { b: null, e: { f: 1 } }, d: [2] };
    const before = structuredClone(target);
    const patchBefore = structuredClone(patch);
    const out = applyMergePatch(target, patch);
    expect(out).toEqual({ a: { c: 2, e: { f: 1 } }, d: [2] });
    expect(target).toEqual(before);
    expect(patch).toEqual(patchBefore);
  });

  it('keeps falsy non-null values: 0, false and the empty string replace', () => {
    expect(applyMergePatch({ a: 1, b: true, c: 'x' }, { a: 0, b: false, c: '' })).toEqual({
      a: 0,
      b: false,
      c: '',
    });
  });
});
