/**
 * NodeOverlays applied to instance types (pure). `evaluateOverlays` decides, as upstream core v1.15's nodeoverlay
 * controller does, which overlay sets what on every (NodePool, instance type, offering), and which overlays
 * conflict; the resulting `OverlayStore` rewrites a pool's instance types for the scheduler (prices of the selected
 * offerings, extended resources of the selected types).
 *
 * Precedence: overlays are taken by weight, highest first (unset = 0), equal weights in reverse alphabetical order.
 * The first overlay to set an offering's price (or a resource of a type's capacity) keeps it; a later overlay of
 * LOWER weight simply loses there, but one of the SAME weight as the last overlay that touched it conflicts: it is
 * not applied anywhere (all or nothing) and its status says so.
 */
import type { NodePool, NodeOverlay } from '../../kube/objects';
import { Labels } from '../../../sdk/api/well-known';
import type { InstanceType, Offering } from '../../scheduling/instance-types';
import { Requirement, Requirements } from '../../scheduling/requirements';
import { fromResourceList, type Resources } from '../../scheduling/resources';

interface PriceUpdate {
  /** The overlay's price or priceAdjustment, applied to the offering's price at read time. */
  change: string;
  /** The weight of the last overlay (in precedence order) that selected this offering for its price. */
  lowestWeight: number;
}

interface CapacityUpdate {
  /** Extended resources to set, in runtime units; the first overlay to set a resource keeps it. */
  resources: Resources;
  /** The resources of the last overlay that set capacity here, and its weight: the conflict check's reference. */
  lowestWeightResources: ReadonlySet<string>;
  lowestWeight: number;
}

interface TypeUpdate {
  /** By offering key (`capacityType/zone`). */
  price: Map<string, PriceUpdate>;
  capacity?: CapacityUpdate;
}

/** Instance types of one NodePool, as the cloud provider reports them (no overlay applied). */
export interface PoolInstanceTypes {
  nodePool: NodePool;
  instanceTypes: InstanceType[];
}

export interface OverlayEvaluation {
  store: OverlayStore;
  /** Overlays not applied because an overlay of the same weight already set the same offering price or resource. */
  conflicts: string[];
  /** Overlays not applied because they fail validation, with the problem. */
  invalid: Map<string, string>;
}

const offeringKey = (o: Pick<Offering, 'capacityType' | 'zone'>) => `${o.capacityType}/${o.zone}`;
const weightOf = (o: NodeOverlay) => o.spec.weight ?? 0;
const nameOf = (o: { metadata: { name?: string } }) => o.metadata.name ?? '';

/** Highest weight first; equal weights in reverse alphabetical order of their names (upstream's OrderByWeight). */
export function orderByWeight(overlays: readonly NodeOverlay[]): NodeOverlay[] {
  return [...overlays].sort((a, b) => {
    const byWeight = weightOf(b) - weightOf(a);
    if (byWeight !== 0) return byWeight;
    return nameOf(a) > nameOf(b) ? -1 : nameOf(a) < nameOf(b) ? 1 : 0;
  });
}

/**
 * An offering's price after an overlay: an unsigned value replaces it ("price"); a signed one changes it by that
 * much ("+0.05") or by that percentage ("-10%"). Never below zero.
 */
export function adjustedPrice(price: number, change: string): number {
  if (change === '') return price;
  if (!change.startsWith('+') && !change.startsWith('-')) return Number(change);
  const adjusted = change.endsWith('%')
    ? price * (1 + Number(change.slice(0, -1)) / 100)
    : price + Number(change);
  return Math.max(adjusted, 0);
}

/** The overlay's price change: price (a replacement) or priceAdjustment; the schema forbids both. */
function priceChange(overlay: NodeOverlay): string | undefined {
  return overlay.spec.price ?? overlay.spec.priceAdjustment;
}

/**
 * The offerings of `it` in `nodePool` an overlay selects: none unless the type's labels, the pool's name and its
 * template labels agree with the overlay's requirements (a key none of them defines fails, unless the overlay
 * accepts its absence); then those whose zone and capacity type the requirements allow, available or not.
 */
export function selectedOfferings(
  nodePool: NodePool,
  it: InstanceType,
  overlayReqs: Requirements,
): Offering[] {
  const labels = Requirements.fromLabels(nodePool.spec.template.metadata?.labels ?? {});
  const typeReqs = it.requirements
    .clone()
    .add(Requirement.in(Labels.nodePool, [nodePool.metadata.name ?? '']));
  for (const r of labels.values()) typeReqs.add(r);
  if (typeReqs.incompatibility(overlayReqs, { allowUndefinedWellKnown: false }) !== undefined) return [];
  const zone = overlayReqs.get(Labels.zone);
  const capacityType = overlayReqs.get(Labels.capacityType);
  return it.offerings.filter(
    (o) => (!zone || zone.has(o.zone)) && (!capacityType || capacityType.has(o.capacityType)),
  );
}

/**
 * Evaluate every overlay against every pool's instance types. `problem` is the runtime validation (the schema):
 * an overlay it faults is skipped and reported in `invalid`.
 */
export function evaluateOverlays(
  overlays: readonly NodeOverlay[],
  pools: readonly PoolInstanceTypes[],
  problem: (overlay: NodeOverlay) => string | undefined = () => undefined,
): OverlayEvaluation {
  const updates = new Map<string, Map<string, TypeUpdate>>();
  const conflicts: string[] = [];
  const invalid = new Map<string, string>();
  for (const overlay of orderByWeight(overlays)) {
    const why = problem(overlay);
    if (why !== undefined) {
      invalid.set(nameOf(overlay), why);
      continue;
    }
    const reqs = Requirements.fromSelectors(overlay.spec.requirements);
    const selections = pools.flatMap(({ nodePool, instanceTypes }) =>
      instanceTypes.flatMap((it) => {
        const offerings = selectedOfferings(nodePool, it, reqs);
        return offerings.length > 0 ? [{ pool: nodePool.metadata.name ?? '', it: it.name, offerings }] : [];
      }),
    );
    // Checked everywhere before anything is stored, so a conflicting overlay applies nowhere.
    if (selections.some((s) => conflicting(updates.get(s.pool)?.get(s.it), s.offerings, overlay))) {
      conflicts.push(nameOf(overlay));
      continue;
    }
    for (const s of selections) {
      let byType = updates.get(s.pool);
      if (!byType) updates.set(s.pool, (byType = new Map()));
      let update = byType.get(s.it);
      if (!update) byType.set(s.it, (update = { price: new Map() }));
      record(update, s.offerings, overlay);
    }
  }
  const evaluated = new Set(pools.map((p) => p.nodePool.metadata.name ?? ''));
  return { store: new OverlayStore(updates, evaluated), conflicts, invalid };
}

/** An overlay of the same weight as the last one to touch this offering's price or these resources conflicts. */
function conflicting(update: TypeUpdate | undefined, offerings: Offering[], overlay: NodeOverlay): boolean {
  if (!update) return false;
  const weight = weightOf(overlay);
  if (priceChange(overlay) !== undefined) {
    for (const o of offerings) if (update.price.get(offeringKey(o))?.lowestWeight === weight) return true;
  }
  const capacity = overlay.spec.capacity;
  if (capacity && update.capacity?.lowestWeight === weight) {
    for (const name of Object.keys(capacity))
      if (update.capacity.lowestWeightResources.has(name)) return true;
  }
  return false;
}

function record(update: TypeUpdate, offerings: Offering[], overlay: NodeOverlay): void {
  const weight = weightOf(overlay);
  const change = priceChange(overlay);
  if (change !== undefined) {
    for (const o of offerings) {
      const existing = update.price.get(offeringKey(o));
      if (existing) existing.lowestWeight = weight;
      else update.price.set(offeringKey(o), { change, lowestWeight: weight });
    }
  }
  const capacity = overlay.spec.capacity;
  if (capacity) {
    const resources = { ...update.capacity?.resources };
    for (const [name, value] of Object.entries(fromResourceList(capacity))) {
      if (!(name in resources)) resources[name] = value;
    }
    update.capacity = {
      resources,
      lowestWeightResources: new Set(Object.keys(capacity)),
      lowestWeight: weight,
    };
  }
}

/** A NodePool the store has not evaluated yet: its instance types are held back until it has (as upstream). */
export class UnevaluatedNodePoolError extends Error {
  constructor(readonly nodePoolName: string) {
    super(`NodePool "${nodePoolName}" is awaiting NodeOverlay evaluation`);
    this.name = 'UnevaluatedNodePoolError';
  }
}

/** What the overlays set, per NodePool and instance type; immutable once built (the controller swaps stores). */
export class OverlayStore {
  constructor(
    private readonly updates: ReadonlyMap<string, ReadonlyMap<string, TypeUpdate>> = new Map(),
    private readonly evaluated: ReadonlySet<string> = new Set(),
  ) {}

  /** The pool's instance types with the overlays applied; throws UnevaluatedNodePoolError for a pool not yet seen. */
  apply(nodePoolName: string, types: InstanceType[]): InstanceType[] {
    if (!this.evaluated.has(nodePoolName)) throw new UnevaluatedNodePoolError(nodePoolName);
    const byType = this.updates.get(nodePoolName);
    if (!byType || byType.size === 0) return types;
    return types.map((it) => {
      const update = byType.get(it.name);
      return update ? overlaid(it, update) : it;
    });
  }

  /** Whether any overlay sets anything for this pool (nothing to rewrite otherwise). */
  touches(nodePoolName: string): boolean {
    return (this.updates.get(nodePoolName)?.size ?? 0) > 0;
  }
}

function overlaid(it: InstanceType, update: TypeUpdate): InstanceType {
  const out: InstanceType = { ...it };
  if (update.price.size > 0) {
    out.offerings = it.offerings.map((o) => {
      const change = update.price.get(offeringKey(o))?.change;
      return change === undefined ? o : { ...o, price: adjustedPrice(o.price, change), priceOverlaid: true };
    });
  }
  const resources = update.capacity?.resources;
  if (resources && Object.keys(resources).length > 0) {
    out.capacity = { ...it.capacity, ...resources };
    // Allocatable is capacity less the kubelet's overhead, for extended resources as for the rest.
    const allocatable = { ...it.allocatable };
    for (const [name, value] of Object.entries(resources))
      allocatable[name] = Math.max(value - (it.overhead[name] ?? 0), 0);
    out.allocatable = allocatable;
    out.capacityOverlaid = true;
  }
  return out;
}
