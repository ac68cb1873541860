/** Reads what a cost report needs from a cluster and its cloud (the I/O beside the pure report.ts). */
import type { CloudProvider } from '../cloudprovider/types';
import type { KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import type { Node, Pod } from '../kube/objects';
import type { InstanceType } from '../scheduling/instance-types';
import type { PriceLookup } from '../viewer/model';
import { costReport, type CostReport } from './report';
import type { SavingsPlan } from '../scheduling/savings-plans';

export async function gatherCost(opts: {
  api: KubeApi;
  cloud: Pick<CloudProvider, 'getInstanceTypes'>;
  priceOf: PriceLookup;
  /** Already at hand (the simulator's); else listed. */
  nodes?: Node[];
  pods?: Pod[];
  /** SAVINGS_PLANS (see CostInput). @default none */
  savingsPlans?: readonly SavingsPlan[];
}): Promise<CostReport> {
  const { api } = opts;
  const [nodes, pods, nodePools] = await Promise.all([
    opts.nodes ?? api.list(Kinds.Node).then((l) => l.items),
    opts.pods ?? api.list(Kinds.Pod).then((l) => l.items),
    api.list(Kinds.NodePool).then((l) => l.items),
  ]);
  const instanceTypes = new Map<string, InstanceType[]>();
  for (const pool of nodePools) {
    // A pool whose node class is missing or refused has no types: its bound is left out, not guessed.
    const types = await opts.cloud.getInstanceTypes(pool).catch(() => []);
    instanceTypes.set(pool.metadata.name ?? '', types);
  }
  return costReport({
    nodes,
    pods,
    nodePools,
    priceOf: opts.priceOf,
    instanceTypes,
    ...(opts.savingsPlans ? { savingsPlans: opts.savingsPlans } : {}),
  });
}
