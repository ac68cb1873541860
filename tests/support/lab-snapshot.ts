/** A snapshot of a settled seed-lab cluster, for the simulate tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLabManifests } from '../../runtime/lab/seed-lab';
import type { NodePool } from '../../runtime/kube/objects';
import { Simulation } from '../../runtime/simulator/simulation';
import {
  collectSnapshot,
  loadSnapshot,
  serializeSnapshot,
  type ClusterSnapshot,
} from '../../runtime/simulate/snapshot';

export const APP = { namespace: 'my-cool-app', name: 'fastapi-deployment' };
export const POOL = 'developers-workshop-pool';

/**
 * A snapshot of a settled lab cluster (a static node, the workshop pool with `replicas` app pods), taken with the
 * same list calls a kubeconfig snapshot makes, written to a file and read back as `simulate --snapshot` reads it.
 */
export async function labSnapshot(
  replicas: number,
  pool?: (p: NodePool) => void,
): Promise<ClusterSnapshot & { file: string }> {
  const m = loadLabManifests();
  const sim = new Simulation({ startTime: Date.parse('2026-01-05T10:00:00Z') });
  await sim.start();
  try {
    for (const n of m.cluster.staticNodes) await sim.addStaticNode(n);
    const nodePool = structuredClone(m.nodePool) as NodePool[];
    nodePool.forEach((p) => pool?.(p));
    await sim.apply([...m.nodeClass, ...nodePool, ...m.cluster.workloads, ...m.db, ...m.app]);
    await sim.settle();
    await sim.scale('Deployment', APP.namespace, APP.name, replicas);
    await sim.settle();
    const snap = await collectSnapshot(sim.api, 'lab', sim.clock.now());
    const file = join(mkdtempSync(join(tmpdir(), 'simulate-')), 'snapshot.yaml');
    writeFileSync(file, serializeSnapshot(snap));
    return { ...loadSnapshot(file, 0), file };
  } finally {
    sim.stop();
  }
}
