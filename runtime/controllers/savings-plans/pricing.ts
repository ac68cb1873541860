/**
 * SAVINGS_PLANS applied to the cloud as the controllers see it (as withNodeOverlays applies NodeOverlays, and on
 * top of them): `getInstanceTypes` prices the on-demand offerings a plan with room covers at the plan's rate, so
 * provisioning, consolidation's replacements, the offering price metrics and the spend caps see what new capacity
 * would bill; `adjustment` turns a running node's type price into what it bills (scheduling/savings-plans.ts).
 *
 * Coverage is worked out again whenever the cluster's nodes change (ClusterState.stateNodes() hands out a new
 * array then), when instance types are next asked for: a provisioning round sees the nodes launched before it.
 * A round that launches several nodes prices them all by the room left at its start; past the commitment the
 * next round sees list prices, and consolidation may replace what the overflow made dear.
 */
import type { CloudProvider, PricedNode } from '../../cloudprovider/types';
import { Labels } from '../../../sdk/api/well-known';
import type { NodePool } from '../../kube/objects';
import { savingsPlanCommitment, savingsPlanCoveredNodes, savingsPlanUsed } from '../../metrics';
import type { InstanceType } from '../../scheduling/instance-types';
import {
  computeCoverage,
  Coverage,
  withCoverage,
  type CoverageNode,
  type SavingsPlan,
} from '../../scheduling/savings-plans';
import type { ClusterState, StateNode } from '../../state/cluster-state';

export class SavingsPlanPricing {
  private current: Coverage = Coverage.none;
  private forNodes: readonly StateNode[] | undefined;
  private pending: Promise<Coverage> | undefined;

  constructor(
    readonly plans: readonly SavingsPlan[],
    /** The cloud the plans discount (NodeOverlays applied): its prices are the on-demand prices. */
    private readonly base: CloudProvider,
    private readonly state: ClusterState,
  ) {
    for (const p of plans) savingsPlanCommitment.set({ savings_plan: p.name }, p.commitmentPerHour);
  }

  /** The coverage last worked out (Coverage.none before the first). */
  get coverage(): Coverage {
    return this.current;
  }

  /** USD/hour to add to a running node's price (its type's, as getInstanceTypes shows it) to get what it bills. */
  adjustment(n: PricedNode): number {
    return this.current.adjustment(n.nodeClaim?.metadata.name ?? n.name);
  }

  /** The coverage of the cluster's nodes now, worked out again only when they have changed. */
  async refresh(): Promise<Coverage> {
    const nodes = this.state.stateNodes();
    if (nodes === this.forNodes) return this.current;
    if (this.pending) return this.pending;
    this.pending = this.compute(nodes).finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async compute(stateNodes: readonly StateNode[]): Promise<Coverage> {
    const typesByPool = new Map<string, Map<string, InstanceType> | undefined>();
    const pools = new Map(this.state.nodePools.list().map((np) => [np.metadata.name ?? '', np]));
    const typesOf = async (pool: NodePool | undefined) => {
      const name = pool?.metadata.name ?? '';
      if (!typesByPool.has(name)) {
        let byName: Map<string, InstanceType> | undefined;
        try {
          byName = pool
            ? new Map((await this.base.getInstanceTypes(pool)).map((it) => [it.name, it]))
            : undefined;
        } catch {
          // Priced at the next change; until then its nodes are not covered.
          byName = undefined;
        }
        typesByPool.set(name, byName);
      }
      return typesByPool.get(name);
    };
    const nodes: CoverageNode[] = [];
    for (const n of stateNodes) {
      const claim = n.nodeClaim;
      if (!n.managed || !claim) continue;
      const labels = { ...claim.metadata.labels, ...n.labels };
      const instanceType = labels[Labels.instanceType];
      const capacityType = labels[Labels.capacityType];
      const zone = labels[Labels.zone];
      // Not launched yet: nothing bills.
      if (!instanceType || capacityType !== 'on-demand') continue;
      const it = (await typesOf(pools.get(n.nodePoolName ?? '')))?.get(instanceType);
      const offering = it?.offerings.find(
        (o) => o.capacityType === capacityType && (!zone || o.zone === zone),
      );
      if (!offering) continue;
      nodes.push({
        name: claim.metadata.name ?? n.name,
        instanceType,
        capacityType,
        price: offering.price,
        since: Date.parse(claim.metadata.creationTimestamp ?? '') || 0,
      });
    }
    const coverage = computeCoverage(this.plans, nodes);
    for (const [name, u] of coverage.usage) {
      savingsPlanUsed.set({ savings_plan: name }, u.used);
      savingsPlanCoveredNodes.set({ savings_plan: name }, u.nodes);
    }
    this.current = coverage;
    this.forNodes = stateNodes;
    return coverage;
  }

  /** `cloud` (the base, NodeOverlays applied) with the plans' rates on the offerings new capacity would bill at. */
  wrap(cloud: CloudProvider): CloudProvider {
    const getInstanceTypes = async (nodePool: NodePool): Promise<InstanceType[]> => {
      const types = await cloud.getInstanceTypes(nodePool);
      return withCoverage(types, await this.refresh());
    };
    const nodePriceAdjustment = (n: PricedNode) => this.adjustment(n);
    return new Proxy(cloud, {
      get(target, prop) {
        if (prop === 'getInstanceTypes') return getInstanceTypes;
        if (prop === 'nodePriceAdjustment') return nodePriceAdjustment;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
