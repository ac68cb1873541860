/**
 * What the drift preview knows of resolved values before anything is applied: what each planned EC2NodeClass's
 * selector terms resolve to and what each live instance runs on. Without AWS access only `id` terms resolve (to
 * themselves) and the instances' subnets and security groups are unknown; a DriftResolver (./resolver) knows more.
 * Pure: the verdict itself is runtime/cloudprovider/aws/drift.ts, the controller's own.
 */
import { Labels } from '../../sdk/api/well-known';
import {
  isUnknown,
  unknown,
  type InstanceFacts,
  type Maybe,
  type NodeClassResolution,
} from '../../runtime/cloudprovider/aws/drift';
import type { EC2NodeClass, NodeClaim } from '../../runtime/kube/objects';
import { Requirements } from '../../runtime/scheduling/requirements';

/** A planned EC2NodeClass as far as the preview resolved it. */
export interface PlannedResolution extends NodeClassResolution {
  /** The resolved subnets' zones, for whether a node's type is still offered in its zone. */
  zones: Maybe<readonly string[]>;
}

/** What DescribeInstances says of a live instance. */
export interface InstanceRecord {
  imageId?: string;
  subnetId?: string;
  securityGroupIds: string[];
}

export interface PreviewFacts {
  /** By EC2NodeClass name. */
  nodeClasses: ReadonlyMap<string, PlannedResolution>;
  /** By provider ID; an instance missing from a known map was not found. */
  instances: Maybe<ReadonlyMap<string, InstanceRecord>>;
}

/** Learns what planned node classes resolve to and what live instances run on (the default: ./aws-resolver). */
export interface DriftResolver {
  resolve(nodeClasses: readonly EC2NodeClass[], providerIDs: readonly string[]): Promise<PreviewFacts>;
}

export const NEEDS_AWS = 'AWS access needed (give the drift preview a region)';

/** The terms' ids when every term is an id alone (those resolve to themselves), else why they need AWS. */
function idsOnly(terms: readonly object[], field: string, needs: string): Maybe<string[]> {
  const ids: string[] = [];
  for (const term of terms) {
    const set = Object.entries(term).filter(([, v]) => v !== undefined);
    const id = set.length === 1 && set[0]?.[0] === 'id' ? set[0][1] : undefined;
    if (typeof id !== 'string') {
      const kinds = set.map(([k]) => k).join('/');
      return unknown(`${field} select by ${kinds}: ${needs}`);
    }
    ids.push(id);
  }
  return ids;
}

/** Offline: `id` terms resolve to themselves (an AMI's architecture, and so its rank, stays unknown). */
export function offlineResolution(nodeClass: EC2NodeClass, needs = NEEDS_AWS): PlannedResolution {
  const amis = idsOnly(nodeClass.spec.amiSelectorTerms, 'amiSelectorTerms', needs);
  return {
    amis: isUnknown(amis) ? amis : amis.map((id) => ({ id })),
    subnetIds: idsOnly(nodeClass.spec.subnetSelectorTerms, 'subnetSelectorTerms', needs),
    securityGroupIds: idsOnly(nodeClass.spec.securityGroupSelectorTerms, 'securityGroupSelectorTerms', needs),
    zones: unknown(`subnet zones: ${needs}`),
  };
}

/** Offline facts: `instancesWhy` says why instances are unknown, `needs` why non-id terms are. */
export function offlineFacts(
  nodeClasses: readonly EC2NodeClass[],
  instancesWhy = `instances' subnets and security groups: ${NEEDS_AWS}`,
  needs = NEEDS_AWS,
): PreviewFacts {
  return {
    nodeClasses: new Map(nodeClasses.map((nc) => [nc.metadata.name ?? '', offlineResolution(nc, needs)])),
    instances: unknown(instancesWhy),
  };
}

/**
 * Whether the node's type stays offered under the plan. A plan changes only the zones (subnets) and the
 * architectures (AMIs) the controller offers types in; EC2's catalog is taken as it is.
 */
function offeredUnderPlan(planned: PlannedResolution, labels: Record<string, string>): Maybe<boolean> {
  if (isUnknown(planned.zones)) return planned.zones;
  if (isUnknown(planned.amis)) return planned.amis;
  const arches = new Set<string>();
  for (const ami of planned.amis) {
    const arch = ami.requirements?.find((r) => r.key === Labels.arch);
    if (!arch) return unknown("the AMIs' architectures are not known");
    for (const v of arch.values ?? []) arches.add(v);
  }
  const zone = labels[Labels.zone];
  const arch = labels[Labels.arch];
  return (!zone || planned.zones.includes(zone)) && (!arch || arches.has(arch));
}

/** The facts resolvedDrift needs for one live NodeClaim under the plan. */
export function plannedClaimFacts(
  claim: NodeClaim,
  planned: PlannedResolution,
  facts: PreviewFacts,
): InstanceFacts {
  const labels = claim.metadata.labels ?? {};
  const providerID = claim.status?.providerID;
  const record: Maybe<InstanceRecord | undefined> = isUnknown(facts.instances)
    ? facts.instances
    : providerID
      ? facts.instances.get(providerID)
      : undefined;
  const network: Pick<InstanceFacts, 'subnetId' | 'securityGroupIds'> = isUnknown(record)
    ? { subnetId: record, securityGroupIds: record }
    : record
      ? { subnetId: record.subnetId, securityGroupIds: record.securityGroupIds }
      : {
          subnetId: unknown(`instance ${providerID ?? '(none)'} not found`),
          securityGroupIds: unknown(`instance ${providerID ?? '(none)'} not found`),
        };
  const imageId = claim.status?.imageID ?? (isUnknown(record) ? undefined : record?.imageId);
  return {
    instanceTypeOffered: offeredUnderPlan(planned, labels),
    // The claim's labels stand for its type's; without an architecture they cannot map it to an AMI.
    instanceTypeRequirements: labels[Labels.arch] ? Requirements.fromLabels(labels) : undefined,
    imageId: imageId ?? unknown('the NodeClaim records no image id'),
    ...network,
  };
}
