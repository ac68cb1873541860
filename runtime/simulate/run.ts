/**
 * Runs a loaded snapshot forward and writes down what the controller does: each provisioning launch, disruption
 * command and expiry (from the Events it records, priced from the catalog), the cluster every simulated minute,
 * and at the end why each node is still there (`explain node`'s answer) and why pods are still pending.
 */
import { Labels } from '../../sdk/api/well-known';
import type { RecordedEvent } from '../events/recorder';
import { explainNode } from '../explain/explain-node';
import { gatherCost } from '../cost/gather';
import { Kinds } from '../kube/kinds';
import type { Node, NodeClaim, Pod } from '../kube/objects';
import { podKey } from '../scheduling/pod-requirements';
import type { Simulation } from '../simulator/simulation';
import { pendingPods } from './load';
import type { ClusterTotals, SimulateReport, SimulateStep, StepNode } from './report';

const MINUTE = 60_000;

/** A node's price per hour from its labels, as the cost report and the viewer price it. */
function nodePrice(sim: Simulation, labels: Record<string, string> | undefined): number {
  return (
    sim.priceOf(
      labels?.[Labels.instanceType] ?? '',
      labels?.[Labels.capacityType] ?? 'on-demand',
      labels?.[Labels.zone] ?? '',
    ) ?? 0
  );
}

function nodeOf(sim: Simulation, node: Node): StepNode {
  const l = node.metadata.labels ?? {};
  return {
    name: node.metadata.name ?? '',
    nodePool: l[Labels.nodePool] ?? null,
    instanceType: l[Labels.instanceType] ?? '',
    capacityType: l[Labels.capacityType] ?? '',
    zone: l[Labels.zone] ?? '',
    dollarsPerHour: nodePrice(sim, l),
  };
}

/** The node a NodeClaim launched, as the cloud describes it (price included), or undefined before launch. */
function claimNode(sim: Simulation, claimName: string): StepNode | undefined {
  const i = sim.cloud.allInstances().find((x) => x.nodeClaimName === claimName && x.state !== 'terminated');
  if (!i) return undefined;
  return {
    name: i.id,
    nodePool: i.nodePoolName,
    instanceType: i.instanceType,
    capacityType: i.capacityType,
    zone: i.zone,
    dollarsPerHour: i.price,
  };
}

export async function clusterTotals(sim: Simulation): Promise<ClusterTotals> {
  const cost = await gatherCost({
    api: sim.api,
    cloud: sim.cloud,
    priceOf: sim.priceOf,
    nodes: sim.nodes(),
    pods: sim.pods(),
  });
  return {
    nodes: sim.nodes().length,
    dollarsPerHour: round(cost.dollarsPerHour),
    pendingPods: pendingPods(sim.pods()).length,
    pools: cost.pools.map((p) => ({
      nodePool: p.nodePool,
      nodes: p.nodes,
      pods: p.pods,
      dollarsPerHour: round(p.dollarsPerHour),
      boundDollarsPerHour: p.bound ? round(p.bound.dollarsPerHour) : null,
    })),
  };
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** Turns the controller's Events into steps as they happen. */
class StepRecorder {
  readonly steps: SimulateStep[] = [];
  private readonly replacementOf = new Map<string, StepNode[]>();
  private readonly nominated = new Map<string, number>();

  constructor(
    private readonly sim: Simulation,
    private readonly start: number,
  ) {}

  private newStep(e: RecordedEvent, action: SimulateStep['action'], reason: string): SimulateStep {
    const s: SimulateStep = {
      minute: Math.floor((e.time - this.start) / MINUTE),
      at: new Date(e.time).toISOString(),
      action,
      reason,
      nodes: [],
      replacements: [],
      pods: 0,
      dollarsPerHourChange: 0,
    };
    this.steps.push(s);
    return s;
  }

  private podsOn(nodeName: string): number {
    return this.sim.pods().filter((p) => p.spec.nodeName === nodeName && p.status?.phase !== 'Succeeded')
      .length;
  }

  onEvent(e: RecordedEvent): void {
    const last = this.steps[this.steps.length - 1];
    if (e.reason === 'Nominated') {
      const claim = /nodeclaim\/(\S+)/.exec(e.message)?.[1];
      if (claim) this.nominated.set(claim, (this.nominated.get(claim) ?? 0) + 1);
    } else if (e.reason === 'DisruptionTerminating' && e.kind === 'Node') {
      const reason = /: ([A-Za-z]+)\//.exec(e.message)?.[1] ?? 'Unknown';
      const node = this.sim.api.peek(Kinds.Node, e.name);
      if (!node) return;
      const s =
        last?.action === 'disrupt' && last.reason === reason && last.at === new Date(e.time).toISOString()
          ? last
          : this.newStep(e, 'disrupt', reason);
      const n = nodeOf(this.sim, node);
      s.nodes.push(n);
      s.pods += this.podsOn(n.name);
      s.dollarsPerHourChange = round(s.dollarsPerHourChange - n.dollarsPerHour);
    } else if (e.reason === 'DisruptionLaunching' && last?.action === 'disrupt') {
      this.replacementOf.set(e.name, last.replacements);
      last.replacements.push({
        name: e.name,
        nodePool: null,
        instanceType: '(not launched yet)',
        capacityType: '',
        zone: '',
        dollarsPerHour: 0,
      });
    } else if (e.reason === 'Launched' && e.kind === 'NodeClaim') {
      const n = claimNode(this.sim, e.name);
      if (!n) return;
      const replacements = this.replacementOf.get(e.name);
      const step = replacements ? this.steps.find((s) => s.replacements === replacements) : undefined;
      if (replacements && step) {
        const i = replacements.findIndex((r) => r.name === e.name);
        replacements[i] = n;
        step.dollarsPerHourChange = round(step.dollarsPerHourChange + n.dollarsPerHour);
        return;
      }
      const s =
        last?.action === 'launch' && last.at === new Date(e.time).toISOString()
          ? last
          : this.newStep(e, 'launch', 'Provisioning');
      s.nodes.push(n);
      s.pods += this.nominated.get(e.name) ?? 0;
      s.dollarsPerHourChange = round(s.dollarsPerHourChange + n.dollarsPerHour);
    } else if (e.reason === 'Expired' && e.kind === 'NodeClaim') {
      const claim = this.sim.api.peek(Kinds.NodeClaim, e.name) as NodeClaim | undefined;
      const node = claim?.status?.nodeName ? this.sim.api.peek(Kinds.Node, claim.status.nodeName) : undefined;
      if (!node) return;
      const s = this.newStep(e, 'expire', 'Expired');
      const n = nodeOf(this.sim, node);
      s.nodes.push(n);
      s.pods = this.podsOn(n.name);
      s.dollarsPerHourChange = round(-n.dollarsPerHour);
    }
  }
}

export interface RunOptions {
  durationMinutes: number;
  /** Told after each simulated minute (progress). */
  onMinute?: (minute: number) => void;
}

/** Everything but the snapshot and what-if descriptions, which the caller knows. */
export type RunResult = Pick<SimulateReport, 'steps' | 'samples' | 'nodes' | 'pending' | 'after' | 'endsAt'>;

/** Run the simulation forward `durationMinutes`, recording as it goes. */
export async function runSimulation(sim: Simulation, opts: RunOptions): Promise<RunResult> {
  const start = sim.clock.now();
  const recorder = new StepRecorder(sim, start);
  sim.operator.recorder.subscribe((e) => recorder.onEvent(e));
  const initial = new Set(sim.nodes().map((n) => n.metadata.name ?? ''));
  const samples: RunResult['samples'] = [];
  // Pending pods are counted on every write, so a minute's sample holds its peak: pods wait seconds, not minutes.
  const waiting = new Set(pendingPods(sim.pods()).map(podKey));
  let peak = waiting.size;
  const stopWatching = sim.api.onWrite((kind, type, obj) => {
    if (kind !== Kinds.Pod) return;
    const pod = obj as Pod;
    if (type !== 'DELETED' && pendingPods([pod]).length === 1) waiting.add(podKey(pod));
    else waiting.delete(podKey(pod));
    peak = Math.max(peak, waiting.size);
  });
  const sample = (minute: number) => {
    const nodes = sim.nodes();
    samples.push({
      minute,
      nodes: nodes.length,
      dollarsPerHour: round(nodes.reduce((s, n) => s + nodePrice(sim, n.metadata.labels), 0)),
      pendingPods: peak,
    });
    peak = waiting.size;
  };
  sample(0);
  try {
    for (let minute = 1; minute <= opts.durationMinutes; minute++) {
      await sim.clock.advanceTo(start + minute * MINUTE);
      sample(minute);
      opts.onMinute?.(minute);
    }
  } finally {
    stopWatching();
  }
  const now = sim.clock.now();
  const nodes: RunResult['nodes'] = [];
  for (const node of sim
    .nodes()
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const n = nodeOf(sim, node);
    // The first line names the node, which the report already does.
    const why = (await explainNode(sim.api, n.name, now)).slice(1).map((l) => l.trim());
    nodes.push({
      name: n.name,
      nodePool: n.nodePool,
      instanceType: n.instanceType,
      capacityType: n.capacityType,
      dollarsPerHour: n.dollarsPerHour,
      launched: !initial.has(n.name),
      why,
    });
  }
  const pending = pendingPods(sim.pods()).map((p) => {
    const decision = sim.operator.provisioner.lastResult?.unschedulable.get(podKey(p));
    return {
      pod: podKey(p),
      reason: decision ? decision.reasons.join('; ') : 'waiting for a scheduling decision',
    };
  });
  return {
    steps: recorder.steps,
    samples,
    nodes,
    pending,
    after: await clusterTotals(sim),
    endsAt: new Date(now).toISOString(),
  };
}
