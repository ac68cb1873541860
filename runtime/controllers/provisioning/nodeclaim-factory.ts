/**
 * Turning a planned NodeClaim into the object we create, and gathering the scheduler's NodePool inputs. Shared by
 * provisioning (new capacity) and disruption (replacements), so both launch exactly the same way.
 */
import { NodeOverlayAnnotations } from '../../../sdk/api/nodeoverlay';
import { Annotations, Finalizers, Labels } from '../../../sdk/api/well-known';
import { CloudProviderError, type CloudProvider } from '../../cloudprovider/types';
import {
  nameOf,
  type EC2NodeClass,
  type NodeClaim,
  type NodePool,
  type NodeSelectorRequirement,
} from '../../kube/objects';
import { Kinds } from '../../kube/kinds';
import type { ControllerContext } from '../context';
import { nextNodeCost } from '../deletion-cost/costs';
import { driftAnnotations } from '../disruption/drift';
import type { Requirements } from '../../scheduling/requirements';
import { toResourceList, type Resources } from '../../scheduling/resources';
import { remainingLimits } from '../../scheduling/limits';
import type { PlannedNodeClaim, SchedulingNodePool } from '../../scheduling/scheduler';
import type { InstanceType } from '../../scheduling/instance-types';
import { withNodePrice } from '../../scheduling/node-price';
import { MAX_INSTANCE_TYPES } from '../../scheduling/plan';
import { cappedOptions, poolSpend, spendCap } from '../../scheduling/spend';
import { clusterCapsLeft } from './spend';
import { UnevaluatedNodePoolError } from '../nodeoverlay/overlays';
import type { ClusterState } from '../../state/cluster-state';

export { MAX_INSTANCE_TYPES } from '../../scheduling/plan';

export function requirementsToSelectors(reqs: Requirements): NodeSelectorRequirement[] {
  return reqs.values().map((r) => {
    if (!r.complement) {
      const values = [...r.values].sort();
      return values.length
        ? { key: r.key, operator: 'In' as const, values, ...(r.minValues ? { minValues: r.minValues } : {}) }
        : { key: r.key, operator: 'DoesNotExist' as const };
    }
    if (r.greaterThan !== undefined)
      return { key: r.key, operator: 'Gt' as const, values: [String(r.greaterThan)] };
    if (r.lessThan !== undefined)
      return { key: r.key, operator: 'Lt' as const, values: [String(r.lessThan)] };
    if (r.values.size) return { key: r.key, operator: 'NotIn' as const, values: [...r.values].sort() };
    return { key: r.key, operator: 'Exists' as const };
  });
}

/**
 * The NodeClaim object for a plan: the pool's template plus the plan's requirements and instance type options,
 * stamped with the NodePool and node class hashes that later tell whether it has drifted.
 */
export function nodeClaimFor(
  nodePool: NodePool,
  plan: PlannedNodeClaim,
  nodeClass?: EC2NodeClass,
  podDeletionCost?: number,
): NodeClaim {
  const template = nodePool.spec.template;
  // The instance types are written below; a hostname never is (a NodeClaim may not name its node, as upstream).
  const selectors = requirementsToSelectors(plan.requirements).filter(
    (s) => s.key !== Labels.instanceType && s.key !== Labels.hostname,
  );
  // A spend cap counted the claim at its cheapest option: it offers the cloud nothing dearer.
  const offered = plan.spendCapped
    ? cappedOptions(plan.instanceTypeOptions, plan.requirements)
    : plan.instanceTypeOptions;
  const options = offered.slice(0, MAX_INSTANCE_TYPES);
  selectors.push({ key: Labels.instanceType, operator: 'In', values: options.map((it) => it.name) });
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      generateName: `${nodePool.metadata.name}-`,
      labels: { ...template.metadata?.labels, [Labels.nodePool]: nameOf(nodePool) },
      annotations: {
        ...template.metadata?.annotations,
        ...driftAnnotations(nodePool, nodeClass),
        ...(plan.minValuesRelaxed ? { [Annotations.minValuesRelaxed]: 'true' } : {}),
        // As upstream's nodeclaimtemplate: a NodeOverlay priced or sized some of the options.
        ...(options.some((it) => it.offerings.some((o) => o.priceOverlaid))
          ? { [NodeOverlayAnnotations.priceOverlayApplied]: 'true' }
          : {}),
        ...(options.some((it) => it.capacityOverlaid)
          ? { [NodeOverlayAnnotations.capacityOverlayApplied]: 'true' }
          : {}),
        ...(podDeletionCost !== undefined
          ? { [Annotations.nodePodDeletionCost]: String(podDeletionCost) }
          : {}),
      },
      finalizers: [Finalizers.termination],
      ownerReferences: [
        {
          apiVersion: 'karpenter.sh/v1',
          kind: 'NodePool',
          name: nameOf(nodePool),
          uid: nodePool.metadata.uid as string,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      requirements: selectors,
      nodeClassRef: template.spec.nodeClassRef,
      expireAfter: template.spec.expireAfter,
      resources: { requests: toResourceList(plan.requests) },
      ...(template.spec.taints ? { taints: template.spec.taints } : {}),
      ...(template.spec.startupTaints ? { startupTaints: template.spec.startupTaints } : {}),
      ...(template.spec.terminationGracePeriod
        ? { terminationGracePeriod: template.spec.terminationGracePeriod }
        : {}),
    },
  };
}

/**
 * Every live NodePool with its instance types, DaemonSet overhead and remaining limits (its own, spend cap
 * included, and the cluster-wide `clusterCaps` in `remaining`'s units). The types' offering prices
 * are per node: the instance, the volumes its node class gives it, and `perNodeCost` (see withNodePrice).
 */
export async function schedulingNodePools(
  state: ClusterState,
  cloud: CloudProvider,
  perNodeCost = 0,
  onRefused?: (nodePool: NodePool, err: CloudProviderError) => void,
  clusterCaps?: Resources,
): Promise<SchedulingNodePool[]> {
  // What covered nodes bill under SAVINGS_PLANS, where their types show new capacity's price.
  const adjust = cloud.nodePriceAdjustment?.bind(cloud);
  const out: SchedulingNodePool[] = [];
  for (const nodePool of state.nodePools.list((np) => !np.metadata.deletionTimestamp)) {
    const usage = state.nodePoolUsage(nameOf(nodePool));
    let instanceTypes: InstanceType[];
    try {
      instanceTypes = await pricedInstanceTypes(cloud, nodePool, perNodeCost);
    } catch (err) {
      // Awaiting its NodeOverlays (controllers/nodeoverlay): left out until they are known, as upstream.
      if (err instanceof UnevaluatedNodePoolError) continue;
      // A node class the cloud refuses until the user changes it takes its own pools out, not every pool: the
      // others keep provisioning and consolidating. Anything that may clear up by itself fails the round (retried).
      if (!(err instanceof CloudProviderError) || err.retryable) throw err;
      onRefused?.(nodePool, err);
      continue;
    }
    const spend =
      spendCap(nodePool) === undefined
        ? 0
        : poolSpend(state.stateNodes(), nameOf(nodePool), instanceTypes, perNodeCost, adjust);
    const remaining = remainingLimits(nodePool, usage.usage, usage.nodes, spend);
    out.push({
      nodePool,
      instanceTypes,
      ...(perNodeCost !== 0 ? { unbilledPerNode: perNodeCost } : {}),
      daemonOverhead: state.daemonOverhead(nodePool),
      ...(remaining ? { remaining } : {}),
    });
  }
  out.sort((a, b) => nameOf(a.nodePool).localeCompare(nameOf(b.nodePool)));
  if (!clusterCaps || Object.keys(clusterCaps).length === 0) return out;
  // One object shared by every pool: the scheduler works on a copy per round (limits.ts clusterRemaining).
  const cluster = clusterCapsLeft(clusterCaps, state.stateNodes(), out, perNodeCost, adjust);
  return out.map((p) => ({ ...p, cluster }));
}

/** A NodePool's instance types from the cloud, their offerings priced per node (see withNodePrice). */
export async function pricedInstanceTypes(
  cloud: CloudProvider,
  nodePool: NodePool,
  perNodeCost = 0,
): Promise<InstanceType[]> {
  const types = await cloud.getInstanceTypes(nodePool);
  const overhead = await cloud.nodeOverheadPrice(nodePool);
  return withNodePrice(types, overhead + perNodeCost);
}

/** The lowest pod-deletion cost each cluster view's claims were given, so concurrent creations never share one. */
const lowestCostGiven = new WeakMap<ClusterState, number>();

/**
 * Create the NodeClaim for a plan (provisioning and disruption replacements alike), with the next pod-deletion
 * cost (controllers/deletion-cost): taken before the first await, so claims get costs in the order of the calls.
 */
export async function createNodeClaim(ctx: ControllerContext, plan: PlannedNodeClaim): Promise<NodeClaim> {
  const nodePool = ctx.state.nodePools.get(plan.nodePoolName);
  if (!nodePool)
    throw new Error(`NodePool "${plan.nodePoolName}" disappeared before its NodeClaim was created`);
  const nodeClass = ctx.state.nodeClasses.get(nodePool.spec.template.spec.nodeClassRef.name);
  const cost = nextNodeCost(ctx.state.nodeClaims.list(), lowestCostGiven.get(ctx.state));
  lowestCostGiven.set(ctx.state, cost);
  return ctx.api.create(Kinds.NodeClaim, nodeClaimFor(nodePool, plan, nodeClass, cost));
}
