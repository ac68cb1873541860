/**
 * Savings-Plan-style commitments (karpenter-ts only, issue 22; setting SAVINGS_PLANS). A plan commits to
 * `commitmentPerHour` USD/hour at its own rates, paid whether used or not, and bills the on-demand usage it covers
 * at `discountPercent` off the on-demand price (after NodeOverlays) until that much is used; usage past the
 * commitment bills at the on-demand price. Pure: which nodes a commitment covers, what each bills, and the prices
 * new capacity sees.
 *
 * Coverage is assigned as a bill would be for one hour: plans in the order listed, nodes oldest first, each node to
 * the first plan that covers its family and still has room; a node that finds only part of the room left is billed
 * that part at the plan's rate and the rest at the on-demand price. Spot and capacity-reservation offerings are
 * never covered (Savings Plans apply to on-demand usage).
 *
 * Prices: a new on-demand node of a covered family is priced at the plan's rate while the plan has room left, at
 * the on-demand price once it is used up. A running node is priced at what it bills (billedPrice), not at what a
 * new one would cost: otherwise a fully used plan would make its own nodes look dear, consolidation would replace
 * them with something cheaper at list, the room would come back and the next round would undo it.
 */
import { z } from 'zod';
import type { InstanceType } from './instance-types';

export interface SavingsPlan {
  /** Shown in metrics and logs; unique. */
  name: string;
  /** USD per hour at the plan's rates, paid whether used or not. */
  commitmentPerHour: number;
  /** Off the on-demand price of covered usage, in percent (0 < d < 100). */
  discountPercent: number;
  /** The instance families covered (an EC2 Instance Savings Plan); omitted: every family (a Compute Savings Plan). */
  instanceFamilies?: string[];
}

const planSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a lower-case name: letters, digits, "-" and "."'),
    commitmentPerHour: z.number().positive('USD per hour, more than 0'),
    discountPercent: z
      .number()
      .gt(0, 'a percentage off the on-demand price, more than 0')
      .lt(100, 'a percentage off the on-demand price, less than 100'),
    instanceFamilies: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'an instance family such as "c6i" or "m7g"'))
      .min(1, 'list at least one family, or leave the field out to cover every family')
      .optional(),
  })
  .strict();

/** SAVINGS_PLANS as JSON: a list of plans, names unique. */
export const savingsPlansSchema = z
  .array(planSchema)
  .max(50, 'at most 50 plans')
  .superRefine((plans, ctx) => {
    const seen = new Set<string>();
    plans.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `"${p.name}" is listed twice: names must be unique`,
        });
      seen.add(p.name);
    });
  });

/** The family of an instance type by its name ("c6i.16xlarge" → "c6i"). */
export function familyOf(instanceType: string): string {
  const dot = instanceType.indexOf('.');
  return dot < 0 ? instanceType : instanceType.slice(0, dot);
}

/** Whether `plan` covers an offering of this type and capacity type. */
export function covers(plan: SavingsPlan, instanceType: string, capacityType: string): boolean {
  if (capacityType !== 'on-demand') return false;
  return plan.instanceFamilies === undefined || plan.instanceFamilies.includes(familyOf(instanceType));
}

/** A running (or launching) node as coverage sees it. */
export interface CoverageNode {
  name: string;
  instanceType: string;
  capacityType: string;
  /** The on-demand price of its instance, USD/hour, NodeOverlays applied; no volumes, no PER_NODE_COST. */
  price: number;
  /** When it started billing (its NodeClaim's creation), ms; ties go by name. */
  since: number;
}

export interface PlanUsage {
  plan: SavingsPlan;
  /** USD/hour of the commitment used (at the plan's rates). */
  used: number;
  /** Nodes it covers, wholly or in part. */
  nodes: number;
}

export class Coverage {
  constructor(
    readonly plans: readonly SavingsPlan[],
    readonly usage: ReadonlyMap<string, PlanUsage>,
    /** What each covered node bills for its instance, USD/hour (absent: not covered, bills its price). */
    private readonly billed: ReadonlyMap<string, number>,
    private readonly nodes: ReadonlyMap<string, CoverageNode> = new Map(),
  ) {}

  /** No plan: prices are left as they are. */
  static readonly none = new Coverage([], new Map(), new Map());

  /** USD/hour of `plan`'s commitment not yet used. */
  room(plan: string): number {
    const u = this.usage.get(plan);
    return u ? Math.max(u.plan.commitmentPerHour - u.used, 0) : 0;
  }

  /** The plan a new node of this type and capacity type would be covered by, if any has room. */
  planFor(instanceType: string, capacityType: string): SavingsPlan | undefined {
    return this.plans.find((p) => covers(p, instanceType, capacityType) && this.room(p.name) > 1e-9);
  }

  /** What a running node bills for its instance, given the on-demand price it would otherwise bill. */
  billedPrice(nodeName: string, price: number): number {
    return this.billed.get(nodeName) ?? price;
  }

  /**
   * USD/hour to add to a running node's price as withCoverage's types show it to get what it bills: non-zero only
   * for a covered node whose plan is used up (the types show its family at the on-demand price again).
   */
  adjustment(nodeName: string): number {
    const n = this.nodes.get(nodeName);
    const billed = this.billed.get(nodeName);
    if (!n || billed === undefined) return 0;
    const plan = this.planFor(n.instanceType, n.capacityType);
    const shown = plan ? n.price * (1 - plan.discountPercent / 100) : n.price;
    return billed - shown;
  }

  /** Which plans have room left: the prices of new capacity change only when this does. */
  get key(): string {
    return this.plans.map((p) => (this.room(p.name) > 1e-9 ? '1' : '0')).join('');
  }
}

/** Assign the plans to the nodes as one hour's bill would (see the file comment). */
export function computeCoverage(plans: readonly SavingsPlan[], nodes: readonly CoverageNode[]): Coverage {
  if (plans.length === 0) return Coverage.none;
  const usage = new Map<string, PlanUsage>(plans.map((plan) => [plan.name, { plan, used: 0, nodes: 0 }]));
  const billed = new Map<string, number>();
  const ordered = [...nodes].sort((a, b) => a.since - b.since || a.name.localeCompare(b.name));
  for (const n of ordered) {
    for (const plan of plans) {
      if (!covers(plan, n.instanceType, n.capacityType)) continue;
      const u = usage.get(plan.name)!;
      const room = plan.commitmentPerHour - u.used;
      if (room <= 1e-9) continue;
      const rate = n.price * (1 - plan.discountPercent / 100);
      const covered = Math.min(rate, room);
      u.used += covered;
      u.nodes++;
      // The part past the room bills at the on-demand price.
      billed.set(n.name, covered + (rate > 0 ? (1 - covered / rate) * n.price : 0));
      break;
    }
  }
  return new Coverage(plans, usage, billed, new Map(nodes.map((n) => [n.name, n])));
}

/** Copies per input array and coverage key, so each round reuses the same objects (callers cache by identity). */
const discounted = new WeakMap<readonly InstanceType[], Map<string, InstanceType[]>>();

/**
 * The instance types as new capacity sees them: on-demand offerings of a family a plan with room covers, at that
 * plan's rate. The same array when no plan has room.
 */
export function withCoverage(types: InstanceType[], coverage: Coverage): InstanceType[] {
  const key = coverage.key;
  if (!key.includes('1')) return types;
  let byKey = discounted.get(types);
  if (!byKey) discounted.set(types, (byKey = new Map()));
  let out = byKey.get(key);
  if (!out) {
    out = types.map((it) => {
      if (!it.offerings.some((o) => coverage.planFor(it.name, o.capacityType))) return it;
      return {
        ...it,
        offerings: it.offerings.map((o) => {
          const plan = coverage.planFor(it.name, o.capacityType);
          // Marked as an overlay's price is: a claim with it launches by these prices (AWS: prioritized fleet).
          return plan ? { ...o, price: o.price * (1 - plan.discountPercent / 100), priceOverlaid: true } : o;
        }),
      };
    });
    // One key per combination of plans with room: a handful at most; keep the map bounded regardless.
    if (byKey.size >= 16) byKey.clear();
    byKey.set(key, out);
  }
  return out;
}
