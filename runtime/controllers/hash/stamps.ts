/**
 * The drift hash annotations, as upstream keeps them: every NodePool and EC2NodeClass carries its current hash and
 * hash version, and a NodeClaim stamped with another hash version (by an older release, or by upstream Karpenter
 * before a migration) is re-stamped with the current one. Its hash is replaced only when it is not already
 * Drifted: across versions, whether it still is cannot be told, so a drifted claim stays drifted. Pure: the hash
 * controller applies these, the tests read them.
 */
import { Annotations } from '../../../sdk/api/well-known';
import { hasCondition } from '../../kube/conditions';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../kube/objects';
import {
  EC2NODECLASS_HASH_VERSION,
  NODEPOOL_HASH_VERSION,
  ec2NodeClassHash,
  nodePoolHash,
} from '../disruption/drift';

type Stamp = Record<string, string>;

/** The annotations of `stamp` that `annotations` lacks or holds otherwise; undefined when there are none. */
function missing(annotations: Record<string, string> | undefined, stamp: Stamp): Stamp | undefined {
  const out = Object.fromEntries(Object.entries(stamp).filter(([k, v]) => annotations?.[k] !== v));
  return Object.keys(out).length ? out : undefined;
}

export function nodePoolStamp(nodePool: NodePool): Stamp | undefined {
  return missing(nodePool.metadata.annotations, {
    [Annotations.nodePoolHash]: nodePoolHash(nodePool),
    [Annotations.nodePoolHashVersion]: NODEPOOL_HASH_VERSION,
  });
}

export function nodeClassStamp(nodeClass: EC2NodeClass): Stamp | undefined {
  return missing(nodeClass.metadata.annotations, {
    [Annotations.ec2NodeClassHash]: ec2NodeClassHash(nodeClass),
    [Annotations.ec2NodeClassHashVersion]: EC2NODECLASS_HASH_VERSION,
  });
}

/** What a NodeClaim stamped with another hash version needs, for its NodePool and node class (when known). */
export function nodeClaimRestamp(
  claim: NodeClaim,
  nodePool: NodePool | undefined,
  nodeClass: EC2NodeClass | undefined,
): Stamp | undefined {
  const annotations = claim.metadata.annotations ?? {};
  const drifted = hasCondition(claim, 'Drifted');
  const out: Stamp = {};
  if (nodePool && annotations[Annotations.nodePoolHashVersion] !== NODEPOOL_HASH_VERSION) {
    out[Annotations.nodePoolHashVersion] = NODEPOOL_HASH_VERSION;
    if (!drifted) out[Annotations.nodePoolHash] = nodePoolHash(nodePool);
  }
  if (nodeClass && annotations[Annotations.ec2NodeClassHashVersion] !== EC2NODECLASS_HASH_VERSION) {
    out[Annotations.ec2NodeClassHashVersion] = EC2NODECLASS_HASH_VERSION;
    if (!drifted) out[Annotations.ec2NodeClassHash] = ec2NodeClassHash(nodeClass);
  }
  return Object.keys(out).length ? out : undefined;
}
