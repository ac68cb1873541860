/**
 * Sharing capacity reservations among the NodeClaims one round buys (pure). The scheduler prices a reserved offering
 * at almost nothing, so every claim that can use a reservation wants it, while the reservation has room for only so
 * many instances. As upstream's ReservationManager (core v1.15 pkg/controllers/provisioning/scheduling), claims take
 * reservations in order: a claim takes one instance of every compatible reservation that still has room and is then
 * pinned to them (capacity type `reserved`, its reservation ids), so no two claims count on the same slot. A claim
 * left without one falls back: `reserved` is taken out of its capacity types when another remains (on-demand or
 * spot), so it launches there instead of racing the pinned claims for the reservation.
 */
import { Labels } from '../../sdk/api/well-known';
import { compatibleOfferings, type InstanceType } from './instance-types';
import type { PlannedNodeClaim } from './plan';
import { Requirement } from './requirements';

/** Reservation id → instances it has room for: the least any offering of it says (upstream). */
export function reservationCapacities(plans: readonly PlannedNodeClaim[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of plans)
    for (const it of p.instanceTypeOptions)
      for (const o of it.offerings) {
        if (!o.reservation) continue;
        const have = out.get(o.reservation.id);
        if (have === undefined || o.reservation.capacity < have)
          out.set(o.reservation.id, o.reservation.capacity);
      }
  return out;
}

/** The plans with reservations shared out in order; plans that touch no reservation are returned as they are. */
export function assignReservations(plans: readonly PlannedNodeClaim[]): PlannedNodeClaim[] {
  const left = reservationCapacities(plans);
  if (left.size === 0) return [...plans];
  return plans.map((plan) => {
    const ids = new Set<string>();
    let touches = false;
    for (const it of plan.instanceTypeOptions)
      for (const o of compatibleOfferings(it, plan.requirements)) {
        if (!o.reservation) continue;
        touches = true;
        if ((left.get(o.reservation.id) ?? 0) > 0) ids.add(o.reservation.id);
      }
    if (!touches) return plan;
    if (ids.size > 0) {
      for (const id of ids) left.set(id, (left.get(id) ?? 0) - 1);
      return narrowed(plan, [
        Requirement.in(Labels.capacityType, ['reserved']),
        Requirement.in(Labels.capacityReservationId, [...ids]),
      ]);
    }
    const ct = plan.requirements.get(Labels.capacityType);
    const fallback = ['on-demand', 'spot'].filter((c) => !ct || ct.has(c));
    return fallback.length ? narrowed(plan, [Requirement.in(Labels.capacityType, fallback)]) : plan;
  });
}

/** The plan under extra requirements, keeping the instance types still compatible, cheapest first again. */
function narrowed(plan: PlannedNodeClaim, extra: Requirement[]): PlannedNodeClaim {
  const requirements = plan.requirements.clone();
  for (const r of extra) requirements.add(r);
  const cheapest = (it: InstanceType) =>
    Math.min(...compatibleOfferings(it, requirements).map((o) => o.price));
  const options = plan.instanceTypeOptions
    .filter((it) => compatibleOfferings(it, requirements).length > 0)
    .map((it) => ({ it, price: cheapest(it) }))
    .sort((a, b) => a.price - b.price)
    .map((x) => x.it);
  return options.length ? { ...plan, requirements, instanceTypeOptions: options } : plan;
}
