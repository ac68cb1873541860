/**
 * Launching one instance with CreateFleet `instant`: overrides are every (instance type × subnet) offering of one
 * capacity type, with Priority = price; spot uses price-capacity-optimized, on-demand lowest-price. A claim priced
 * by NodeOverlays goes by those prices instead, as upstream: capacity-optimized-prioritized and prioritized, EC2
 * trying the lowest Priority (the overlaid price) first. Offerings EC2
 * answers with an insufficient-capacity error are marked unavailable for 3 minutes and the launch falls back to
 * the remaining ones (reserved to spot to on-demand, as far as the claim allows). A reserved launch targets one
 * kind of reservation (./reserved-launch.ts); an insufficient-capacity answer empties that reservation instead.
 */
import {
  type _InstanceType,
  CreateFleetCommand,
  type CreateFleetCommandInput,
  type CreateFleetCommandOutput,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { NodeOverlayAnnotations } from '../../../sdk/api/nodeoverlay';
import { Annotations } from '../../../sdk/api/well-known';
import type { EC2NodeClass, NodeClaim } from '../../kube/objects';
import { InsufficientCapacityError } from '../types';
import { awsCall, classifyAwsError } from './errors';
import { ICE_ERROR_CODES, type UnavailableOfferings } from './unavailable-offerings';
import type { OfferingReservation } from '../../scheduling/instance-types';
import { onDemandStrategy, reservedFleetOptions, reservedLaunchOfferings } from './reserved-launch';

/** The capacity types CreateFleet launches. */
export type LaunchCapacityType = 'spot' | 'on-demand' | 'reserved';

/** One launchable choice: a type in a subnet (its zone) with a capacity type, price and launch template. */
export interface FleetOffering {
  instanceType: string;
  zone: string;
  subnetId: string;
  capacityType: LaunchCapacityType;
  price: number;
  /** A reserved offering's launch template targets this reservation. */
  launchTemplateName: string;
  reservation?: OfferingReservation;
}

export interface LaunchedInstance {
  instanceId: string;
  instanceType: string;
  zone: string;
  subnetId?: string;
  capacityType: LaunchCapacityType;
  /** The reservation a reserved instance launched into. */
  reservation?: Omit<OfferingReservation, 'capacity'>;
}

export interface FleetError {
  code: string;
  message: string;
  instanceType?: string;
  zone?: string;
  capacityType?: string;
}

/**
 * Reserved when a reserved offering is left (capacity already paid for), else spot when any spot offering is left
 * (it is cheaper), else on-demand; undefined when nothing is left. Upstream's order.
 */
export function chooseCapacityType(offerings: FleetOffering[]): LaunchCapacityType | undefined {
  if (offerings.some((o) => o.capacityType === 'reserved')) return 'reserved';
  if (offerings.some((o) => o.capacityType === 'spot')) return 'spot';
  if (offerings.some((o) => o.capacityType === 'on-demand')) return 'on-demand';
  return undefined;
}

/**
 * The node class's spec.context for the claim's CreateFleet, or undefined. As upstream, a claim launched with
 * relaxed minValues (annotated karpenter.sh/nodeclaim-min-values-relaxed: "true") goes without it.
 */
export function fleetContext(nodeClass: EC2NodeClass, nodeClaim: NodeClaim): string | undefined {
  if (nodeClaim.metadata.annotations?.[Annotations.minValuesRelaxed] === 'true') return undefined;
  return nodeClass.spec.context;
}

/** How a claim's CreateFleet asks. */
export interface FleetOptions {
  /** The node class's spec.context (fleetContext). */
  context?: string | undefined;
  /** Go by the offerings' prices as given, not EC2's (fleetPrioritized). @default false */
  prioritized?: boolean;
}

/**
 * Whether the claim's fleet goes by the offerings' own prices: a NodeOverlay priced some of its options
 * (karpenter.sh/price-overlay-applied, whatever its value, as upstream reads it).
 */
export function fleetPrioritized(nodeClaim: NodeClaim): boolean {
  return nodeClaim.metadata.annotations?.[NodeOverlayAnnotations.priceOverlayApplied] !== undefined;
}

export function createFleetInput(
  offerings: FleetOffering[],
  capacityType: LaunchCapacityType,
  clientToken: string,
  tags: Record<string, string>,
  fleet: FleetOptions = {},
): CreateFleetCommandInput {
  const { context, prioritized = false } = fleet;
  const byTemplate = new Map<string, FleetOffering[]>();
  const chosen =
    capacityType === 'reserved'
      ? reservedLaunchOfferings(offerings)
      : offerings.filter((x) => x.capacityType === capacityType);
  for (const o of chosen) {
    byTemplate.set(o.launchTemplateName, [...(byTemplate.get(o.launchTemplateName) ?? []), o]);
  }
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return {
    Type: 'instant',
    ClientToken: clientToken,
    ...(context !== undefined ? { Context: context } : {}),
    ...(capacityType === 'reserved'
      ? reservedFleetOptions(chosen, prioritized)
      : {
          TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: capacityType },
          ...(capacityType === 'spot'
            ? {
                SpotOptions: {
                  AllocationStrategy: prioritized
                    ? ('capacity-optimized-prioritized' as const)
                    : ('price-capacity-optimized' as const),
                },
              }
            : { OnDemandOptions: { AllocationStrategy: onDemandStrategy(prioritized) } }),
        }),
    LaunchTemplateConfigs: [...byTemplate].map(([name, list]) => ({
      LaunchTemplateSpecification: { LaunchTemplateName: name, Version: '$Latest' },
      Overrides: list
        .sort((a, b) => a.price - b.price || a.instanceType.localeCompare(b.instanceType))
        .map((o) => ({
          InstanceType: o.instanceType as _InstanceType,
          SubnetId: o.subnetId,
          Priority: o.price,
        })),
    })),
    TagSpecifications: ['instance', 'volume', 'fleet'].map((ResourceType) => ({
      ResourceType: ResourceType as 'instance' | 'volume' | 'fleet',
      Tags,
    })),
  };
}

/** The launched instance (if any) and the per-override errors, zones resolved through the subnets we asked for. */
export function parseFleetOutput(
  out: CreateFleetCommandOutput,
  capacityType: LaunchCapacityType,
  subnetZones: Map<string, string>,
  offerings: FleetOffering[] = [],
): { instance?: LaunchedInstance; errors: FleetError[] } {
  const errors: FleetError[] = (out.Errors ?? []).map((e) => {
    const ov = e.LaunchTemplateAndOverrides?.Overrides;
    const zone = ov?.AvailabilityZone ?? (ov?.SubnetId ? subnetZones.get(ov.SubnetId) : undefined);
    return {
      code: e.ErrorCode ?? 'Unknown',
      message: e.ErrorMessage ?? '',
      ...(ov?.InstanceType ? { instanceType: ov.InstanceType } : {}),
      ...(zone ? { zone } : {}),
      capacityType: e.Lifecycle ?? capacityType,
    };
  });
  for (const i of out.Instances ?? []) {
    const id = i.InstanceIds?.[0];
    const ov = i.LaunchTemplateAndOverrides?.Overrides;
    const subnetId = ov?.SubnetId;
    const zone = ov?.AvailabilityZone ?? (subnetId ? subnetZones.get(subnetId) : undefined);
    const instanceType = i.InstanceType ?? ov?.InstanceType;
    if (!id || !zone || !instanceType) continue;
    if (capacityType === 'reserved') {
      // The launch asked for one reservation per type and zone: the instance is in that one.
      const o = offerings.find(
        (x) => x.capacityType === 'reserved' && x.instanceType === instanceType && x.zone === zone,
      );
      const reservation = o?.reservation;
      return {
        instance: {
          instanceId: id,
          instanceType,
          zone,
          capacityType: reservation ? 'reserved' : 'on-demand',
          ...(reservation
            ? {
                reservation: {
                  id: reservation.id,
                  type: reservation.type,
                  interruptible: reservation.interruptible,
                },
              }
            : {}),
          ...(subnetId ? { subnetId } : {}),
        },
        errors,
      };
    }
    const lifecycle = i.Lifecycle === 'spot' || i.Lifecycle === 'on-demand' ? i.Lifecycle : capacityType;
    return {
      instance: {
        instanceId: id,
        instanceType,
        zone,
        capacityType: lifecycle,
        ...(subnetId ? { subnetId } : {}),
      },
      errors,
    };
  }
  return { errors };
}

export interface FleetLaunchOptions {
  ec2: EC2Client;
  unavailable: UnavailableOfferings;
  /** Instances a reservation has room for now; a reserved offering is tried only while this is above 0. */
  reservationCount?: (id: string) => number;
  /** EC2 answered insufficient capacity for a reservation. */
  markReservationUnavailable?: (id: string) => void;
  /** @default 3 */
  maxAttempts?: number;
}

/** An offering out of capacity: a reservation is emptied (upstream), any other offering skipped for 3 minutes. */
function markOut(opts: FleetLaunchOptions, o: FleetOffering): void {
  if (o.reservation) opts.markReservationUnavailable?.(o.reservation.id);
  else opts.unavailable.mark(o.capacityType, o.instanceType, o.zone);
}

/** Launches one instance from the offerings, falling back past offerings that are out of capacity. */
export async function launchInstance(
  opts: FleetLaunchOptions,
  offerings: FleetOffering[],
  clientToken: string,
  tags: Record<string, string>,
  fleet: FleetOptions = {},
): Promise<LaunchedInstance> {
  const subnetZones = new Map(offerings.map((o) => [o.subnetId, o.zone]));
  const iceSeen: FleetError[] = [];
  for (let attempt = 0; attempt < (opts.maxAttempts ?? 3); attempt++) {
    const left = offerings.filter((o) =>
      o.reservation
        ? (opts.reservationCount?.(o.reservation.id) ?? 0) > 0
        : !opts.unavailable.isUnavailable(o.capacityType, o.instanceType, o.zone),
    );
    const capacityType = chooseCapacityType(left);
    if (!capacityType) break;
    // A new token per attempt: EC2 returns the first result again for a repeated token with other parameters.
    const token = `${clientToken.slice(0, 60)}-${attempt}`;
    const out = await awsCall('ec2:CreateFleet', () =>
      opts.ec2.send(new CreateFleetCommand(createFleetInput(left, capacityType, token, tags, fleet))),
    );
    const { instance, errors } = parseFleetOutput(out, capacityType, subnetZones, left);
    for (const e of errors) {
      if (!ICE_ERROR_CODES.has(e.code)) continue;
      iceSeen.push(e);
      // An error that names the override marks that offering; one that does not rules out the whole attempt.
      const hit = left.filter(
        (o) =>
          o.capacityType === capacityType &&
          (!e.instanceType || o.instanceType === e.instanceType) &&
          (!e.zone || o.zone === e.zone),
      );
      for (const o of hit) markOut(opts, o);
    }
    if (instance) return instance;
    const fatal = errors.find((e) => !ICE_ERROR_CODES.has(e.code));
    if (fatal) {
      const err = Object.assign(new Error(fatal.message), { name: fatal.code });
      throw classifyAwsError(err, 'ec2:CreateFleet');
    }
    if (errors.length === 0) {
      // No instance and no reason: treat every offering of this capacity type as unavailable for now.
      for (const o of left.filter((x) => x.capacityType === capacityType)) markOut(opts, o);
    }
  }
  const codes = [...new Set(iceSeen.map((e) => e.code))].join(', ') || 'no offering left';
  throw new InsufficientCapacityError(
    `CreateFleet found no capacity among ${offerings.length} offering(s) (${codes}); they are skipped for 3 minutes`,
  );
}
