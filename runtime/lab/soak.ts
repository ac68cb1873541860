/**
 * The lab under faults, many times over: each seeded run replays the seed lab with a fault profile and checks
 * that every step settles to the seed's node counts with no pod pending, no duplicate launch, no leaked instance
 * and no orphan Node, and that an hour of quiet cluster time afterwards disrupts nothing (no flapping).
 */
import { Kinds } from '../kube/kinds';
import type { FaultProfile } from '../simulator/faults';
import { runLab, type LabManifests } from './seed-lab';

/** Cluster time watched after the last step for disruptions nobody asked for. */
export const NO_FLAP_WINDOW_MS = 60 * 60_000;

export interface SoakRun {
  seed: number;
  /** Every step settled to the seed's node count with no pod pending. */
  converged: boolean;
  nodeCounts: number[];
  pendingPods: number[];
  duplicateLaunches: number;
  leakedInstances: number;
  orphanNodes: number;
  /** NodeClaims created or deleted in the hour after the lab finished. */
  flaps: number;
  faultsInjected: number;
}

export async function soakRun(profile: FaultProfile, manifests?: LabManifests): Promise<SoakRun> {
  let flaps = 0;
  const frames = await runLab({
    ...(manifests ? { manifests } : {}),
    faults: profile,
    afterSteps: async (sim) => {
      const claims = () => new Set(sim.api.peekAll(Kinds.NodeClaim).map((c) => c.metadata.uid));
      const before = claims();
      await sim.clock.advance(NO_FLAP_WINDOW_MS);
      const after = claims();
      for (const uid of after) if (!before.has(uid)) flaps++;
      for (const uid of before) if (!after.has(uid)) flaps++;
    },
  });
  const last = frames[frames.length - 1];
  const sum = (pick: (c: NonNullable<typeof last>['convergence']) => string[]) =>
    frames.reduce((n, f) => Math.max(n, pick(f.convergence).length), 0);
  return {
    seed: profile.seed,
    converged: frames.every((f) => f.settled && f.pendingPods === 0 && f.nodes.length === f.expectedNodes),
    nodeCounts: frames.map((f) => f.nodes.length),
    pendingPods: frames.map((f) => f.pendingPods),
    duplicateLaunches: sum((c) => c.duplicateLaunches),
    leakedInstances: sum((c) => c.leakedInstances),
    orphanNodes: sum((c) => c.orphanNodes),
    flaps,
    faultsInjected: Object.values(last?.faultsInjected ?? {}).reduce((a, b) => a + b, 0),
  };
}

export interface SoakSummary {
  runs: number;
  converged: number;
  withDuplicates: number;
  withLeaks: number;
  withOrphans: number;
  withFlaps: number;
  faultsInjected: number;
  failures: SoakRun[];
}

export function summarize(runs: SoakRun[]): SoakSummary {
  const failures = runs.filter(
    (r) => !r.converged || r.duplicateLaunches + r.leakedInstances + r.orphanNodes + r.flaps > 0,
  );
  return {
    runs: runs.length,
    converged: runs.filter((r) => r.converged).length,
    withDuplicates: runs.filter((r) => r.duplicateLaunches > 0).length,
    withLeaks: runs.filter((r) => r.leakedInstances > 0).length,
    withOrphans: runs.filter((r) => r.orphanNodes > 0).length,
    withFlaps: runs.filter((r) => r.flaps > 0).length,
    faultsInjected: runs.reduce((n, r) => n + r.faultsInjected, 0),
    failures,
  };
}
