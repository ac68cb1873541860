import type { Taint, Toleration } from '../kube/objects';
import {
  formatTaint,
  isKnownEphemeralTaint,
  taintsAfterInitialization,
  tolerates,
  untoleratedTaint,
} from './taints';

const noSchedule: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const noExecute: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const prefer: Taint = { key: 'spot', value: 'true', effect: 'PreferNoSchedule' };

describe('tolerates', () => {
  it('Exists without a key tolerates every taint of every effect', () => {
    const t: Toleration = { operator: 'Exists' };
    expect([noSchedule, noExecute, prefer].map((taint) => tolerates(t, taint))).toEqual([true, true, true]);
  });

  it('Exists without a key but with an effect tolerates only that effect', () => {
    const t: Toleration = { operator: 'Exists', effect: 'NoSchedule' };
    expect([noSchedule, noExecute, prefer].map((taint) => tolerates(t, taint))).toEqual([true, false, false]);
  });

  it('a toleration without a key and without Exists tolerates nothing', () => {
    expect(tolerates({ operator: 'Equal', value: 'gpu' }, noSchedule)).toBe(false);
    expect(tolerates({}, noSchedule)).toBe(false);
  });

  it('Exists with a key tolerates any value of that key only', () => {
    const t: Toleration = { key: 'dedicated', operator: 'Exists' };
    expect(tolerates(t, noSchedule)).toBe(true);
    expect(tolerates(t, { key: 'dedicated', value: 'other', effect: 'NoExecute' })).toBe(true);
    expect(tolerates(t, { key: 'other', value: 'gpu', effect: 'NoSchedule' })).toBe(false);
  });

  it('Equal needs the same key and value; a missing operator means Equal', () => {
    expect(tolerates({ key: 'dedicated', operator: 'Equal', value: 'gpu' }, noSchedule)).toBe(true);
    expect(tolerates({ key: 'dedicated', value: 'gpu' }, noSchedule)).toBe(true);
    expect(tolerates({ key: 'dedicated', operator: 'Equal', value: 'cpu' }, noSchedule)).toBe(false);
    expect(tolerates({ key: 'dedicated', operator: 'Equal' }, noSchedule)).toBe(false);
    expect(tolerates({ key: 'other', operator: 'Equal', value: 'gpu' }, noSchedule)).toBe(false);
  });

  it('Equal without a value matches a taint without a value', () => {
    expect(tolerates({ key: noExecute.key, operator: 'Equal' }, noExecute)).toBe(true);
    expect(tolerates({ key: noExecute.key, operator: 'Equal', value: '' }, noExecute)).toBe(true);
    expect(tolerates({ key: noExecute.key, operator: 'Equal', value: 'x' }, noExecute)).toBe(false);
  });

  it('an effect on the toleration must equal the taint effect', () => {
    expect(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, noSchedule)).toBe(false);
    expect(tolerates({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, noSchedule)).toBe(true);
  });
});

describe('untoleratedTaint', () => {
  it('returns the first NoSchedule/NoExecute taint not tolerated', () => {
    expect(untoleratedTaint(undefined, [prefer, noSchedule, noExecute])).toBe(noSchedule);
    expect(untoleratedTaint([{ key: 'dedicated', operator: 'Exists' }], [noSchedule, noExecute])).toBe(
      noExecute,
    );
  });

  it('ignores PreferNoSchedule taints', () => {
    expect(untoleratedTaint([], [prefer])).toBeUndefined();
  });

  it('returns undefined when every taint is tolerated or there are none', () => {
    expect(
      untoleratedTaint(
        [
          { key: 'dedicated', value: 'gpu' },
          { key: noExecute.key, operator: 'Exists' },
        ],
        [noSchedule, noExecute, prefer],
      ),
    ).toBeUndefined();
    expect(untoleratedTaint([{ operator: 'Exists' }], [noSchedule, noExecute])).toBeUndefined();
    expect(untoleratedTaint(undefined, undefined)).toBeUndefined();
    expect(untoleratedTaint(undefined, [])).toBeUndefined();
  });
});

describe('formatTaint', () => {
  it('prints key=value:effect, or key:effect without a value', () => {
    expect(formatTaint(noSchedule)).toBe('dedicated=gpu:NoSchedule');
    expect(formatTaint(noExecute)).toBe('node.kubernetes.io/unreachable:NoExecute');
  });
});

describe('taintsAfterInitialization', () => {
  const dedicated: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const cni: Taint = { key: 'example.com/cni-not-ready', effect: 'NoSchedule' };

  it('drops the readiness, cloud-controller and registration taints a starting node sheds on its own', () => {
    const starting: Taint[] = [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
      { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
      { key: 'readiness.k8s.io/network', effect: 'NoSchedule' },
      dedicated,
    ];
    expect(taintsAfterInitialization(starting)).toEqual([dedicated]);
  });

  it('keeps an unreachable NoExecute taint: a node that lost contact is not starting', () => {
    const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
    expect(isKnownEphemeralTaint(unreachable)).toBe(false);
    expect(taintsAfterInitialization([unreachable])).toEqual([unreachable]);
  });

  it("drops the claim's startup taints by key and effect, whatever their value", () => {
    const onNode: Taint = { ...cni, value: 'pending' };
    expect(taintsAfterInitialization([onNode, dedicated], [cni])).toEqual([dedicated]);
    // Same key, another effect: not the startup taint.
    const noExecute: Taint = { ...cni, effect: 'NoExecute' };
    expect(taintsAfterInitialization([noExecute], [cni])).toEqual([noExecute]);
  });
});
