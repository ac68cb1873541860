import type { Taint, Toleration } from '../kube/objects';

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The first taint that forbids scheduling (NoSchedule / NoExecute) and the pod does not tolerate. */
export function untoleratedTaint(
  tolerations: Toleration[] | undefined,
  taints: Taint[] | undefined,
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!(tolerations ?? []).some((t) => tolerates(t, taint))) return taint;
  }
  return undefined;
}

export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}
