/**
 * Resolving an EC2NodeClass into what launches need (subnets, security groups, AMIs, instance profile) and writing
 * that, with one condition per part and Ready, back to its status. Each part fails on its own: a node class whose
 * AMI alias does not resolve still reports the subnets it found, and Ready=False names the part and the fix.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { Labels } from '../../../sdk/api/well-known';
import type { Clock } from '../../clock/clock';
import type { KubeApi } from '../../kube/api';
import { setCondition } from '../../kube/conditions';
import { Kinds } from '../../kube/kinds';
import type { EC2NodeClass } from '../../kube/objects';
import type { CapacityReservationStatus } from '../../../sdk/api/ec2nodeclass';
import { resolveAmis, type ResolvedAmi } from './amis';
import type { CapacityReservationProvider } from './capacity-reservation-provider';
import { reservationStatuses } from './capacity-reservations';
import { CloudProviderError } from './errors';
import { ensureInstanceProfile } from './instance-profiles';
import { resolvePlacementGroup, selectorText, type ResolvedPlacementGroup } from './placement-groups';
import { resolveSecurityGroups, type ResolvedSecurityGroup } from './security-groups';
import { resolveSubnets, type ResolvedSubnet } from './subnets';

export interface ResolvedNodeClass {
  subnets: ResolvedSubnet[];
  /**
   * The reservations capacityReservationSelectorTerms select, for status.capacityReservations; undefined while the
   * ReservedCapacity gate is off (upstream then neither resolves the terms nor reports the condition).
   */
  capacityReservations?: CapacityReservationStatus[];
  securityGroups: ResolvedSecurityGroup[];
  amis: ResolvedAmi[];
  instanceProfile?: string;
  /** The group placementGroupSelector names, when it has one and EC2 has that group available. */
  placementGroup?: ResolvedPlacementGroup;
  /** Part → why it failed (empty when ready). */
  problems: Partial<Record<NodeClassPart, string>>;
  /** Part → its False condition's reason, where it is not `<Part>NotFound`. */
  reasons?: Partial<Record<NodeClassPart, string>>;
}

export type NodeClassPart =
  | 'SubnetsReady'
  | 'SecurityGroupsReady'
  | 'AMIsReady'
  | 'InstanceProfileReady'
  | 'PlacementGroupReady'
  | 'CapacityReservationsReady';

export interface NodeClassResolverOptions {
  ec2: EC2Client;
  ssm: SSMClient;
  iam: IAMClient;
  clusterName: string;
  region: string;
  kubernetesVersion: string;
  /** Set with the ReservedCapacity gate on: resolves capacityReservationSelectorTerms. */
  capacityReservations?: CapacityReservationProvider;
  /** For a capacity block's expiring state. */
  now: number;
  /** Reservations EC2 answered with fields Karpenter does not know are left out and reported here. */
  onSkipped?: (errors: Error[]) => void;
}

async function part<T>(
  problems: ResolvedNodeClass['problems'],
  name: NodeClassPart,
  empty: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    const value = await fn();
    if (Array.isArray(value) && value.length === 0) problems[name] = empty;
    return value;
  } catch (err) {
    problems[name] = (err as Error).message;
    return undefined;
  }
}

export async function resolveNodeClass(
  o: NodeClassResolverOptions,
  nodeClass: EC2NodeClass,
): Promise<ResolvedNodeClass> {
  const problems: ResolvedNodeClass['problems'] = {};
  const reasons: NonNullable<ResolvedNodeClass['reasons']> = {};
  const reservations = o.capacityReservations;
  const selector = nodeClass.spec.placementGroupSelector;
  const [subnets, securityGroups, amis, instanceProfile, capacityReservations, placementGroup] =
    await Promise.all([
      part(problems, 'SubnetsReady', 'no subnet matches subnetSelectorTerms: check the tags or ids', () =>
        resolveSubnets(o.ec2, nodeClass),
      ),
      part(
        problems,
        'SecurityGroupsReady',
        'no security group matches securityGroupSelectorTerms: check the tags, ids or names',
        () => resolveSecurityGroups(o.ec2, nodeClass),
      ),
      part(
        problems,
        'AMIsReady',
        `no AMI matches amiSelectorTerms (Kubernetes ${o.kubernetesVersion}): check the alias version, ids, tags or names`,
        () => resolveAmis(o.ec2, o.ssm, nodeClass, o.kubernetesVersion),
      ),
      part(problems, 'InstanceProfileReady', '', () =>
        ensureInstanceProfile(o.iam, { clusterName: o.clusterName, region: o.region }, nodeClass),
      ),
      reservations
        ? part(problems, 'CapacityReservationsReady', '', async () => {
            const { reservations: found, errors } = reservationStatuses(
              await reservations.list(nodeClass.spec.capacityReservationSelectorTerms),
              o.now,
            );
            if (errors.length) o.onSkipped?.(errors);
            // No reservation selected is not a problem (upstream: Ready), so not an empty array either.
            return found.length ? found : undefined;
          })
        : Promise.resolve(undefined),
      // Upstream's PlacementGroupReady: NotFound when EC2 has no available group so named, ResolutionFailed on an error.
      selector
        ? resolvePlacementGroup(o.ec2, selector).then(
            (pg) => {
              if (!pg) problems.PlacementGroupReady = `Placement group "${selectorText(selector)}" not found`;
              return pg;
            },
            (err: Error) => {
              problems.PlacementGroupReady = `Failed to resolve placement group "${selectorText(selector)}": ${err.message}`;
              reasons.PlacementGroupReady = 'PlacementGroupResolutionFailed';
              return undefined;
            },
          )
        : Promise.resolve(undefined),
    ]);
  return {
    subnets: subnets ?? [],
    securityGroups: securityGroups ?? [],
    amis: amis ?? [],
    ...(instanceProfile ? { instanceProfile } : {}),
    ...(placementGroup ? { placementGroup } : {}),
    ...(Object.keys(reasons).length ? { reasons } : {}),
    ...(reservations && !problems.CapacityReservationsReady
      ? { capacityReservations: capacityReservations ?? [] }
      : {}),
    problems,
  };
}

/** Throws a CloudProviderError naming the first unresolved part, so a launch explains why it cannot start. */
export function assertReady(nodeClass: EC2NodeClass, r: ResolvedNodeClass): void {
  const [partName, why] = Object.entries(r.problems)[0] ?? [];
  if (!partName) return;
  throw new CloudProviderError(
    'NodeClassNotReady',
    'ec2nodeclass',
    `EC2NodeClass ${nodeClass.metadata.name} is not ready (${partName}): ${why}`,
    true,
  );
}

/** The status a resolution leads to, keeping condition transition times that did not change. */
export function nodeClassStatus(
  prior: EC2NodeClass['status'],
  r: ResolvedNodeClass,
  now: number,
  generation?: number,
): NonNullable<EC2NodeClass['status']> {
  let conditions = prior?.conditions;
  const parts: NodeClassPart[] = [
    'SubnetsReady',
    'SecurityGroupsReady',
    'AMIsReady',
    'InstanceProfileReady',
    'PlacementGroupReady',
  ];
  // Reported only with the ReservedCapacity gate on, as upstream; a failed query leaves the last known list.
  const reservationsOn = r.capacityReservations !== undefined || r.problems.CapacityReservationsReady;
  if (reservationsOn) parts.push('CapacityReservationsReady');
  else conditions = conditions?.filter((c) => c.type !== 'CapacityReservationsReady');
  for (const p of parts) {
    const problem = r.problems[p];
    conditions = problem
      ? setCondition(
          conditions,
          p,
          'False',
          now,
          r.reasons?.[p] ?? `${p.replace(/Ready$/, '')}NotFound`,
          problem,
        )
      : setCondition(conditions, p, 'True', now, p);
  }
  const failed = parts.filter((p) => r.problems[p]);
  conditions = failed.length
    ? setCondition(
        conditions,
        'Ready',
        'False',
        now,
        'NotReady',
        failed.map((p) => `${p}=False: ${r.problems[p]}`).join('; '),
      )
    : setCondition(conditions, 'Ready', 'True', now, 'Ready');
  if (generation !== undefined)
    conditions = conditions.map((c) => ({ ...c, observedGeneration: generation }));
  const { capacityReservations: priorReservations, ...rest } = prior ?? {};
  const reservations = r.capacityReservations ?? (reservationsOn ? priorReservations : undefined);
  return {
    ...rest,
    ...(reservations?.length ? { capacityReservations: reservations } : {}),
    subnets: r.subnets.map((s) => ({ id: s.id, zone: s.zone, ...(s.zoneID ? { zoneID: s.zoneID } : {}) })),
    securityGroups: r.securityGroups.map((g) => ({ id: g.id, ...(g.name ? { name: g.name } : {}) })),
    amis: r.amis.map((a) => ({
      id: a.id,
      ...(a.name ? { name: a.name } : {}),
      ...(a.deprecated ? { deprecated: true } : {}),
      requirements: [{ key: Labels.arch, operator: 'In' as const, values: [a.arch] }],
    })),
    ...(r.instanceProfile ? { instanceProfile: r.instanceProfile } : {}),
    conditions,
  };
}

/** Writes the resolution to the node class's status when it changed; returns the stored object. */
export async function writeNodeClassStatus(
  api: KubeApi,
  clock: Clock,
  nodeClass: EC2NodeClass,
  r: ResolvedNodeClass,
): Promise<EC2NodeClass> {
  const status = nodeClassStatus(nodeClass.status, r, clock.now(), nodeClass.metadata.generation);
  if (JSON.stringify(status) === JSON.stringify(nodeClass.status)) return nodeClass;
  return api.updateStatus(Kinds.EC2NodeClass, { ...nodeClass, status });
}
