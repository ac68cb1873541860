/**
 * A snapshot into the embedded simulator, existing nodes as they are: every launched NodeClaim's instance is
 * adopted by the simulated cloud (same type, zone, capacity type and launch time), so the controller neither
 * relaunches it nor garbage-collects it; Nodes no NodeClaim owns (a managed node group) load as they are, priced
 * from their labels. Objects keep their uids, so pods stay owned by their ReplicaSets and Deployments can scale.
 * `planLoad` is pure (what to restore, what to adopt, what to tell the user); `loadSimulation` does it.
 */
import { Labels } from '../../sdk/api/well-known';
import { nodeClaimRestamp } from '../controllers/hash/stamps';
import type { Catalog } from '../cloudprovider/simulated/catalog';
import type { SimulatedInstance } from '../cloudprovider/simulated/simulated-cloud';
import { Kinds, kindKey, type ResourceKind } from '../kube/kinds';
import type { EC2NodeClass, KubeObject, Node, NodeClaim, NodePool, Pod } from '../kube/objects';
import type { Logger } from '../logging';
import type { OperatorSettings } from '../operator';
import { Simulation, kindOf } from '../simulator/simulation';
import { SNAPSHOT_KINDS, type ClusterSnapshot } from './snapshot';

/** Kinds `--set` may change: the what-ifs the issue asks for, plus NodeOverlays (prices). */
export const SETTABLE_KINDS = new Set(['NodePool', 'EC2NodeClass', 'NodeOverlay']);

export type Adoption = Omit<SimulatedInstance, 'id' | 'price' | 'state'> & {
  /** The claim, when its Node has not registered yet: its kubelet joins after the boot delay. */
  join?: NodeClaim;
};

export interface LoadPlan {
  /** In load order (owners first). */
  objects: { kind: ResourceKind; object: KubeObject }[];
  adoptions: Adoption[];
  /** What the user should know: objects left out, nodes the simulator cannot model faithfully. */
  notes: string[];
}

const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/**
 * Replace the snapshot's NodePools / EC2NodeClasses / NodeOverlays by the `--set` ones (new names are added).
 * NodeClaims stamped by another hash version (upstream Karpenter, an older release) are first re-stamped against
 * the pools and classes they were launched from, so a changed one shows up as drift, as it would in the cluster.
 */
export function applySet(objects: KubeObject[], set: KubeObject[]): KubeObject[] {
  for (const o of set) {
    if (!SETTABLE_KINDS.has(o.kind))
      throw new Error(
        `--set: ${o.kind} ${o.metadata.name ?? ''} cannot be set: give NodePool, EC2NodeClass or NodeOverlay manifests (change workloads with --scale)`,
      );
  }
  const pools = new Map<string, NodePool>();
  const classes = new Map<string, EC2NodeClass>();
  for (const o of objects) {
    if (o.kind === 'NodePool') pools.set(o.metadata.name ?? '', o as NodePool);
    if (o.kind === 'EC2NodeClass') classes.set(o.metadata.name ?? '', o as EC2NodeClass);
  }
  const out = objects.map((o) => {
    if (o.kind !== 'NodeClaim') return o;
    const claim = o as NodeClaim;
    const pool = pools.get(claim.metadata.labels?.[Labels.nodePool] ?? '');
    const stamp = nodeClaimRestamp(claim, pool, classes.get(claim.spec.nodeClassRef.name));
    if (!stamp) return claim;
    return {
      ...claim,
      metadata: { ...claim.metadata, annotations: { ...claim.metadata.annotations, ...stamp } },
    };
  });
  const byKey = new Map(set.map((o) => [key(o), o]));
  const replaced = out.map((o) => {
    const changed = byKey.get(key(o));
    if (!changed) return o;
    byKey.delete(key(o));
    // The object's identity stays (uid, creation time), its spec is the what-if's.
    return {
      ...changed,
      metadata: {
        ...changed.metadata,
        uid: o.metadata.uid,
        creationTimestamp: o.metadata.creationTimestamp,
        annotations: { ...o.metadata.annotations, ...changed.metadata.annotations },
      },
    } as KubeObject;
  });
  return [...replaced, ...byKey.values()];
}

export function planLoad(snapshot: ClusterSnapshot, catalog: Catalog): LoadPlan {
  const notes: string[] = [];
  const order = new Map(SNAPSHOT_KINDS.map((k, i) => [kindKey(k), i]));
  const ignored = new Map<string, number>();
  const objects: LoadPlan['objects'] = [];
  for (const object of snapshot.objects) {
    let kind: ResourceKind | undefined;
    try {
      kind = kindOf(object);
    } catch {
      kind = undefined;
    }
    if (!kind || !order.has(kindKey(kind))) {
      ignored.set(object.kind, (ignored.get(object.kind) ?? 0) + 1);
      continue;
    }
    if (kind === Kinds.Pod && object.metadata.deletionTimestamp) {
      ignored.set('terminating Pod', (ignored.get('terminating Pod') ?? 0) + 1);
      continue;
    }
    objects.push({ kind, object });
  }
  objects.sort((a, b) => (order.get(kindKey(a.kind)) ?? 0) - (order.get(kindKey(b.kind)) ?? 0));
  if (ignored.size)
    notes.push(
      `left out (the simulator does not use them): ${[...ignored].map(([k, n]) => `${n} ${k}`).join(', ')}`,
    );

  const nodes = objects.filter((o) => o.kind === Kinds.Node).map((o) => o.object as Node);
  const claims = objects.filter((o) => o.kind === Kinds.NodeClaim).map((o) => o.object as NodeClaim);
  const nodeByProvider = new Map(nodes.map((n) => [n.spec?.providerID ?? '', n]));
  const owned = new Set<string>();
  const known = new Set(catalog.specs.map((s) => s.name));
  const zones = new Set(catalog.specs.flatMap((s) => s.zones));
  const adoptions: Adoption[] = [];
  for (const claim of claims) {
    const providerID = claim.status?.providerID;
    if (!providerID) continue; // not launched yet: the lifecycle controller launches it
    const node = nodeByProvider.get(providerID);
    if (node) owned.add(node.metadata.name ?? '');
    const labels = { ...node?.metadata.labels, ...claim.metadata.labels };
    const instanceType = labels[Labels.instanceType];
    const zone = labels[Labels.zone];
    const capacityType = labels[Labels.capacityType] as SimulatedInstance['capacityType'] | undefined;
    const name = claim.metadata.name ?? '';
    if (!instanceType || !zone || !capacityType) {
      notes.push(
        `NodeClaim ${name}: no instance type, zone or capacity type label, so no instance to adopt; garbage collection will delete it`,
      );
      continue;
    }
    if (!known.has(instanceType))
      notes.push(
        `NodeClaim ${name}: instance type ${instanceType} is not in the catalog: priced $0, and it drifts (InstanceTypeNotFound)`,
      );
    if (!zones.has(zone))
      notes.push(
        `NodeClaim ${name}: zone ${zone} is not in the catalog's region ${catalog.region}: new nodes launch there instead`,
      );
    adoptions.push({
      providerID,
      instanceType,
      zone,
      capacityType,
      nodeClaimName: name,
      nodeClaimUid: claim.metadata.uid ?? '',
      nodePoolName: labels[Labels.nodePool] ?? '',
      launchedAt: Date.parse(claim.metadata.creationTimestamp ?? snapshot.takenAt),
      ...(node ? {} : { join: claim }),
    });
  }
  for (const node of nodes) {
    const pool = node.metadata.labels?.[Labels.nodePool];
    if (pool && !owned.has(node.metadata.name ?? ''))
      notes.push(
        `Node ${node.metadata.name}: labelled for NodePool ${pool} but no NodeClaim owns it: kept as it is, never planned on or disrupted`,
      );
  }
  return { objects, adoptions, notes };
}

export interface LoadOptions {
  logger?: Logger;
  catalog?: Catalog;
  settings?: OperatorSettings;
}

/** A started simulation holding the snapshot, at the snapshot's time. Nothing outside this process is touched. */
export async function loadSimulation(
  snapshot: ClusterSnapshot,
  opts: LoadOptions = {},
): Promise<{ sim: Simulation; plan: LoadPlan }> {
  const sim = new Simulation({
    startTime: Date.parse(snapshot.takenAt),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.catalog ? { catalog: opts.catalog } : {}),
    ...(opts.settings ? { settings: opts.settings } : {}),
  });
  const plan = planLoad(snapshot, sim.cloud.catalog);
  for (const { kind, object } of plan.objects) {
    try {
      sim.api.restore(kind, object);
    } catch (err) {
      const what = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name ?? ''}`;
      throw new Error(`snapshot: ${what}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }
  for (const { join, ...instance } of plan.adoptions) sim.cloud.adopt(instance, join);
  await sim.start();
  return { sim, plan };
}

/** Pods no node holds, not finished: what provisioning has to place. */
export function pendingPods(pods: Pod[]): Pod[] {
  return pods.filter(
    (p) =>
      !p.spec.nodeName &&
      !p.metadata.deletionTimestamp &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  );
}
