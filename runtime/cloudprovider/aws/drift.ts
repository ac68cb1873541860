/**
 * Resolved-value drift of an AWS node: does the instance still match what its EC2NodeClass's selectors resolve to?
 * A pure decision over facts, so the controller (AwsCloudProvider.isDrifted, which gathers them through EC2) and the
 * Pulumi drift preview (which gathers what it can before anything is applied) reach the same verdict.
 *
 * Upstream's order and semantics (karpenter-provider-aws v1.14.1, pkg/cloudprovider/drift.go, and core's
 * InstanceTypeNotFound):
 * 1. InstanceTypeNotFound: the node's instance type is no longer offered (no longer listed, or no offering in its
 *    zone and capacity type; a reserved node may fall back to on-demand).
 * 2. AMIDrift: the node's image is not the AMI its instance type would launch with now: the first resolved AMI, in
 *    preference order (non-deprecated, newest), whose requirements the type meets.
 * 3. SecurityGroupDrift: the instance's groups differ, as a set, from the resolved ones.
 * 4. SubnetDrift: the instance's subnet is not among the resolved ones.
 * 5. CapacityReservationDrift: a node launched into a capacity reservation the node class no longer selects
 *    (status.capacityReservations). Judged on the node, not on the offerings, as a reserved node may fall back to
 *    on-demand. Checked with the ReservedCapacity gate on only (a node is never reserved otherwise).
 * 6. PlacementGroupDrift: the node's karpenter.k8s.aws/placement-group-id label is not the group the node class
 *    resolves to now (none counts as ""), so adding, removing or changing placementGroupSelector drifts it. Not
 *    checked while the group cannot be resolved (upstream answers from its last resolution then).
 * A part that resolved to nothing (the node class is not ready) or a node without an image id leaves upstream
 * without an answer, so no drift is reported ("halted"); for security groups and subnets that holds even when the
 * other of the two drifted, since upstream computes both before choosing.
 *
 * Facts a caller could not learn are `Unknown`: the check is skipped, named in `unchecked`, and later checks still
 * run. A reason found after an unchecked part is certain to drift the node, but an earlier check might have named it.
 */
import type { Instance } from '@aws-sdk/client-ec2';
import { Labels } from '../../../sdk/api/well-known';
import type { NodeClaim, NodeSelectorRequirement } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { Requirements } from '../../scheduling/requirements';
import type { ResolvedNodeClass } from './nodeclass-status';

/**
 * Claims younger than this are not checked for InstanceTypeNotFound, as upstream: the instance types are a
 * provider-generated list, so a late answer is fine and a transient gap in it right after a launch is not drift.
 */
export const INSTANCE_TYPE_DRIFT_AFTER_MS = 3_600_000;

export type ResolvedDriftReason =
  | 'InstanceTypeNotFound'
  | 'AMIDrift'
  | 'SecurityGroupDrift'
  | 'SubnetDrift'
  | 'CapacityReservationDrift'
  | 'PlacementGroupDrift';

/** A fact the caller could not learn, and why (for the preview's "subnets not checked: …"). */
export interface Unknown {
  readonly unknown: string;
}
export type Maybe<T> = T | Unknown;

export function unknown(why: string): Unknown {
  return { unknown: why };
}

export function isUnknown<T>(value: Maybe<T>): value is Unknown {
  return typeof value === 'object' && value !== null && 'unknown' in value;
}

export interface DriftAmi {
  id: string;
  /** The instance types it serves (its architecture); undefined when not known (an id term resolved offline). */
  requirements?: NodeSelectorRequirement[];
}

/** What the node class's selector terms resolve to now. An empty list: resolved to nothing (not ready). */
export interface NodeClassResolution {
  /** In preference order: the first an instance type is compatible with is the one it launches with. */
  amis: Maybe<readonly DriftAmi[]>;
  subnetIds: Maybe<readonly string[]>;
  securityGroupIds: Maybe<readonly string[]>;
  /** The reservations the node class selects; undefined with the ReservedCapacity gate off (not checked). */
  capacityReservationIds?: Maybe<readonly string[]>;
  /** The placement group's id, "" without placementGroupSelector; undefined when not known (not checked). */
  placementGroupId?: string;
}

export interface InstanceFacts {
  /** Whether the node's instance type is still offered for its zone and capacity type. */
  instanceTypeOffered: Maybe<boolean>;
  /** The instance type's requirements; undefined when not known (the AMI check then goes by ids alone). */
  instanceTypeRequirements: Requirements | undefined;
  /** status.imageID; undefined when the claim has none. */
  imageId: Maybe<string | undefined>;
  subnetId: Maybe<string | undefined>;
  securityGroupIds: Maybe<readonly string[]>;
  /** The reservation a reserved node launched into; undefined for any other node. */
  capacityReservationId?: Maybe<string | undefined>;
  /** The node's placement-group-id label ("" when it has none). */
  placementGroupId?: string;
}

export type DriftCheck =
  'instanceType' | 'amis' | 'securityGroups' | 'subnets' | 'capacityReservations' | 'placementGroup';

export interface ResolvedDriftVerdict {
  reason?: ResolvedDriftReason;
  /** Checks skipped for unknown facts, in check order. */
  unchecked: { check: DriftCheck; why: string }[];
  /** Why no verdict could be reached, as upstream gives up (a part resolved to nothing, no image id). */
  halted?: string;
}

type Outcome =
  | { kind: 'ok' }
  | { kind: 'drift'; reason: ResolvedDriftReason }
  | { kind: 'unknown'; why: string }
  | { kind: 'halt'; why: string };

const OK: Outcome = { kind: 'ok' };

function amiOutcome(n: NodeClassResolution, i: InstanceFacts): Outcome {
  if (isUnknown(n.amis)) return { kind: 'unknown', why: n.amis.unknown };
  if (n.amis.length === 0) return { kind: 'halt', why: 'amiSelectorTerms resolve to no AMI' };
  if (isUnknown(i.imageId)) return { kind: 'unknown', why: i.imageId.unknown };
  if (!i.imageId) return { kind: 'halt', why: 'the NodeClaim records no image id' };
  const image = i.imageId;
  // Outside every resolved AMI, it cannot be the one its type maps to, whatever the type.
  if (!n.amis.some((a) => a.id === image)) return { kind: 'drift', reason: 'AMIDrift' };
  const typeReqs = i.instanceTypeRequirements;
  if (!typeReqs || n.amis.some((a) => a.requirements === undefined)) {
    // The only candidate is the one it runs; among several, which one its type maps to is not known.
    return n.amis.length === 1
      ? OK
      : {
          kind: 'unknown',
          why: `which of ${n.amis.length} AMIs the node's instance type boots is not known`,
        };
  }
  const mapped = n.amis.find(
    (a) =>
      typeReqs.incompatibility(Requirements.fromSelectors(a.requirements), {
        allowUndefinedWellKnown: false,
      }) === undefined,
  );
  return mapped?.id === image ? OK : { kind: 'drift', reason: 'AMIDrift' };
}

function securityGroupOutcome(n: NodeClassResolution, i: InstanceFacts): Outcome {
  if (isUnknown(n.securityGroupIds)) return { kind: 'unknown', why: n.securityGroupIds.unknown };
  if (n.securityGroupIds.length === 0)
    return { kind: 'halt', why: 'securityGroupSelectorTerms resolve to no security group' };
  if (isUnknown(i.securityGroupIds)) return { kind: 'unknown', why: i.securityGroupIds.unknown };
  const want = new Set(n.securityGroupIds);
  const have = new Set(i.securityGroupIds);
  const same = want.size === have.size && [...want].every((g) => have.has(g));
  return same ? OK : { kind: 'drift', reason: 'SecurityGroupDrift' };
}

function subnetOutcome(n: NodeClassResolution, i: InstanceFacts): Outcome {
  if (isUnknown(n.subnetIds)) return { kind: 'unknown', why: n.subnetIds.unknown };
  if (n.subnetIds.length === 0) return { kind: 'halt', why: 'subnetSelectorTerms resolve to no subnet' };
  if (isUnknown(i.subnetId)) return { kind: 'unknown', why: i.subnetId.unknown };
  return i.subnetId !== undefined && n.subnetIds.includes(i.subnetId)
    ? OK
    : { kind: 'drift', reason: 'SubnetDrift' };
}

function capacityReservationOutcome(n: NodeClassResolution, i: InstanceFacts): Outcome {
  const want = n.capacityReservationIds;
  const have = i.capacityReservationId;
  if (want === undefined || have === undefined) return OK;
  if (isUnknown(want)) return { kind: 'unknown', why: want.unknown };
  if (isUnknown(have)) return { kind: 'unknown', why: have.unknown };
  return want.includes(have) ? OK : { kind: 'drift', reason: 'CapacityReservationDrift' };
}

function placementGroupOutcome(n: NodeClassResolution, i: InstanceFacts): Outcome {
  if (n.placementGroupId === undefined) return OK;
  return (i.placementGroupId ?? '') === n.placementGroupId
    ? OK
    : { kind: 'drift', reason: 'PlacementGroupDrift' };
}

function instanceTypeOutcome(i: InstanceFacts): Outcome {
  if (isUnknown(i.instanceTypeOffered)) return { kind: 'unknown', why: i.instanceTypeOffered.unknown };
  return i.instanceTypeOffered ? OK : { kind: 'drift', reason: 'InstanceTypeNotFound' };
}

/** Why the instance no longer matches its node class as resolved, in upstream's order; see the module comment. */
export function resolvedDrift(nodeClass: NodeClassResolution, instance: InstanceFacts): ResolvedDriftVerdict {
  const unchecked: ResolvedDriftVerdict['unchecked'] = [];
  // Each stage is checked in turn; the last stage's outcomes are all computed before one is chosen (upstream).
  const stages: [DriftCheck, () => Outcome][][] = [
    [['instanceType', () => instanceTypeOutcome(instance)]],
    [['amis', () => amiOutcome(nodeClass, instance)]],
    [
      ['securityGroups', () => securityGroupOutcome(nodeClass, instance)],
      ['subnets', () => subnetOutcome(nodeClass, instance)],
      ['capacityReservations', () => capacityReservationOutcome(nodeClass, instance)],
      ['placementGroup', () => placementGroupOutcome(nodeClass, instance)],
    ],
  ];
  for (const stage of stages) {
    const outcomes = stage.map(([check, run]) => [check, run()] as const);
    const halt = outcomes.find(([, o]) => o.kind === 'halt')?.[1];
    if (halt?.kind === 'halt') return { unchecked, halted: halt.why };
    for (const [check, o] of outcomes) {
      if (o.kind === 'unknown') unchecked.push({ check, why: o.why });
      if (o.kind === 'drift') return { reason: o.reason, unchecked };
    }
  }
  return { unchecked };
}

/**
 * Whether the node's instance type is still offered: listed, with an offering (available or not) in the node's
 * zone and capacity type. A reserved node may be demoted to on-demand, so either counts for it (upstream).
 */
export function instanceTypeOffered(
  types: readonly InstanceType[],
  labels: Readonly<Record<string, string>>,
): boolean {
  const it = types.find((t) => t.name === labels[Labels.instanceType]);
  if (!it) return false;
  const zone = labels[Labels.zone];
  const ct = labels[Labels.capacityType];
  const capacityTypes = ct === 'reserved' ? ['reserved', 'on-demand'] : ct ? [ct] : undefined;
  return it.offerings.some(
    (o) => (!zone || o.zone === zone) && (!capacityTypes || capacityTypes.includes(o.capacityType)),
  );
}

/** A resolved AMI's requirements, as the node class status records them (its architecture). */
export function amiRequirements(arch: string): NodeSelectorRequirement[] {
  return [{ key: Labels.arch, operator: 'In', values: [arch] }];
}

/**
 * What the controller knows of a claim before reading its instance: the instance's network is left unknown (read
 * only if nothing before it drifts), its image too when the claim records none. The type is checked only once the
 * claim is an hour old.
 */
export function claimFacts(claim: NodeClaim, types: readonly InstanceType[], now: number): InstanceFacts {
  const labels = claim.metadata.labels ?? {};
  const age = now - Date.parse(claim.metadata.creationTimestamp ?? '');
  const fromInstance = unknown('read from the instance');
  return {
    instanceTypeOffered:
      age > INSTANCE_TYPE_DRIFT_AFTER_MS
        ? instanceTypeOffered(types, labels)
        : unknown('checked once the claim is an hour old'),
    instanceTypeRequirements: types.find((t) => t.name === labels[Labels.instanceType])?.requirements,
    imageId: claim.status?.imageID ?? fromInstance,
    subnetId: fromInstance,
    securityGroupIds: fromInstance,
    ...(labels[Labels.capacityReservationId]
      ? { capacityReservationId: labels[Labels.capacityReservationId] }
      : {}),
    placementGroupId: labels[Labels.placementGroupId] ?? '',
  };
}

/** The controller's resolution as drift facts: a part that failed to resolve counts as resolved to nothing. */
export function nodeClassResolution(r: ResolvedNodeClass): NodeClassResolution {
  return {
    amis: r.problems.AMIsReady
      ? []
      : r.amis.map((a) => ({ id: a.id, requirements: amiRequirements(a.arch) })),
    subnetIds: r.problems.SubnetsReady ? [] : r.subnets.map((s) => s.id),
    securityGroupIds: r.problems.SecurityGroupsReady ? [] : r.securityGroups.map((g) => g.id),
    // A failed reservation query keeps nodes where they are (upstream reads the last status).
    ...(r.capacityReservations ? { capacityReservationIds: r.capacityReservations.map((c) => c.id) } : {}),
    // An unresolved group is not judged: every node in it would otherwise drift at once.
    ...(r.problems.PlacementGroupReady ? {} : { placementGroupId: r.placementGroup?.id ?? '' }),
  };
}

/** What DescribeInstances says of an instance's network. */
export function instanceNetwork(i: Instance): { subnetId: string | undefined; securityGroupIds: string[] } {
  return {
    subnetId: i.SubnetId,
    securityGroupIds: (i.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
  };
}
