/**
 * Disruption safety over random scenarios, checked after every write the API server stores: whatever the
 * PodDisruptionBudget (maxUnavailable 0 or 1, minAvailable = replicas), do-not-disrupt pods and nodes, budget
 * (0, 1, 10%, none for Underutilized) and change (scale-down, drift, both), the controller never makes more pods
 * unavailable than the PDB allows, never disrupts more nodes than the budget allows, never voluntarily evicts a
 * do-not-disrupt pod or disrupts a do-not-disrupt node, loses no pod, and (scale-downs) never raises the cost. The limits are computed here from the
 * scenario, not with the controller's own functions. `PROPERTY_RUNS=1000 npm run test:properties` runs the full
 * count (docs/TESTING.md); npm test runs a fast one.
 */
import fc from 'fast-check';
import { Kinds } from '../runtime/kube/kinds';
import { nameOf, type NodeClaim, type NodePool, type Pod } from '../runtime/kube/objects';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, applySiblingDeployment, labCluster, pdb, workshopNodes } from './support/cluster';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);
const TYPES = ['t3a.medium', 't3a.large', 't3a.xlarge', 'm5.large'];
const DISRUPTED = 'karpenter.sh/disrupted';
const DO_NOT_DISRUPT = 'karpenter.sh/do-not-disrupt';

type Pdb = 'none' | 'maxUnavailable0' | 'maxUnavailable1' | 'minAvailableAll';
type BudgetKind = '0' | '1' | '10%' | 'noUnderutilized';
type Change = 'scaleDown' | 'drift' | 'both';

interface Scenario {
  types: string[];
  cpu: string;
  up: number;
  down: number;
  pdb: Pdb;
  budget: BudgetKind;
  change: Change;
  pinnedPod: boolean;
  pinnedNode: boolean;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    types: fc.subarray(TYPES, { minLength: 1 }),
    cpu: fc.constantFrom('250m', '500m', '900m'),
    up: fc.integer({ min: 2, max: 10 }),
    downShare: fc.double({ min: 0.1, max: 0.9, noNaN: true }),
    pdb: fc.constantFrom<Pdb>('none', 'maxUnavailable0', 'maxUnavailable1', 'minAvailableAll'),
    budget: fc.constantFrom<BudgetKind>('0', '1', '10%', 'noUnderutilized'),
    change: fc.constantFrom<Change>('scaleDown', 'drift', 'both'),
    pinnedPod: fc.boolean(),
    pinnedNode: fc.boolean(),
  })
  .map(({ downShare, ...s }) => ({ ...s, down: Math.max(1, Math.floor(s.up * downShare)) }));

/** USD/hour of the pool's running instances. */
function clusterPrice(sim: Simulation): number {
  const live = new Set(workshopNodes(sim).map((n) => n.spec?.providerID));
  return sim.cloud
    .allInstances()
    .filter((i) => i.state !== 'terminated' && live.has(i.providerID))
    .reduce((sum, i) => sum + i.price, 0);
}

function budgetsOf(kind: BudgetKind): NodePool['spec']['disruption']['budgets'] {
  if (kind === 'noUnderutilized')
    return [
      { nodes: '0', reasons: ['Underutilized'] },
      { nodes: '1', reasons: ['Empty', 'Drifted'] },
    ];
  return [{ nodes: kind }];
}

/** The most nodes of the pool that may be disrupting at once, computed from the scenario. */
function budgetCap(kind: BudgetKind, managedNodes: number): number {
  switch (kind) {
    case '0':
      return 0;
    case '10%':
      return Math.ceil(0.1 * managedNodes);
    default:
      return 1;
  }
}

interface Watch {
  violations: string[];
  /** App pods evicted by the controller. */
  readonly evictions: number;
  stop: () => void;
}

/** How many scenarios actually disrupted something: a property never exercised proves nothing. */
const exercised = { removed: 0, replaced: 0, evicted: 0, cheaper: 0 };

/** Check the invariants on every write; violations are collected (a throw inside a write would hide them). */
function watchInvariants(sim: Simulation, s: Scenario, pinnedNode: string | undefined): Watch {
  const violations: string[] = [];
  const app = () => sim.api.peek(Kinds.Deployment, APP, APP_NS)?.spec.replicas ?? 0;
  const note = (v: string) => {
    if (violations.length < 5) violations.push(`at ${new Date(sim.clock.now()).toISOString()}: ${v}`);
  };
  // App pods the controller evicted (successfully): the PDB check is about voluntary disruption only.
  const evicted = new Set<string>();
  const evict = sim.api.evict.bind(sim.api);
  sim.api.evict = async (name, namespace) => {
    await evict(name, namespace);
    if (name.startsWith('fastapi-deployment-')) evicted.add(`${namespace}/${name}`);
  };
  const stop = sim.api.onWrite((kind, type, obj) => {
    const claims = sim.api.peekAll(Kinds.NodeClaim);
    const nodes = workshopNodes(sim);
    // Budgets: nodes of the pool disrupting (tainted, or their claim deleting).
    const disrupting = claims.filter(
      (c) =>
        c.metadata.deletionTimestamp ||
        nodes.some(
          (n) =>
            n.spec?.providerID === c.status?.providerID && n.spec?.taints?.some((t) => t.key === DISRUPTED),
        ),
    );
    const cap = budgetCap(s.budget, claims.length);
    if (disrupting.length > cap)
      note(`${disrupting.length} nodes disrupting, budget ${s.budget} allows ${cap}`);
    if (s.budget === 'noUnderutilized' && kind.kind === 'NodeClaim') {
      const reason = (obj as NodeClaim).status?.conditions?.find((c) => c.type === 'DisruptionReason');
      if (reason?.reason === 'Underutilized')
        note(`${obj.metadata.name} consolidated though Underutilized allows 0`);
    }
    // PodDisruptionBudget: no eviction of an app pod when it allows none; with one allowed, never fewer running
    // than one short of the app's size once an eviction happened (scale-downs are not disruptions).
    if (s.pdb !== 'none' && evicted.size > 0) {
      if (s.pdb !== 'maxUnavailable1')
        note(`app pods evicted though the PDB (${s.pdb}) allows none: ${[...evicted]}`);
      const running = sim
        .pods()
        .filter(
          (p) =>
            p.metadata.labels?.app === 'fastapi-app' &&
            !p.metadata.deletionTimestamp &&
            p.status?.phase === 'Running',
        ).length;
      if (running < app() - 1) note(`${running} app pods running, the PDB needs ${app() - 1}`);
    }
    // do-not-disrupt: the pinned pod is never evicted, the pinned node never tainted or its claim deleted.
    if (kind.kind === 'Pod' && (obj as Pod).metadata.annotations?.[DO_NOT_DISRUPT] === 'true') {
      if (type === 'DELETED' || obj.metadata.deletionTimestamp)
        note(`do-not-disrupt pod ${obj.metadata.name} deleted`);
    }
    if (pinnedNode && kind.kind === 'Node' && obj.metadata.name === pinnedNode) {
      const node = obj as (typeof nodes)[number];
      if (type === 'DELETED' || node.spec?.taints?.some((t) => t.key === DISRUPTED))
        note(`do-not-disrupt node ${pinnedNode} disrupted`);
    }
  });
  return {
    violations,
    get evictions() {
      return evicted.size;
    },
    stop,
  };
}

async function run(s: Scenario): Promise<void> {
  const sim = await labCluster({
    replicas: s.up,
    appCpu: s.cpu,
    editPool: (pool) => {
      const req = pool.spec.template.spec.requirements.find(
        (r) => r.key === 'node.kubernetes.io/instance-type',
      );
      if (req) req.values = s.types;
      pool.spec.disruption.budgets = budgetsOf(s.budget);
    },
  });
  try {
    if (s.pinnedPod) {
      await applySiblingDeployment(sim, 'pinned', 1, '100m', (d) => {
        d.spec.template.metadata = { ...d.spec.template.metadata, annotations: { [DO_NOT_DISRUPT]: 'true' } };
      });
    }
    if (s.pdb !== 'none') {
      // minAvailable: the app's size once the change is made, so no eviction is ever allowed.
      const spec =
        s.pdb === 'minAvailableAll'
          ? { minAvailable: s.change === 'drift' ? s.up : s.down }
          : { maxUnavailable: s.pdb === 'maxUnavailable0' ? 0 : 1 };
      await sim.apply([pdb('app', { selector: { matchLabels: { app: 'fastapi-app' } }, ...spec })]);
    }
    await sim.settle();
    const pinnedNode = s.pinnedNode
      ? (workshopNodes(sim)[0]?.metadata.name as string | undefined)
      : undefined;
    if (pinnedNode) {
      await sim.api.patch(Kinds.Node, pinnedNode, {
        metadata: { annotations: { [DO_NOT_DISRUPT]: 'true' } },
      });
    }
    const watch = watchInvariants(sim, s, pinnedNode);
    if (s.change !== 'drift') await sim.scale('Deployment', APP_NS, APP, s.down);
    if (s.change !== 'scaleDown') {
      const pool = sim.api.peekAll(Kinds.NodePool)[0] as NodePool;
      await sim.api.patch(Kinds.NodePool, nameOf(pool), {
        spec: {
          template: { metadata: { labels: { 'workload-type': 'developers-workshop', revision: '2' } } },
        },
      });
    }
    const claimsBefore = new Set(sim.api.peekAll(Kinds.NodeClaim).map((c) => c.metadata.uid));
    const priceBefore = clusterPrice(sim);
    const settled = await sim.settle({ maxMs: 45 * 60_000 });
    watch.stop();
    if (sim.api.peekAll(Kinds.NodeClaim).some((c) => !claimsBefore.has(c.metadata.uid))) exercised.replaced++;
    if (
      [...claimsBefore].some((uid) => !sim.api.peekAll(Kinds.NodeClaim).some((c) => c.metadata.uid === uid))
    )
      exercised.removed++;
    if (watch.evictions > 0) exercised.evicted++;
    expect(watch.violations).toEqual([]);
    // No pod lost: every replica runs, on a node.
    const pending = sim.pods().filter((p) => !p.spec.nodeName || p.status?.phase !== 'Running');
    expect(pending.map((p) => p.metadata.name)).toEqual([]);
    expect(settled.settled).toBe(true);
    // A scale-down alone never leaves the pool costing more (drift may: its replacements follow the new template).
    if (s.change === 'scaleDown') expect(clusterPrice(sim)).toBeLessThanOrEqual(priceBefore + 1e-9);
    if (clusterPrice(sim) < priceBefore - 1e-9) exercised.cheaper++;
  } finally {
    sim.stop();
  }
}

describe('disruption safety over random scenarios', () => {
  it(
    `holds PDBs, budgets and do-not-disrupt after every write, and loses no pod (${RUNS} scenarios)`,
    async () => {
      await fc.assert(fc.asyncProperty(scenario, run), { numRuns: RUNS, seed: 20261201 });
      console.log(`disruption safety: ${RUNS} scenarios, ${JSON.stringify(exercised)}`);
      expect(exercised.removed).toBeGreaterThan(RUNS / 5);
      expect(exercised.replaced).toBeGreaterThan(RUNS / 20);
      expect(exercised.evicted).toBeGreaterThan(RUNS / 20);
      expect(exercised.cheaper).toBeGreaterThan(RUNS / 10);
    },
    30 * 60_000,
  );
});
