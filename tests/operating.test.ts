/**
 * Operating the controller, end to end on the embedded simulator: the Prometheus counters a dashboard reads after
 * the seed lab, scraped over HTTP from /metrics, the scrape-time gauges, and the Kubernetes Events a user sees
 * with `kubectl describe` for every decision.
 */
import { runLab, loadLabManifests } from '../runtime/lab/seed-lab';
import { Kinds } from '../runtime/kube/kinds';
import { nameOf, type Event, type Pod } from '../runtime/kube/objects';
import { bindClusterState, registry, scrape } from '../runtime/metrics';
import { metricsRoutes, serve } from '../runtime/server/http';
import { Simulation } from '../runtime/simulator/simulation';

/** Parse the exposition format into "name{labels}" → value (histogram buckets kept too). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const POOL = 'developers-workshop-pool';

/** The value of the one series of `name` whose labels include `labels` (label order in the text is not fixed). */
function series(m: Map<string, number>, name: string, labels: Record<string, string>): number[] {
  const out: number[] = [];
  for (const [key, value] of m) {
    if (!key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) out.push(value);
  }
  return out;
}

describe('metrics after the seed lab, scraped from /metrics', () => {
  let metrics: Map<string, number>;

  beforeAll(async () => {
    registry.resetMetrics();
    await runLab();
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      routes: metricsRoutes(scrape, registry.contentType),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      metrics = parseMetrics(await res.text());
    } finally {
      await server.close();
    }
  }, 60_000);

  it('counts the three launches and two removals the seed shows (1 → 2 → 1 → 2 → 1 nodes)', () => {
    expect(
      metrics.get(
        `karpenter_nodeclaims_created_total{reason="provisioned",nodepool="${POOL}",min_values_relaxed="false"}`,
      ),
    ).toBe(3);
    // Nodes are spread over zones (the second goes where the first is not): count every zone's series.
    const total = (name: string, labels: Record<string, string>) => {
      const values = series(metrics, name, labels);
      expect(values.length).toBeGreaterThan(0);
      return values.reduce((a, b) => a + b, 0);
    };
    expect(total('karpenter_nodes_created_total', { nodepool: POOL })).toBe(3);
    expect(
      total('karpenter_nodeclaims_terminated_total', { nodepool: POOL, capacity_type: 'on-demand' }),
    ).toBe(2);
    expect(total('karpenter_nodes_terminated_total', { nodepool: POOL })).toBe(2);
    for (const key of metrics.keys())
      if (key.startsWith('karpenter_nodes_created_total{')) expect(key).toMatch(/zone="us-east-1[abc]"/);
  });

  it('labels each disruption decision with its reason: emptiness at 1 replica, consolidation at 8', () => {
    expect(
      metrics.get(
        'karpenter_voluntary_disruption_decisions_total{decision="delete",reason="empty",consolidation_type="empty"}',
      ),
    ).toBe(1);
    expect(
      metrics.get(
        'karpenter_voluntary_disruption_decisions_total{decision="delete",reason="underutilized",consolidation_type="single"}',
      ),
    ).toBe(1);
    expect(
      metrics.get(
        `karpenter_nodeclaims_disrupted_total{reason="underutilized",nodepool="${POOL}",capacity_type="on-demand",consolidation_policy="when_empty_or_underutilized",termination_mode="graceful"}`,
      ),
    ).toBe(1);
    // Consolidating the 8+1 layout moves the single pod off the node that goes: one eviction.
    expect(metrics.get('karpenter_pods_eviction_requests_total{code="200"}')).toBe(1);
  });

  it('exposes the budget gauge and one scheduling duration per provisioning round', () => {
    // The lab pool's budget is nodes: 10%, at least 1.
    expect(
      metrics.get(`karpenter_nodepools_allowed_disruptions{nodepool="${POOL}",reason="underutilized"}`),
    ).toBe(1);
    const rounds = metrics.get(
      'karpenter_scheduler_scheduling_duration_seconds_count{controller="provisioner"}',
    );
    expect(rounds).toBeGreaterThanOrEqual(3);
    expect(
      metrics.get('karpenter_scheduler_scheduling_duration_seconds_sum{controller="provisioner"}'),
    ).toBeGreaterThan(0);
  });

  it('never puts a pod name in a label', () => {
    for (const key of metrics.keys())
      expect(key).not.toMatch(/fastapi-deployment-|pod=|name="[^"]*-[a-z0-9]{5}"/);
  });
});

describe('events and gauges on a scenario', () => {
  const lab = loadLabManifests();
  let sim: Simulation;
  let unbind: () => void;

  beforeAll(async () => {
    registry.resetMetrics();
    // Its scale-down must leave a pod to move (an Evicted event): as upstream's ReplicaSets, without deletion costs.
    sim = new Simulation({ settings: { podDeletionCost: false } });
    unbind = bindClusterState(sim.operator.state);
    await sim.start();
    await sim.apply([...lab.nodeClass, ...lab.nodePool, ...lab.db, ...lab.app]);
    // A pod no NodePool can host: FailedScheduling with the reason.
    await sim.api.create(Kinds.Pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'gpu-job', namespace: 'default' },
      spec: {
        nodeSelector: { 'node.kubernetes.io/instance-type': 'p5.48xlarge' },
        containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }],
      },
    } as Pod);
    await sim.settle({ quietMs: 30_000, maxMs: 20 * 60_000 });
    await sim.scale('Deployment', 'my-cool-app', 'fastapi-deployment', 9);
    await sim.settle({ maxMs: 30 * 60_000 });
  }, 60_000);

  afterAll(() => {
    unbind();
    sim.stop();
  });

  async function events(filter: (e: Event) => boolean): Promise<Event[]> {
    return (await sim.api.list(Kinds.Event)).items.filter(filter);
  }

  it('records Launched, Registered and Initialized on each NodeClaim', async () => {
    const claims = (await sim.api.list(Kinds.NodeClaim)).items;
    expect(claims.length).toBe(2);
    for (const claim of claims) {
      const reasons = (await events((e) => e.involvedObject.name === claim.metadata.name)).map(
        (e) => e.reason,
      );
      expect(reasons).toEqual(expect.arrayContaining(['Launched', 'Registered', 'Initialized']));
    }
    const launched = await events((e) => e.reason === 'Launched');
    expect(launched[0]?.message).toMatch(/^Launched t3a\.medium \(on-demand\) in us-east-1a as aws:\/\/\//);
    expect(launched[0]?.source?.component).toBe('karpenter');
  });

  it('records FailedScheduling with the reason on the pod that fits nowhere', async () => {
    const [failed] = await events(
      (e) => e.involvedObject.name === 'gpu-job' && e.reason === 'FailedScheduling',
    );
    expect(failed?.type).toBe('Warning');
    expect(failed?.involvedObject.kind).toBe('Pod');
    expect(failed?.message).toContain(POOL);
    expect(failed?.message).toMatch(/instance-type|p5\.48xlarge/);
  });

  it('records Nominated on pods that wait for a new node', async () => {
    const nominated = await events(
      (e) => e.reason === 'Nominated' && e.involvedObject.namespace === 'my-cool-app',
    );
    expect(nominated.length).toBeGreaterThan(0);
    expect(nominated[0]?.message).toMatch(/^Pod should schedule on: nodeclaim\//);
  });

  it('reports allocatable and requests per node and pods by phase, bounded labels only', async () => {
    const m = parseMetrics(await scrape());
    const nodes = sim.nodes().filter((n) => n.metadata.labels?.['karpenter.sh/nodepool'] === POOL);
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      const name = nameOf(node);
      const labels = (resource: string) => ({
        node_name: name,
        nodepool: POOL,
        resource_type: resource,
        instance_type: 't3a.medium',
        capacity_type: 'on-demand',
        zone: node.metadata.labels?.['topology.kubernetes.io/zone'] ?? '',
        managed: 'true',
      });
      const [allocatable] = series(m, 'karpenter_nodes_allocatable', labels('cpu'));
      expect(allocatable).toBeCloseTo(1.78, 5);
      const requested = sim
        .pods()
        .filter((p) => p.spec.nodeName === name)
        .reduce(
          (s, p) =>
            s + p.spec.containers.reduce((c, x) => c + parseFloat(x.resources?.requests?.cpu ?? '0'), 0),
          0,
        );
      const [podRequests] = series(m, 'karpenter_nodes_total_pod_requests', labels('cpu'));
      expect(podRequests).toBeCloseTo(requested / 1000, 5);
    }
    const running = series(m, 'karpenter_pods_state', { phase: 'Running', nodepool: POOL });
    expect(running.reduce((a, b) => a + b, 0)).toBe(
      sim
        .pods()
        .filter(
          (p) => nodes.some((n) => n.metadata.name === p.spec.nodeName) && p.status?.phase === 'Running',
        ).length,
    );
    expect(series(m, 'karpenter_pods_state', { phase: 'Pending', scheduled: 'false', nodepool: '' })).toEqual(
      [1],
    );
  });
  it('records DisruptionTerminating with the reason on the Node and its NodeClaim, and Evicted on the moved pod', async () => {
    // A pod that can never schedule keeps the simulated cluster from settling: remove it first.
    await sim.delete(Kinds.Pod, 'gpu-job', 'default');
    await sim.scale('Deployment', 'my-cool-app', 'fastapi-deployment', 1);
    await sim.settle({ maxMs: 30 * 60_000 });
    const disrupting = await events((e) => e.reason === 'DisruptionTerminating');
    expect(disrupting.map((e) => e.involvedObject.kind).sort()).toEqual(['Node', 'NodeClaim']);
    for (const e of disrupting) expect(e.message).toMatch(/: Underutilized\/deleting$/);
    // The node that goes holds only the database after the scale-down: it is evicted and moves.
    const evicted = await events((e) => e.reason === 'Evicted');
    expect(evicted.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}`)).toEqual([
      'Pod/fastapi-postgres-0',
    ]);
    const m = parseMetrics(await scrape());
    expect(
      m.get(
        'karpenter_voluntary_disruption_decisions_total{decision="delete",reason="underutilized",consolidation_type="single"}',
      ),
    ).toBe(1);
  });
});
