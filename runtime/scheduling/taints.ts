import { KnownEphemeralTaintKeyPrefixes, KnownEphemeralTaints } from '../../sdk/api/well-known';
import type { Taint, Toleration } from '../kube/objects';

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

export interface UntoleratedTaintOptions {
  /**
   * Count PreferNoSchedule taints too: the autoscaler avoids them until it relaxes them last.
   * @default false (the kube-scheduler's view: only NoSchedule and NoExecute forbid)
   */
  preferNoSchedule?: boolean;
}

/** The first taint that forbids scheduling (NoSchedule / NoExecute) and the pod does not tolerate. */
export function untoleratedTaint(
  tolerations: Toleration[] | undefined,
  taints: Taint[] | undefined,
  opts: UntoleratedTaintOptions = {},
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (taint.effect === 'PreferNoSchedule' && !opts.preferNoSchedule) continue;
    if (!(tolerations ?? []).some((t) => tolerates(t, taint))) return taint;
  }
  return undefined;
}

export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/** The same taint, as Kubernetes compares them: key and effect (the value does not matter). */
export function sameTaint(a: { key: string; effect: string }, b: { key: string; effect: string }): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function isKnownEphemeralTaint(taint: { key: string; effect: string }): boolean {
  return (
    KnownEphemeralTaints.some((t) => sameTaint(t, taint)) ||
    KnownEphemeralTaintKeyPrefixes.some((prefix) => taint.key.startsWith(prefix))
  );
}

/**
 * The taints that will still be there once a launching node is initialized: known ephemeral taints and the
 * claim's startup taints are lifted by their owners, so pods planned onto it need not tolerate them.
 */
export function taintsAfterInitialization(taints: Taint[], startupTaints: Taint[] = []): Taint[] {
  return taints.filter((t) => !isKnownEphemeralTaint(t) && !startupTaints.some((s) => sameTaint(s, t)));
}
