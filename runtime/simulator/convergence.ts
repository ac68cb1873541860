/**
 * Did the cluster converge cleanly? Pure checks over what the simulated cloud launched and what the API server
 * holds: every instance owned by exactly one NodeClaim, every claim launched once, every Node of ours owned.
 */
import { Labels } from '../../sdk/api/well-known';
import type { SimulatedInstance } from '../cloudprovider/simulated/simulated-cloud';
import { nameOf, type Node, type NodeClaim } from '../kube/objects';

export interface Convergence {
  /** Running instances no NodeClaim's providerID names: paid for, used by nobody. */
  leakedInstances: string[];
  /** NodeClaims for which the cloud launched more than one instance, over the whole run. */
  duplicateLaunches: string[];
  /** Nodes of a NodePool that no NodeClaim owns. */
  orphanNodes: string[];
}

export function checkConvergence(
  instances: SimulatedInstance[],
  claims: NodeClaim[],
  nodes: Node[],
): Convergence {
  const owned = new Set(claims.map((c) => c.status?.providerID).filter(Boolean));
  const launches = new Map<string, number>();
  for (const i of instances) {
    const key = `${i.nodeClaimName}\u0000${i.nodeClaimUid}`;
    launches.set(key, (launches.get(key) ?? 0) + 1);
  }
  return {
    leakedInstances: instances
      .filter((i) => i.state !== 'terminated' && !owned.has(i.providerID))
      .map((i) => i.providerID),
    duplicateLaunches: [...launches]
      .filter(([, n]) => n > 1)
      .map(([key]) => key.split('\u0000')[0] as string),
    orphanNodes: nodes
      .filter((n) => n.metadata.labels?.[Labels.nodePool] !== undefined && !owned.has(n.spec?.providerID))
      .map((n) => nameOf(n)),
  };
}
