/**
 * `karpenter-ts simulate` without the command line: a snapshot and what-ifs in, a report out. Everything runs on
 * the embedded simulator; the cluster the snapshot came from is never written to.
 */
import { Kinds } from '../kube/kinds';
import type { KubeObject } from '../kube/objects';
import type { Logger } from '../logging';
import { applySet, loadSimulation } from './load';
import type { SimulateReport } from './report';
import { clusterTotals, runSimulation } from './run';
import type { ClusterSnapshot } from './snapshot';

export interface ScaleChange {
  namespace: string;
  name: string;
  replicas: number;
}

/** `[namespace/]name=replicas`, as `--scale` takes it. */
export function parseScale(spec: string): ScaleChange {
  const m = /^(?:([a-z0-9][-a-z0-9.]*)\/)?([a-z0-9][-a-z0-9.]*)=(\d+)$/.exec(spec.trim());
  if (!m)
    throw new Error(
      `--scale ${spec}: expected [namespace/]name=replicas, e.g. --scale shop/web=12 (a Deployment or StatefulSet)`,
    );
  return { namespace: m[1] ?? 'default', name: m[2] as string, replicas: Number(m[3]) };
}

export interface SimulateOptions {
  /** NodePools, EC2NodeClasses, NodeOverlays replacing (or added to) the snapshot's. @default none */
  set?: KubeObject[];
  /** Workloads scaled at the start of the run. @default none */
  scale?: ScaleChange[];
  /** Cluster time to simulate. @default 360 (6 hours) */
  durationMinutes?: number;
  logger?: Logger;
  onMinute?: (minute: number) => void;
}

export const DEFAULT_DURATION_MINUTES = 360;

export async function simulate(
  snapshot: ClusterSnapshot,
  opts: SimulateOptions = {},
): Promise<SimulateReport> {
  const durationMinutes = opts.durationMinutes ?? DEFAULT_DURATION_MINUTES;
  const objects = applySet(snapshot.objects, opts.set ?? []);
  const pods = snapshot.objects.filter((o) => o.kind === 'Pod').length;
  const { sim, plan } = await loadSimulation(
    { ...snapshot, objects },
    opts.logger ? { logger: opts.logger } : {},
  );
  try {
    // The snapshot's nodes and pods as they are (a --set changes only the pools' lower bounds yet).
    const before = await clusterTotals(sim);
    for (const s of opts.scale ?? []) {
      const kind = (await sim.api.get(Kinds.Deployment, s.name, s.namespace))
        ? 'Deployment'
        : (await sim.api.get(Kinds.StatefulSet, s.name, s.namespace))
          ? 'StatefulSet'
          : undefined;
      if (!kind)
        throw new Error(
          `--scale ${s.namespace}/${s.name}: no Deployment or StatefulSet of that name in the snapshot (namespace defaults to "default")`,
        );
      await sim.scale(kind, s.namespace, s.name, s.replicas);
    }
    const result = await runSimulation(sim, {
      durationMinutes,
      ...(opts.onMinute ? { onMinute: opts.onMinute } : {}),
    });
    return {
      version: 1,
      snapshot: {
        takenAt: snapshot.takenAt,
        source: snapshot.source,
        nodes: snapshot.objects.filter((o) => o.kind === 'Node').length,
        pods,
        nodePools: snapshot.objects.filter((o) => o.kind === 'NodePool').map((o) => o.metadata.name ?? ''),
      },
      whatIf: {
        set: (opts.set ?? []).map((o) => `${o.kind}/${o.metadata.name ?? ''}`),
        scale: (opts.scale ?? []).map((s) => ({
          workload: `${s.namespace}/${s.name}`,
          replicas: s.replicas,
        })),
      },
      durationMinutes,
      before,
      notes: plan.notes,
      ...result,
    };
  } finally {
    sim.stop();
  }
}
