/**
 * The offerings a claim's CreateFleet chooses among: for each instance type it may launch as, the AMI that type
 * boots and its launch template, then every offering the claim allows in a zone with a subnet.
 */
import type { Requirements } from '../../scheduling/requirements';
import {
  compatibleOfferings,
  type InstanceType,
  type OfferingReservation,
} from '../../scheduling/instance-types';
import { amiForInstanceType, type ResolvedAmi } from './amis';
import type { FleetOffering } from './fleet';
import type { ResolvedSubnet } from './subnets';

export interface OfferingSources {
  /** The newest AMI per arch (`amiPerArch`). */
  amis: Map<string, ResolvedAmi>;
  /** The subnet to launch into per zone (`subnetPerZone`). */
  subnets: Map<string, ResolvedSubnet>;
  /**
   * The name of the launch template for a type booting an AMI, ensured to exist; a reserved offering's template
   * targets its reservation.
   */
  launchTemplateFor: (
    it: InstanceType,
    ami: ResolvedAmi,
    reservation?: OfferingReservation,
  ) => Promise<string>;
}

/**
 * One type's offerings the claim allows, in zones with a subnet, each with its launch template (one per reservation
 * for reserved offerings, one shared by the others).
 */
export async function typeOfferings(
  it: InstanceType,
  reqs: Requirements,
  subnets: Map<string, ResolvedSubnet>,
  templateFor: (reservation?: OfferingReservation) => Promise<string>,
): Promise<FleetOffering[]> {
  const out: FleetOffering[] = [];
  for (const o of compatibleOfferings(it, reqs)) {
    const subnet = subnets.get(o.zone);
    if (!subnet) continue;
    if (o.capacityType === 'reserved' && !o.reservation) continue;
    out.push({
      instanceType: it.name,
      zone: o.zone,
      subnetId: subnet.id,
      capacityType: o.capacityType,
      price: o.price,
      launchTemplateName: await templateFor(o.reservation),
      ...(o.reservation ? { reservation: o.reservation } : {}),
    });
  }
  return out;
}

/** Every offering of the types, skipping types no resolved AMI boots; templates are ensured one type at a time. */
export async function fleetOfferings(
  types: InstanceType[],
  reqs: Requirements,
  sources: OfferingSources,
): Promise<FleetOffering[]> {
  const offerings: FleetOffering[] = [];
  for (const it of types) {
    const ami = amiForInstanceType(sources.amis, it);
    if (!ami) continue;
    offerings.push(
      ...(await typeOfferings(it, reqs, sources.subnets, (r) => sources.launchTemplateFor(it, ami, r))),
    );
  }
  return offerings;
}
