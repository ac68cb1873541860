/**
 * Node selector requirements as sets of allowed values per label key, with the algebra the scheduler needs:
 * intersection, compatibility and membership. A requirement is either a finite set ("In") or the complement of
 * one ("NotIn", "Exists"), optionally bounded for the numeric operators (Gt, Lt, Gte, Lte).
 */
import { AwsWellKnownLabels, Labels } from '../../sdk/api/well-known';
import type { NodeSelectorRequirement } from '../kube/objects';

/** A label value the numeric operators accept, as Go's strconv.Atoi parses it: optional sign, decimal digits. */
const INTEGER = /^[+-]?[0-9]+$/;

export class Requirement {
  /** The one allowed value of an unbounded "In" of a single value (a pinned zone, say); hot-path shortcut. */
  readonly single: string | undefined;

  private constructor(
    readonly key: string,
    /** When true the allowed values are "everything except `values`". */
    readonly complement: boolean,
    readonly values: ReadonlySet<string>,
    /** Whether a node without the label satisfies it (NotIn, DoesNotExist). Tracked apart from the values. */
    readonly absent: boolean,
    /** Exclusive numeric bounds; a value must parse as an integer within them. */
    readonly greaterThan?: number,
    readonly lessThan?: number,
    readonly minValues?: number,
  ) {
    this.single =
      !complement && values.size === 1 && greaterThan === undefined && lessThan === undefined
        ? (values.values().next().value as string)
        : undefined;
  }

  static fromSelector(r: NodeSelectorRequirement): Requirement {
    const values = r.values ?? [];
    const num = (): number => {
      const n = Number(values[0]);
      if (values.length !== 1 || !INTEGER.test(values[0] as string)) {
        throw new Error(
          `requirement ${r.key} ${r.operator} needs exactly one integer value, got [${values.join(', ')}]`,
        );
      }
      return n;
    };
    const none = new Set<string>();
    switch (r.operator) {
      case 'In':
        return new Requirement(r.key, false, new Set(values), false, undefined, undefined, r.minValues);
      case 'NotIn':
        return new Requirement(r.key, true, new Set(values), true, undefined, undefined, r.minValues);
      case 'Exists':
        return new Requirement(r.key, true, none, false, undefined, undefined, r.minValues);
      case 'DoesNotExist':
        return new Requirement(r.key, false, none, true);
      case 'Gt':
        return new Requirement(r.key, true, none, false, num(), undefined, r.minValues);
      case 'Gte':
        return new Requirement(r.key, true, none, false, num() - 1, undefined, r.minValues);
      case 'Lt':
        return new Requirement(r.key, true, none, false, undefined, num(), r.minValues);
      case 'Lte':
        return new Requirement(r.key, true, none, false, undefined, num() + 1, r.minValues);
    }
  }

  static in(key: string, values: Iterable<string>): Requirement {
    return new Requirement(key, false, new Set(values), false);
  }

  static exists(key: string): Requirement {
    return new Requirement(key, true, new Set(), false);
  }

  static doesNotExist(key: string): Requirement {
    return new Requirement(key, false, new Set(), true);
  }

  /** The same requirement with another minValues (undefined: none), for minValues BestEffort. */
  withMinValues(minValues: number | undefined): Requirement {
    return new Requirement(
      this.key,
      this.complement,
      this.values,
      this.absent,
      this.greaterThan,
      this.lessThan,
      minValues,
    );
  }

  /** Nothing satisfies it: no value, and not the label's absence either (a contradiction). */
  isEmpty(): boolean {
    return !this.absent && !this.hasAnyValue();
  }

  /** True when a label with this value satisfies the requirement. */
  has(value: string): boolean {
    if (!this.withinBounds(value)) return false;
    return this.complement ? !this.values.has(value) : this.values.has(value);
  }

  /** True when a node without the label satisfies it. */
  allowsAbsent(): boolean {
    return this.absent;
  }

  private hasAnyValue(): boolean {
    if (!this.complement) return this.values.size > 0;
    if (this.greaterThan !== undefined && this.lessThan !== undefined)
      return this.lessThan - this.greaterThan > 1;
    return true;
  }

  private withinBounds(value: string): boolean {
    if (this.greaterThan === undefined && this.lessThan === undefined) return true;
    if (!INTEGER.test(value)) return false;
    const n = Number(value);
    if (this.greaterThan !== undefined && !(n > this.greaterThan)) return false;
    if (this.lessThan !== undefined && !(n < this.lessThan)) return false;
    return true;
  }

  intersect(other: Requirement): Requirement {
    const gt = maxDefined(this.greaterThan, other.greaterThan);
    const lt = minDefined(this.lessThan, other.lessThan);
    const minValues = maxDefined(this.minValues, other.minValues);
    const absent = this.absent && other.absent;
    if (this.complement && other.complement) {
      return new Requirement(
        this.key,
        true,
        new Set([...this.values, ...other.values]),
        absent,
        gt,
        lt,
        minValues,
      );
    }
    const finite = this.complement ? other : this;
    const rest = this.complement ? this : other;
    const values = [...finite.values].filter((v) => rest.has(v) && finite.has(v));
    const bounded = new Requirement(this.key, false, new Set(values), absent, gt, lt, minValues);
    return new Requirement(
      this.key,
      false,
      new Set(values.filter((v) => bounded.withinBounds(v))),
      absent,
      undefined,
      undefined,
      minValues,
    );
  }

  /** Everything `existing` accepts, this accepts too: adding this to it would change nothing. */
  impliedBy(existing: Requirement): boolean {
    if (existing === this) return true;
    if (existing.complement) return false;
    if (existing.absent && !this.absent) return false;
    for (const v of existing.values) if (!this.has(v)) return false;
    return true;
  }

  /** Some node can satisfy both: a value both accept, or both accept the label being absent. */
  intersects(other: Requirement): boolean {
    // Same answer as !intersect(other).isEmpty(), without building the intersection: this runs per instance type
    // in the scheduler's inner loop.
    if (this === other) return !this.isEmpty();
    if (this.absent && other.absent) return true;
    const gt = maxDefined(this.greaterThan, other.greaterThan);
    const lt = minDefined(this.lessThan, other.lessThan);
    if (this.complement && other.complement) return gt === undefined || lt === undefined || lt - gt > 1;
    const finite = this.complement ? other : this;
    const rest = this.complement ? this : other;
    for (const v of finite.values) {
      if (!rest.has(v) || !finite.has(v)) continue;
      if (gt === undefined && lt === undefined) return true;
      if (!INTEGER.test(v)) continue;
      const n = Number(v);
      if ((gt === undefined || n > gt) && (lt === undefined || n < lt)) return true;
    }
    return false;
  }

  /** A single value that satisfies it, when the set is finite. */
  any(): string | undefined {
    if (this.complement) return undefined;
    return [...this.values].sort()[0];
  }

  toString(): string {
    if (!this.complement) {
      if (this.values.size > 0) return `${this.key} In [${[...this.values].sort().join(', ')}]`;
      return this.absent ? `${this.key} DoesNotExist` : `${this.key} In [] (contradictory)`;
    }
    const parts: string[] = [];
    if (this.values.size > 0) parts.push(`NotIn [${[...this.values].sort().join(', ')}]`);
    if (this.greaterThan !== undefined) parts.push(`Gt ${this.greaterThan}`);
    if (this.lessThan !== undefined) parts.push(`Lt ${this.lessThan}`);
    if (parts.length === 0) return `${this.key} Exists`;
    // NotIn alone accepts a missing label; when intersected with Exists it no longer does, so say so.
    const bounded = this.greaterThan !== undefined || this.lessThan !== undefined;
    if (this.values.size > 0 && !this.absent && !bounded) parts.unshift('Exists,');
    return `${this.key} ${parts.join(' ')}`;
  }
}

function maxDefined(a?: number, b?: number): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
function minDefined(a?: number, b?: number): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * Labels whose values come from the instance type and offering, not from the NodePool: a NodePool that does not
 * mention them still allows every value its instance types offer.
 */
export const WELL_KNOWN_LABELS: ReadonlySet<string> = new Set([
  Labels.nodePool,
  Labels.capacityType,
  Labels.instanceType,
  Labels.zone,
  Labels.region,
  Labels.zoneId,
  Labels.arch,
  Labels.os,
  Labels.hostname,
  'node.kubernetes.io/windows-build',
  // One list of the provider's instance labels, shared with the API validation in sdk/.
  ...AwsWellKnownLabels,
]);

/** A conjunction of requirements, one per key. */
export class Requirements {
  private readonly byKey = new Map<string, Requirement>();

  constructor(reqs: Iterable<Requirement> = []) {
    for (const r of reqs) this.add(r);
  }

  static fromSelectors(selectors: NodeSelectorRequirement[] = []): Requirements {
    return new Requirements(selectors.map((s) => Requirement.fromSelector(s)));
  }

  static fromLabels(labels: Record<string, string> = {}): Requirements {
    return new Requirements(Object.entries(labels).map(([k, v]) => Requirement.in(k, [v])));
  }

  /** Add a requirement, intersecting with any existing one on the same key. */
  add(r: Requirement): this {
    const existing = this.byKey.get(r.key);
    this.byKey.set(r.key, existing ? existing.intersect(r) : r);
    return this;
  }

  get(key: string): Requirement | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  values(): Requirement[] {
    return [...this.byKey.values()];
  }

  clone(): Requirements {
    return new Requirements(this.byKey.values());
  }

  /** Adding `other` would narrow these requirements (some requirement of it is not already implied). */
  narrowedBy(other: Iterable<Requirement>): boolean {
    for (const r of other) {
      const mine = this.byKey.get(r.key);
      if (!mine || !r.impliedBy(mine)) return true;
    }
    return false;
  }

  /** The conjunction of both. */
  intersect(other: Requirements): Requirements {
    const out = this.clone();
    for (const r of other.values()) out.add(r);
    return out;
  }

  /**
   * Why `incoming` (a pod's requirements) cannot be satisfied together with these (a NodePool's or a node's), or
   * undefined when they are compatible. A key the NodePool does not define is only acceptable when it is a
   * well-known label (the instance type supplies it) or when the pod accepts the label being absent.
   */
  incompatibility(incoming: Requirements, opts: { allowUndefinedWellKnown: boolean }): string | undefined {
    for (const theirs of incoming.values()) {
      const mine = this.byKey.get(theirs.key);
      if (mine) {
        if (!mine.intersects(theirs)) return `${theirs.toString()} conflicts with ${mine.toString()}`;
        continue;
      }
      if (theirs.allowsAbsent()) continue;
      if (opts.allowUndefinedWellKnown && WELL_KNOWN_LABELS.has(theirs.key)) continue;
      return `label ${theirs.key} is not defined (requires ${theirs.toString()})`;
    }
    return undefined;
  }

  /** True when a node with these labels satisfies every requirement. */
  matchesLabels(labels: Record<string, string>): boolean {
    for (const r of this.byKey.values()) {
      const v = labels[r.key];
      if (v === undefined ? !r.allowsAbsent() : !r.has(v)) return false;
    }
    return true;
  }

  /** Labels fixed to a single value: what a node launched for these requirements will carry. */
  singleValueLabels(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.byKey.values()) {
      if (!r.complement && r.values.size === 1) out[r.key] = [...r.values][0] as string;
    }
    return out;
  }

  toString(): string {
    return this.values()
      .map((r) => r.toString())
      .join(', ');
  }
}
