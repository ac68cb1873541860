import { Annotations, Taints } from '../../sdk/api/well-known';
import { SimClock } from '../clock/sim-clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import type { ResourceKind } from '../kube/kinds';
import {
  nameOf,
  type DaemonSet,
  type Deployment,
  type Node,
  type Pod,
  type PodTemplate,
  type ReplicaSet,
  type StatefulSet,
  type Taint,
} from '../kube/objects';
import { POD_TEMPLATE_HASH_LABEL, SimWorkloadControllers, scaleDownOrder, templateHash } from './workloads';

let clock: SimClock;
let api: MemoryApiServer;
let workloads: SimWorkloadControllers;

beforeEach(async () => {
  clock = new SimClock();
  api = new MemoryApiServer({ clock });
  workloads = new SimWorkloadControllers({ api, clock });
  await workloads.start();
});

afterEach(() => workloads.stop());

const template = (app: string, cpu = '200m'): PodTemplate => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu } } }] },
});

function deployment(name: string, replicas: number, tmpl = template(name)): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: tmpl },
  };
}

function replicaSet(name: string, replicas: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name) },
  };
}

function statefulSet(name: string, replicas: number): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name) },
  };
}

function node(name: string, opts: { ready?: boolean; os?: string; taints?: Taint[] } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/os': opts.os ?? 'linux' } },
    spec: { taints: opts.taints ?? [] },
    status: {
      allocatable: { cpu: '2', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

/** Pods whose controller is the named owner, in order of their last write (creation order until modified). */
function podsOf(kind: string, name: string): Pod[] {
  return api
    .peekAll(Kinds.Pod)
    .filter((p) =>
      p.metadata.ownerReferences?.some((o) => o.controller && o.kind === kind && o.name === name),
    )
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

function replicaSetsOf(deploymentName: string): ReplicaSet[] {
  return api
    .peekAll(Kinds.ReplicaSet)
    .filter((rs) =>
      rs.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === deploymentName),
    );
}

async function bind(p: Pod, nodeName: string): Promise<void> {
  await api.patch(Kinds.Pod, nameOf(p), { spec: { nodeName } }, 'default');
}

async function scale(kind: ResourceKind, name: string, replicas: number): Promise<void> {
  await api.patch(kind, name, { spec: { replicas } }, 'default');
  await clock.advance(10);
}

describe('Deployments and ReplicaSets', () => {
  it('creates one owned ReplicaSet named after the template hash, and pods from its template', async () => {
    await api.create(Kinds.Deployment, deployment('web', 2));
    await clock.advance(10);

    const d = api.peek(Kinds.Deployment, 'web', 'default') as Deployment;
    const [rs, ...others] = replicaSetsOf('web');
    expect(others).toHaveLength(0);
    const hash = templateHash(template('web'));
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    expect(rs?.metadata.name).toBe(`web-${hash}`);
    expect(rs?.metadata.labels?.[POD_TEMPLATE_HASH_LABEL]).toBe(hash);
    expect(rs?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true }),
    ]);
    expect(rs?.spec.replicas).toBe(2);

    const pods = podsOf('ReplicaSet', `web-${hash}`);
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.metadata.name?.startsWith(`web-${hash}-`)).toBe(true);
      expect(p.metadata.labels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
      expect(p.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'ReplicaSet', uid: rs?.metadata.uid, controller: true }),
      ]);
      expect(p.spec).toEqual(template('web').spec);
      expect(p.status?.phase).toBe('Pending');
    }
  });

  it('scales 1 → 9 → 1 and, with pods bound 8/1, keeps the pod on the node that had one', async () => {
    await api.create(Kinds.Deployment, deployment('web', 1));
    await clock.advance(1000);
    const rsName = replicaSetsOf('web')[0]?.metadata.name as string;
    const [original] = podsOf('ReplicaSet', rsName);

    await scale(Kinds.Deployment, 'web', 9);
    expect(replicaSetsOf('web').map((rs) => rs.spec.replicas)).toEqual([9]);
    const nine = podsOf('ReplicaSet', rsName);
    expect(nine).toHaveLength(9);

    // The oldest pod goes on the full node, so "newest first" alone would keep the wrong one.
    const loner = nine[nine.length - 1] as Pod;
    for (const p of nine) await bind(p, p === loner ? 'node-b' : 'node-a');
    expect(original?.metadata.name).not.toBe(loner.metadata.name);

    await scale(Kinds.Deployment, 'web', 1);
    expect(replicaSetsOf('web').map((rs) => rs.spec.replicas)).toEqual([1]);
    const left = podsOf('ReplicaSet', rsName);
    expect(left.map((p) => [p.metadata.name, p.spec.nodeName])).toEqual([[loner.metadata.name, 'node-b']]);
  });

  it('rolls a changed template to a new ReplicaSet and scales the old one to zero', async () => {
    await api.create(Kinds.Deployment, deployment('web', 2));
    await clock.advance(10);
    const oldName = replicaSetsOf('web')[0]?.metadata.name;

    await api.patch(Kinds.Deployment, 'web', { spec: { template: template('web', '300m') } }, 'default');
    await clock.advance(10);

    const byName = new Map(replicaSetsOf('web').map((rs) => [rs.metadata.name, rs.spec.replicas]));
    const newName = `web-${templateHash(template('web', '300m'))}`;
    expect(newName).not.toBe(oldName);
    expect(byName).toEqual(
      new Map([
        [oldName, 0],
        [newName, 2],
      ]),
    );
    expect(podsOf('ReplicaSet', oldName as string)).toHaveLength(0);
    expect(podsOf('ReplicaSet', newName)).toHaveLength(2);
  });

  it('recreates an evicted pod', async () => {
    await api.create(Kinds.ReplicaSet, replicaSet('rs', 2));
    await clock.advance(10);
    const [victim] = podsOf('ReplicaSet', 'rs');
    await api.evict(victim?.metadata.name as string, 'default');
    await clock.advance(10);

    const pods = podsOf('ReplicaSet', 'rs');
    expect(pods).toHaveLength(2);
    expect(pods.map((p) => p.metadata.name)).not.toContain(victim?.metadata.name);
  });

  it('gives up an unassigned pod before assigned ones, even when it is the oldest', async () => {
    await api.create(Kinds.ReplicaSet, replicaSet('rs', 1));
    await clock.advance(1000);
    await scale(Kinds.ReplicaSet, 'rs', 3);
    const [oldest, ...newer] = podsOf('ReplicaSet', 'rs');
    for (const p of newer) await bind(p, 'n1');

    await scale(Kinds.ReplicaSet, 'rs', 2);
    const left = podsOf('ReplicaSet', 'rs').map((p) => p.metadata.name);
    expect(left).toHaveLength(2);
    expect(left).not.toContain(oldest?.metadata.name);
  });

  it('deletes the ReplicaSets and pods of a deleted Deployment', async () => {
    await api.create(Kinds.Deployment, deployment('web', 3));
    await clock.advance(10);
    expect(api.peekAll(Kinds.Pod)).toHaveLength(3);
    await api.delete(Kinds.Deployment, 'web', 'default');
    await clock.advance(10);
    expect(api.peekAll(Kinds.ReplicaSet)).toHaveLength(0);
    expect(api.peekAll(Kinds.Pod)).toHaveLength(0);
  });

  it('settles: no writes and no queued work once the counts are right', async () => {
    await api.create(Kinds.Deployment, deployment('web', 3));
    await clock.advance(10);
    const rv = api.resourceVersion;
    await clock.advance(60_000);
    expect(api.resourceVersion).toBe(rv);
    expect(workloads.depth).toBe(0);
  });
});

describe('scaleDownOrder', () => {
  const p = (
    name: string,
    opts: {
      node?: string;
      phase?: 'Pending' | 'Running' | 'Unknown';
      ready?: boolean;
      created: string;
      cost?: string;
    },
  ): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      creationTimestamp: opts.created,
      ...(opts.cost !== undefined ? { annotations: { [Annotations.podDeletionCost]: opts.cost } } : {}),
    },
    spec: { containers: [], ...(opts.node ? { nodeName: opts.node } : {}) },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  });
  const names = (pods: Pod[]): (string | undefined)[] => scaleDownOrder(pods).map((x) => x.metadata.name);
  const t = (s: number): string => `2026-01-01T00:00:0${s}.000Z`;

  it('ranks Pending before Unknown before Running', () => {
    expect(
      names([
        p('running', { node: 'a', created: t(9) }),
        p('unknown', { node: 'b', phase: 'Unknown', created: t(1) }),
        p('pending', { node: 'c', phase: 'Pending', created: t(1) }),
      ]),
    ).toEqual(['pending', 'unknown', 'running']);
  });

  it('ranks not-Ready before Ready', () => {
    expect(
      names([
        p('ready', { node: 'a', created: t(9) }),
        p('not-ready', { node: 'b', ready: false, created: t(1) }),
      ]),
    ).toEqual(['not-ready', 'ready']);
  });

  it('ranks pods on fuller nodes first, then newer first, then by name', () => {
    expect(
      names([
        p('alone', { node: 'b', created: t(9) }),
        p('crowded-old', { node: 'a', created: t(1) }),
        p('crowded-new', { node: 'a', created: t(5) }),
        p('crowded-new-2', { node: 'a', created: t(5) }),
      ]),
    ).toEqual(['crowded-new', 'crowded-new-2', 'crowded-old', 'alone']);
  });

  it('ranks the lower pod-deletion-cost first, after readiness and before co-location; unparsable reads as 0', () => {
    expect(
      names([
        p('crowded', { node: 'a', created: t(5) }),
        p('crowded-2', { node: 'a', created: t(5) }),
        p('cheap', { node: 'b', created: t(1), cost: '-3' }),
        p('dear', { node: 'a', created: t(9), cost: '7' }),
        p('garbled', { node: 'c', created: t(1), cost: '1.5' }),
        p('out-of-range', { node: 'c', created: t(2), cost: '2147483648' }),
        p('not-ready-dear', { node: 'b', ready: false, created: t(1), cost: '100' }),
      ]),
    ).toEqual(['not-ready-dear', 'cheap', 'crowded', 'crowded-2', 'out-of-range', 'garbled', 'dear']);
  });
});

describe('StatefulSets', () => {
  it('creates ordinals in order, deletes from the highest, and recreates a deleted ordinal', async () => {
    await api.create(Kinds.StatefulSet, statefulSet('db', 3));
    await clock.advance(10);
    const created = podsOf('StatefulSet', 'db');
    expect(created.map((p) => p.metadata.name)).toEqual(['db-0', 'db-1', 'db-2']);
    expect(created[1]?.metadata.labels).toEqual(
      expect.objectContaining({ app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-1' }),
    );

    const deleted: string[] = [];
    const watch = await api.watch(Kinds.Pod, { resourceVersion: api.resourceVersion }, (e) => {
      if (e.type === 'DELETED') deleted.push(nameOf(e.object));
    });
    await scale(Kinds.StatefulSet, 'db', 1);
    watch.stop();
    expect(deleted).toEqual(['db-2', 'db-1']);
    expect(podsOf('StatefulSet', 'db').map((p) => p.metadata.name)).toEqual(['db-0']);

    const uid = api.peek(Kinds.Pod, 'db-0', 'default')?.metadata.uid;
    await api.delete(Kinds.Pod, 'db-0', 'default');
    await clock.advance(10);
    const recreated = api.peek(Kinds.Pod, 'db-0', 'default');
    expect(recreated).toBeDefined();
    expect(recreated?.metadata.uid).not.toBe(uid);
  });

  it('scales down one pod at a time, waiting for a terminating pod to go', async () => {
    await api.create(Kinds.StatefulSet, statefulSet('db', 3));
    await clock.advance(10);
    await api.patch(Kinds.Pod, 'db-2', { metadata: { finalizers: ['test/hold'] } }, 'default');

    await scale(Kinds.StatefulSet, 'db', 1);
    expect(api.peek(Kinds.Pod, 'db-2', 'default')?.metadata.deletionTimestamp).toBeDefined();
    expect(api.peek(Kinds.Pod, 'db-1', 'default')?.metadata.deletionTimestamp).toBeUndefined();

    await api.patch(Kinds.Pod, 'db-2', { metadata: { finalizers: null } }, 'default');
    await clock.advance(10);
    expect(podsOf('StatefulSet', 'db').map((p) => p.metadata.name)).toEqual(['db-0']);
  });
});

describe('DaemonSets', () => {
  const daemonSet: DaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'agent' }] },
      },
    },
  };
  const placement = (): string[] =>
    podsOf('DaemonSet', 'agent')
      .map((p) => p.spec.nodeName as string)
      .sort();

  it('places one pod per Ready node whose labels and taints admit it', async () => {
    await api.create(Kinds.Node, node('n1'));
    await api.create(
      Kinds.Node,
      node('n2', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    );
    await api.create(Kinds.Node, node('n3', { ready: false }));
    await api.create(Kinds.Node, node('n4', { os: 'windows' }));
    await api.create(Kinds.Node, node('n5'));
    await api.create(Kinds.DaemonSet, daemonSet);
    await clock.advance(10);

    expect(placement()).toEqual(['n1', 'n5']);
    const [first] = podsOf('DaemonSet', 'agent');
    expect(first?.metadata.namespace).toBe('kube-system');
    expect(first?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'DaemonSet', name: 'agent', controller: true }),
    ]);
    expect(first?.status?.phase).toBe('Pending');

    // A node turning Ready gets its daemon; nothing is duplicated on the others.
    await api.patch(Kinds.Node, 'n3', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await clock.advance(10);
    expect(placement()).toEqual(['n1', 'n3', 'n5']);
  });

  it('keeps its pod through a NoSchedule taint and deletes it when the node goes away', async () => {
    await api.create(Kinds.Node, node('n1'));
    await api.create(Kinds.Node, node('n2'));
    await api.create(Kinds.DaemonSet, daemonSet);
    await clock.advance(10);
    expect(placement()).toEqual(['n1', 'n2']);

    await api.patch(Kinds.Node, 'n1', { spec: { taints: [{ ...Taints.disrupted }] } });
    await clock.advance(10);
    expect(placement()).toEqual(['n1', 'n2']);

    await api.delete(Kinds.Node, 'n1');
    await clock.advance(10);
    expect(placement()).toEqual(['n2']);
  });
});
