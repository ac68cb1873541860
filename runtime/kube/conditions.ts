import type { Condition } from '../../sdk';
import { toIso } from '../clock/clock';

/** The object has the condition with status True (any kind: NodeClaim, Node, EC2NodeClass, ...). */
export function hasCondition(
  obj: { status?: { conditions?: { type: string; status: string }[] } },
  type: string,
): boolean {
  return obj.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

/** Set a condition, keeping lastTransitionTime when the status does not change. */
export function setCondition(
  conditions: Condition[] | undefined,
  type: string,
  status: Condition['status'],
  now: number,
  reason = type,
  message = '',
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === type);
  const prior = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type,
    status,
    reason,
    message,
    lastTransitionTime:
      prior && prior.status === status && prior.lastTransitionTime ? prior.lastTransitionTime : toIso(now),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}
