/**
 * Drift: a node no longer matches what its NodePool and node class ask for. One exported function decides it
 * from (NodePool, EC2NodeClass, NodeClaim) so the controller and a Pulumi preview reach the same answer.
 *
 * - NodePoolDrifted: the NodePool's template (requirements excluded) hashes differently from the hash stamped on
 *   the NodeClaim at launch. Requirements are compared by value instead, so widening them drifts nothing.
 * - RequirementsDrifted: the node's labels no longer satisfy the NodePool's requirements.
 * - NodeClassDrifted: the EC2NodeClass spec hashes differently from the hash stamped at launch.
 */
import { createHash } from 'node:crypto';
import { Annotations, Labels } from '../../../sdk/api/well-known';
import { nameOf, type EC2NodeClass, type NodeClaim, type NodePool } from '../../kube/objects';
import { Requirements } from '../../scheduling/requirements';

/** Bumped when the hashed fields change, so a new version never reads as drift of every node. */
export const NODEPOOL_HASH_VERSION = 'v1';
export const EC2NODECLASS_HASH_VERSION = 'v1';

export type DriftReason = 'NodePoolDrifted' | 'RequirementsDrifted' | 'NodeClassDrifted';

/** JSON with object keys sorted, so equal values always hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function hash(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex').slice(0, 16);
}

export function nodePoolHash(nodePool: NodePool): string {
  // Requirements are left out (undefined fields are dropped by canonical): they are compared by value instead.
  const spec = { ...nodePool.spec.template.spec, requirements: undefined };
  return hash({ metadata: nodePool.spec.template.metadata ?? {}, spec });
}

export function ec2NodeClassHash(nodeClass: EC2NodeClass): string {
  return hash(nodeClass.spec);
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
      return 'NodeClassDrifted';
    }
    return undefined;
  };
}
