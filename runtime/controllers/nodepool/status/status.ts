/**
 * A NodePool's status, as upstream's nodepool counter, readiness and validation controllers write it (pure; the
 * status controller beside it applies it):
 * - `resources`: the capacity of the pool's nodes (launched or launching, not being deleted), with cpu, memory,
 *   pods, ephemeral-storage and `nodes` always present; `nodes`: their count.
 * - `resources["karpenter-ts.sh/cost-per-hour"]`, only on a pool with that spend cap: USD/hour of its nodes as the
 *   cap counts them (runtime/scheduling/spend.ts, deleting nodes included), to 4 decimals.
 * - `ValidationSucceeded`: the spec passes the schema (what CEL cannot check), else False/NodePoolValidationFailed.
 * - `NodeClassReady`: the node class exists, is not being deleted, and its own Ready is True (a cloud that keeps
 *   no node class status, kwok or the simulator, counts an existing one as ready).
 * - `Ready`: True when both are; else False/UnhealthyDependents naming the ones that are not.
 * - `NodeRegistrationHealthy`: the verdict of recent launches (registration-health.ts), at the pool's generation,
 *   and `nodeClassObservedGeneration`: the node class generation it was judged under (kept while the class is gone).
 */
import type { Condition } from '../../../../sdk';
import { CostPerHourLimit } from '../../../../sdk/api/well-known';
import { nodePoolSchema } from '../../../../sdk/api/nodepool';
import { validate } from '../../../../sdk/api/validate';
import { setCondition } from '../../../kube/conditions';
import type { EC2NodeClass, NodePool } from '../../../kube/objects';
import { addInto, toResourceList, type Resources } from '../../../scheduling/resources';
import { registrationCondition, type Verdict } from './registration-health';

export type NodePoolStatus = NonNullable<NodePool['status']>;

const BASE: Resources = { cpu: 0, memory: 0, pods: 0, 'ephemeral-storage': 0, nodes: 0 };
const DEPENDENTS = ['ValidationSucceeded', 'NodeClassReady'] as const;

export interface NodePoolStatusInput {
  nodePool: NodePool;
  /** Capacity of each of the pool's nodes, launched or launching, that is not being deleted. */
  capacities: Resources[];
  nodeClass: EC2NodeClass | undefined;
  /** The cloud writes node class status (AWS); otherwise an existing node class counts as ready. */
  nodeClassStatusManaged: boolean;
  now: number;
  /** USD/hour of the pool's nodes, on a pool with a spend cap; unknown (the catalog unreadable): left out. */
  costPerHour?: number;
  /** NodeRegistrationHealthy as the pool's recent launches have it (reset already applied). */
  registration: Verdict;
}

function nodeClassReadiness(i: NodePoolStatusInput): [Condition['status'], string, string] {
  const nc = i.nodeClass;
  if (!nc) return ['False', 'NodeClassNotFound', 'NodeClass not found on cluster'];
  if (nc.metadata.deletionTimestamp) return ['False', 'NodeClassTerminating', 'NodeClass is Terminating'];
  if (!i.nodeClassStatusManaged) return ['True', 'NodeClassReady', ''];
  const ready = nc.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready || ready.status === 'Unknown')
    return ['False', 'NodeClassReadinessUnknown', 'Node Class Readiness Unknown'];
  if (ready.status === 'False') return ['False', ready.reason ?? 'NodeClassNotReady', ready.message ?? ''];
  return ['True', 'NodeClassReady', ''];
}

export function nodePoolStatus(i: NodePoolStatusInput): NodePoolStatus {
  const total: Resources = { ...BASE };
  for (const c of i.capacities) addInto(total, c);
  total.nodes = i.capacities.length;

  let conditions = i.nodePool.status?.conditions;
  const checked = validate(nodePoolSchema, i.nodePool);
  conditions = checked.success
    ? setCondition(conditions, 'ValidationSucceeded', 'True', i.now)
    : setCondition(
        conditions,
        'ValidationSucceeded',
        'False',
        i.now,
        'NodePoolValidationFailed',
        checked.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
      );
  const [status, reason, message] = nodeClassReadiness(i);
  conditions = setCondition(conditions, 'NodeClassReady', status, i.now, reason, message);
  const unhealthy = DEPENDENTS.flatMap((type) => {
    const c = conditions?.find((x) => x.type === type);
    return c && c.status === 'True' ? [] : [`${type}=${c?.status ?? 'Unknown'}`];
  });
  conditions = unhealthy.length
    ? setCondition(conditions, 'Ready', 'False', i.now, 'UnhealthyDependents', unhealthy.join(', '))
    : setCondition(conditions, 'Ready', 'True', i.now);
  conditions = registrationCondition(conditions, i.registration, i.nodePool.metadata.generation ?? 0, i.now);
  const resources: Record<string, string> = toResourceList(total);
  if (i.costPerHour !== undefined) resources[CostPerHourLimit] = i.costPerHour.toFixed(4);
  const observed = i.nodeClass ? { nodeClassObservedGeneration: i.nodeClass.metadata.generation ?? 0 } : {};
  return { ...i.nodePool.status, resources, nodes: i.capacities.length, ...observed, conditions };
}

/** JSON with object keys sorted: the same value whatever order the API server or this code wrote keys in. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** Whether writing `next` would change what the NodePool shows (unchanged conditions keep their times). */
export function statusChanged(current: NodePool['status'], next: NodePoolStatus): boolean {
  return sortedJson(current ?? {}) !== sortedJson(next);
}
