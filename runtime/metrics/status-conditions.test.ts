import type { Condition } from '../../sdk';
import type { WatchEventType } from '../kube/api';
import type { EC2NodeClass, KubeObject, Node, NodeClaim, NodePool } from '../kube/objects';
import { registry, scrape } from './registry';
import { bindStatusConditions, type ObjectSource } from './status-conditions';

/** An informer stand-in: a cache and its change handlers, driven by the test. */
class Source<T extends KubeObject> implements ObjectSource<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: ((type: WatchEventType, obj: T, old: T | undefined) => void)[] = [];
  list(): T[] {
    return [...this.objects.values()];
  }
  onChange(handler: (type: WatchEventType, obj: T, old: T | undefined) => void): void {
    this.handlers.push(handler);
  }
  put(obj: T): void {
    const old = this.objects.get(obj.metadata.name as string);
    this.objects.set(obj.metadata.name as string, obj);
    for (const h of this.handlers) h(old ? 'MODIFIED' : 'ADDED', obj, old);
  }
  delete(obj: T): void {
    this.objects.delete(obj.metadata.name as string);
    for (const h of this.handlers) h('DELETED', obj, obj);
  }
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
const cond = (type: string, status: Condition['status'], s: number, reason = type): Condition => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: at(s),
});

function claim(rv: number, conditions: Condition[], deletedAt?: number): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: 'default-abc',
      resourceVersion: String(rv),
      labels: { 'karpenter.sh/nodepool': 'default' },
      ...(deletedAt !== undefined ? { deletionTimestamp: at(deletedAt) } : {}),
    },
    spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' } },
    status: { conditions },
  } as unknown as NodeClaim;
}

function values(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

describe('status condition metrics', () => {
  let sources: {
    nodeClaims: Source<NodeClaim>;
    nodePools: Source<NodePool>;
    nodeClasses: Source<EC2NodeClass>;
    nodes: Source<Node>;
  };
  let now: number;
  let unbind: () => void;
  beforeEach(() => {
    registry.resetMetrics();
    sources = {
      nodeClaims: new Source(),
      nodePools: new Source(),
      nodeClasses: new Source(),
      nodes: new Source(),
    };
    now = Date.UTC(2026, 0, 1) + 100_000;
    unbind = bindStatusConditions(sources, { now: () => now });
  });
  afterEach(() => unbind());

  const claimLabels = 'karpenter_k8s_aws_ec2nodeclass="default",karpenter_sh_nodepool="default"';

  it('counts transitions as operatorpkg does: not an Unknown first sight, not a reason change alone', async () => {
    sources.nodeClaims.put(
      claim(1, [cond('Launched', 'Unknown', 0), cond('Ready', 'False', 0, 'NotLaunched')]),
    );
    sources.nodeClaims.put(
      claim(2, [cond('Launched', 'True', 10), cond('Ready', 'False', 0, 'NotRegistered')]),
    );
    sources.nodeClaims.put(claim(3, [cond('Launched', 'True', 10), cond('Ready', 'True', 40)]));
    const text = await scrape();
    expect(values(text, 'operator_nodeclaim_status_condition_transitions_total')).toEqual({
      [`operator_nodeclaim_status_condition_transitions_total{type="Ready",status="False",reason="NotLaunched",${claimLabels}}`]: 1,
      [`operator_nodeclaim_status_condition_transitions_total{type="Launched",status="True",reason="Launched",${claimLabels}}`]: 1,
      [`operator_nodeclaim_status_condition_transitions_total{type="Ready",status="True",reason="Ready",${claimLabels}}`]: 1,
    });
    // How long each condition had its old status, by the status it left and the one it took.
    expect(values(text, 'operator_nodeclaim_status_condition_transition_seconds_sum')).toEqual({
      [`operator_nodeclaim_status_condition_transition_seconds_sum{type="Launched",status="Unknown",to_status="True",${claimLabels}}`]: 10,
      [`operator_nodeclaim_status_condition_transition_seconds_sum{type="Ready",status="False",to_status="True",${claimLabels}}`]: 40,
    });
    // Karpenter's buckets for NodeClaims start at 0.5 s; the kind-less family keeps Prometheus' defaults.
    expect(text).toContain(
      `operator_nodeclaim_status_condition_transition_seconds_bucket{le="32",type="Ready",status="False",to_status="True",${claimLabels}} 0`,
    );
    expect(text).toContain(
      `operator_nodeclaim_status_condition_transition_seconds_bucket{le="64",type="Ready",status="False",to_status="True",${claimLabels}} 1`,
    );
    expect(values(text, 'operator_status_condition_transitions_total')).toMatchObject({
      'operator_status_condition_transitions_total{type="Ready",status="True",reason="Ready",group="karpenter.sh",kind="NodeClaim"}': 1,
    });
    expect(text).toContain(
      'operator_status_condition_transition_seconds_bucket{le="10",type="Launched",status="Unknown",to_status="True",group="karpenter.sh",kind="NodeClaim"} 1',
    );
  });

  it("ignores a version older than one already seen (a watch event lagging the controller's own write)", async () => {
    sources.nodeClaims.put(claim(5, [cond('Ready', 'True', 40)]));
    sources.nodeClaims.put(claim(4, [cond('Ready', 'False', 0)]));
    sources.nodeClaims.put(claim(5, [cond('Ready', 'True', 40)]));
    const text = await scrape();
    expect(values(text, 'operator_nodeclaim_status_condition_transitions_total')).toEqual({
      [`operator_nodeclaim_status_condition_transitions_total{type="Ready",status="True",reason="Ready",${claimLabels}}`]: 1,
    });
  });

  it('reports every object and condition at scrape time, by name, and drops what is gone', async () => {
    sources.nodeClaims.put(claim(1, [cond('Ready', 'False', 40, 'NotRegistered')]));
    const pool = {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: 'default', resourceVersion: '1' },
      status: { conditions: [cond('Ready', 'True', 90)] },
    } as unknown as NodePool;
    sources.nodePools.put(pool);
    let text = await scrape();
    expect(values(text, 'operator_nodeclaim_status_condition_count')).toEqual({
      [`operator_nodeclaim_status_condition_count{namespace="",name="default-abc",type="Ready",status="False",reason="NotRegistered",${claimLabels}}`]: 1,
    });
    expect(values(text, 'operator_nodeclaim_status_condition_current_status_seconds')).toEqual({
      [`operator_nodeclaim_status_condition_current_status_seconds{namespace="",name="default-abc",type="Ready",status="False",reason="NotRegistered",${claimLabels}}`]: 60,
    });
    expect(values(text, 'operator_nodepool_status_condition_count')).toEqual({
      'operator_nodepool_status_condition_count{namespace="",name="default",type="Ready",status="True",reason="Ready"}': 1,
    });
    expect(values(text, 'operator_status_condition_count')).toEqual({
      'operator_status_condition_count{namespace="",name="default-abc",type="Ready",status="False",reason="NotRegistered",group="karpenter.sh",kind="NodeClaim"}': 1,
      'operator_status_condition_count{namespace="",name="default",type="Ready",status="True",reason="Ready",group="karpenter.sh",kind="NodePool"}': 1,
    });
    sources.nodePools.delete(pool);
    text = await scrape();
    expect(values(text, 'operator_nodepool_status_condition_count')).toEqual({});
    expect(Object.keys(values(text, 'operator_status_condition_count'))).toHaveLength(1);
  });

  it('times terminations: in progress at scrape, and in full when the object is gone', async () => {
    sources.nodeClaims.put(claim(1, [], 70));
    let text = await scrape();
    expect(values(text, 'operator_nodeclaim_termination_current_time_seconds')).toEqual({
      [`operator_nodeclaim_termination_current_time_seconds{namespace="",name="default-abc",${claimLabels}}`]: 30,
    });
    expect(text).toContain(
      'operator_termination_current_time_seconds{namespace="",name="default-abc",group="karpenter.sh",kind="NodeClaim"} 30',
    );
    now += 15_000;
    sources.nodeClaims.delete(claim(2, [], 70));
    text = await scrape();
    expect(values(text, 'operator_nodeclaim_termination_current_time_seconds')).toEqual({});
    expect(text).toContain(`operator_nodeclaim_termination_duration_seconds_sum{${claimLabels}} 45`);
    expect(text).toContain(
      'operator_termination_duration_seconds_sum{group="karpenter.sh",kind="NodeClaim"} 45',
    );
  });

  it('labels Nodes by their pool and initialization, and keeps them out of the kind-less family', async () => {
    sources.nodes.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'ip-10-0-0-1',
        resourceVersion: '1',
        labels: { 'karpenter.sh/nodepool': 'default', 'karpenter.sh/initialized': 'true' },
      },
      status: { conditions: [cond('Ready', 'True', 50, 'KubeletReady')] },
    });
    const text = await scrape();
    expect(values(text, 'operator_node_status_condition_transitions_total')).toEqual({
      'operator_node_status_condition_transitions_total{type="Ready",status="True",reason="KubeletReady",karpenter_k8s_aws_ec2nodeclass="",karpenter_sh_nodepool="default",karpenter_sh_initialized="true"}': 1,
    });
    expect(values(text, 'operator_status_condition_transitions_total')).toEqual({});
  });

  it('stops counting and clears its gauges once unbound', async () => {
    sources.nodeClaims.put(claim(1, [cond('Ready', 'True', 0)]));
    unbind();
    sources.nodeClaims.put(claim(2, [cond('Ready', 'False', 50)]));
    const text = await scrape();
    expect(values(text, 'operator_nodeclaim_status_condition_count')).toEqual({});
    expect(Object.values(values(text, 'operator_nodeclaim_status_condition_transitions_total'))).toEqual([1]);
  });
});

describe('status condition metrics bound after the caches filled', () => {
  it('sees each cached object once, as operatorpkg does on its first reconcile after a restart', async () => {
    registry.resetMetrics();
    const nodeClasses = new Source<EC2NodeClass>();
    nodeClasses.put({
      apiVersion: 'karpenter.k8s.aws/v1',
      kind: 'EC2NodeClass',
      metadata: { name: 'default', resourceVersion: '1' },
      status: { conditions: [cond('Ready', 'True', 0), cond('AMIsReady', 'Unknown', 0)] },
    } as unknown as EC2NodeClass);
    const unbind = bindStatusConditions({
      nodeClaims: new Source(),
      nodePools: new Source(),
      nodeClasses,
      nodes: new Source(),
    });
    const text = await scrape();
    unbind();
    expect(values(text, 'operator_ec2nodeclass_status_condition_transitions_total')).toEqual({
      'operator_ec2nodeclass_status_condition_transitions_total{type="Ready",status="True",reason="Ready"}': 1,
    });
    expect(values(text, 'operator_status_condition_transitions_total')).toEqual({
      'operator_status_condition_transitions_total{type="Ready",status="True",reason="Ready",group="karpenter.k8s.aws",kind="EC2NodeClass"}': 1,
    });
  });
});
