/**
 * Drift: a node no longer matches what its NodePool and node class ask for. One exported function decides it
 * from (NodePool, EC2NodeClass, NodeClaim) so the controller and a Pulumi preview reach the same answer.
 *
 * - NodePoolDrifted: the NodePool's template (requirements excluded) hashes differently from the hash stamped on
 *   the NodeClaim at launch. Requirements are compared by value instead, so widening them drifts nothing.
 * - RequirementsDrifted: the node's labels no longer satisfy the NodePool's requirements.
 * - NodeClassDrift: the EC2NodeClass's static fields hash differently from the hash stamped at launch. As upstream,
 *   the selector terms (subnets, security groups, AMIs, capacity reservations), amiFamily and ipPrefixCount are
 *   not hashed: a node drifts on what they resolve to (the cloud provider's AMIDrift, SubnetDrift,
 *   SecurityGroupDrift), so adding a subnet term or pinning an alias to the AMI it already runs drifts nothing.
 *   The AMI family is hashed as resolved (alias or amiFamily), so writing out the family an alias implies does not
 *   drift either.
 *
 * Both hashes treat lists as sets and leave out empty values (false, 0, "", [], {}), as upstream's do: reordering
 * taints or tags, or spelling out an empty default, is not a change. The hash versions say how a hash was made; a
 * claim stamped with another version is not compared, and the hash controller re-stamps it (hash/controller.ts).
 */
import { createHash } from 'node:crypto';
import { Annotations, Labels } from '../../../sdk/api/well-known';
import { amiFamilyOf } from '../../cloudprovider/aws/block-devices';
import { nameOf, type EC2NodeClass, type NodeClaim, type NodePool } from '../../kube/objects';
import { Requirements } from '../../scheduling/requirements';

/**
 * Bumped when the hashed fields or the way they are hashed change, so a new version never reads as drift of every
 * node. v2: lists as sets, empty values left out; for the node class, static fields only.
 */
export const NODEPOOL_HASH_VERSION = 'v2';
export const EC2NODECLASS_HASH_VERSION = 'v2';

export type DriftReason = 'NodePoolDrifted' | 'RequirementsDrifted' | 'NodeClassDrift';

/** EC2NodeClass spec fields that drift by their resolved values, not by hash (see the module comment). */
export const UNHASHED_NODECLASS_FIELDS = [
  'subnetSelectorTerms',
  'securityGroupSelectorTerms',
  'capacityReservationSelectorTerms',
  'amiSelectorTerms',
  'amiFamily',
  'ipPrefixCount',
] as const;

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value as object).length === 0;
}

/**
 * JSON with object keys sorted, empty values dropped and list items in a canonical order, so equal values (as
 * sets) always hash alike.
 */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return value.length ? `[${value.map(canonical).sort().join(',')}]` : EMPTY;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => [k, canonical(v)] as const)
      .filter(([, v]) => v !== EMPTY)
      .sort(([a], [b]) => a.localeCompare(b));
    return entries.length ? `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}` : EMPTY;
  }
  return isEmpty(value) ? EMPTY : JSON.stringify(value);
}
const EMPTY = '';

function hash(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex').slice(0, 16);
}

export function nodePoolHash(nodePool: NodePool): string {
  // Requirements are left out (undefined fields are dropped by canonical): they are compared by value instead.
  const spec = { ...nodePool.spec.template.spec, requirements: undefined };
  return hash({ metadata: nodePool.spec.template.metadata ?? {}, spec });
}

export function ec2NodeClassHash(nodeClass: EC2NodeClass): string {
  const spec: Record<string, unknown> = { ...nodeClass.spec };
  for (const field of UNHASHED_NODECLASS_FIELDS) delete spec[field];
  return hash({ spec, amiFamily: amiFamilyOf(nodeClass) });
}

/** The annotations a NodeClaim carries so later changes to its NodePool and node class can be detected. */
export function driftAnnotations(
  nodePool: NodePool,
  nodeClass: EC2NodeClass | undefined,
): Record<string, string> {
  return {
    [Annotations.nodePoolHash]: nodePoolHash(nodePool),
    [Annotations.nodePoolHashVersion]: NODEPOOL_HASH_VERSION,
    ...(nodeClass
      ? {
          [Annotations.ec2NodeClassHash]: ec2NodeClassHash(nodeClass),
          [Annotations.ec2NodeClassHashVersion]: EC2NODECLASS_HASH_VERSION,
        }
      : {}),
  };
}

/** Why this NodeClaim has drifted from its NodePool or node class, or undefined when it has not. */
export function driftReason(
  nodePool: NodePool,
  nodeClass: EC2NodeClass | undefined,
  nodeClaim: NodeClaim,
): DriftReason | undefined {
  return driftCheck(nodePool, nodeClass)(nodeClaim);
}

/**
 * driftReason for many claims of one NodePool and node class: the hashes and requirements are computed once (on
 * first need), not per claim, which at thousands of nodes was most of a disruption decision's drift pass.
 */
export function driftCheck(
  nodePool: NodePool,
  nodeClass: EC2NodeClass | undefined,
): (nodeClaim: NodeClaim) => DriftReason | undefined {
  let poolHash: string | undefined;
  let classHash: string | undefined;
  let requirements: Requirements | undefined;
  return (nodeClaim) => {
    const annotations = nodeClaim.metadata.annotations ?? {};
    if (
      annotations[Annotations.nodePoolHashVersion] === NODEPOOL_HASH_VERSION &&
      annotations[Annotations.nodePoolHash] !== undefined &&
      annotations[Annotations.nodePoolHash] !== (poolHash ??= nodePoolHash(nodePool))
    ) {
      return 'NodePoolDrifted';
    }
    const labels = { ...nodeClaim.metadata.labels, [Labels.nodePool]: nameOf(nodePool) };
    requirements ??= Requirements.fromSelectors(nodePool.spec.template.spec.requirements);
    if (!requirements.matchesLabels(labels)) return 'RequirementsDrifted';
    if (
      nodeClass &&
      annotations[Annotations.ec2NodeClassHashVersion] === EC2NODECLASS_HASH_VERSION &&
      annotations[Annotations.ec2NodeClassHash] !== undefined &&
      annotations[Annotations.ec2NodeClassHash] !== (classHash ??= ec2NodeClassHash(nodeClass))
    ) {
      return 'NodeClassDrift';
    }
    return undefined;
  };
}
