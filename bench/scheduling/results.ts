/** The shape of bench/results/scheduling.json, shared by the runner and the report. */
import type { ClassSummary } from './analyse';
import type { BenchmarkVariant } from './fixtures';

export type RunStatus = 'ok' | 'timeout' | 'out-of-memory' | 'crashed';

export interface Failed {
  status: Exclude<RunStatus, 'ok'>;
  message: string;
}

export interface Measurement {
  /** Median over `repeat` solves of the time spent in schedule() alone. */
  solveMs: number;
  solveMsAll: number[];
  /** Largest heap in use during the solve (input and instance types included). */
  peakHeapMiB: number;
  /** Heap in use just before the solve, after a full GC: mostly the input. */
  heapBeforeSolveMiB: number;
  gcMs: number;
  gcCount: number;
}

export interface GenericOk extends Measurement {
  size: number;
  status: 'ok';
  podsPerSecond: number;
  nodeClaims: number;
  scheduled: number;
  unschedulable: number;
  /** Placed, but the plan breaks the pod's spread or (anti-)affinity. */
  violated: number;
  cpuUtilisation: number;
  memoryUtilisation: number;
  podsPerClaim: { min: number; max: number; mean: number };
  /** Claims ≥ 95% full on cpu or memory and < 50% on the other. */
  oneSidedClaims: number;
}

export interface DiverseOk extends GenericOk {
  variant: BenchmarkVariant;
  /** Claims left with fewer instance types than the NodePool's minValues. */
  minValuesShortfalls: number;
  classes: ClassSummary[];
}

export interface RealisticOk extends Measurement {
  status: 'ok';
  /** The capacity types the NodePool allows; absent in results recorded before it was a choice (both). */
  capacityTypes?: string[];
  deployments: number;
  pods: number;
  instanceTypes: number;
  nodeClaims: number;
  unschedulable: number;
  cpuUtilisation: number;
  memoryUtilisation: number;
  dollarsPerHour: number;
  lowerBoundDollarsPerHour: number;
  costOverLowerBound: number;
  /**
   * The bound that also knows pods are indivisible (see ratioAwareLowerBound); absent in results recorded before
   * it existed.
   */
  ratioAwareBound?: { dollarsPerHour: number; mix: string };
  requestedVcpu: number;
  requestedGiB: number;
  cheapestPerVcpu: { instanceType: string; capacityType: string; zone: string; dollars: number };
  cheapestPerGiB: { instanceType: string; capacityType: string; zone: string; dollars: number };
  chosen: { name: string; count: number }[];
  oneSidedClaims: number;
  /** Claims on GPU instance types whose pods request no GPU. */
  gpuClaimsWithoutGpuPods: number;
}

export type DiverseRun = DiverseOk | (Failed & { variant: BenchmarkVariant; size: number });
export type GenericRun = GenericOk | (Failed & { size: number });
export type RealisticRun = RealisticOk | Failed;

export interface BenchmarkResults {
  schema: 1;
  machine: { cpuModel: string; cores: number; totalMemoryGiB: number; platform: string; node: string };
  date: string;
  command: string;
  gitCommit: string;
  /** The working tree had uncommitted changes when the benchmark ran. */
  gitDirty: boolean;
  /** 1-, 5- and 15-minute load averages when the run started: other work on the machine skews the times. */
  loadAverageAtStart: number[];
  seed: number;
  repeat: number;
  timeoutSeconds: number;
  diverse: DiverseRun[];
  generic: GenericRun[];
  realistic: RealisticRun | undefined;
  /** The same workload on a spot-only and an on-demand-only NodePool; absent in older results. */
  realisticSingleCapacity?: RealisticRun[];
}

/** Karpenter's published Solve times for this input (seconds), from ANCHORS.md §6. */
export const KARPENTER_PUBLISHED: ReadonlyMap<number, number> = new Map([
  [1000, 0.89],
  [2000, 1.63],
  [5000, 5.09],
  [10000, 12.07],
  [20000, 35.7],
]);
