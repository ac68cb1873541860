/**
 * The drift preview: the pure report against live NodeClaims and budgets, and the component's output for a changed
 * NodePool against a faked cluster read during a preview (and without a reachable cluster).
 */
import * as k8s from '@pulumi/kubernetes';
import { ec2NodeClassSchema } from '../../sdk/api/ec2nodeclass';
import { nodePoolSchema } from '../../sdk/api/nodepool';
import type { NodePoolArgs } from '../../sdk/pulumi';
import { driftAnnotations } from '../../runtime/controllers/disruption/drift';
import { nameOf, type EC2NodeClass, type NodeClaim, type NodePool } from '../../runtime/kube/objects';
import { KarpenterInstall, offlineDrift, previewDrift, type DriftPreview } from '../../provider';
import { installMocks, reset, settled, valueOf } from './mocks';

const nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' };

function poolSpec(labels: Record<string, string>, nodes = '1'): NodePoolArgs['spec'] & object {
  return {
    template: {
      metadata: { labels },
      spec: {
        requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['t3a.medium'] }],
        nodeClassRef,
      },
    },
    limits: { cpu: '100' },
    disruption: { budgets: [{ nodes }] },
  };
}

function pool(labels: Record<string, string>, nodes = '1'): NodePool {
  return nodePoolSchema.parse({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'workshop' },
    spec: poolSpec(labels, nodes),
  });
}

const classSpec = (reserved: string) => ({
  role: 'KarpenterNodeRole-demo',
  amiSelectorTerms: [{ alias: 'al2023@latest' }],
  subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
  securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
  kubelet: { systemReserved: { cpu: reserved } },
});

function nodeClass(reserved: string): EC2NodeClass {
  return ec2NodeClassSchema.parse({
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: 'default' },
    spec: classSpec(reserved),
  });
}

/** A NodeClaim launched from `launchedFrom`, as the controller would have stamped it. */
function claim(name: string, launchedFrom: NodePool, nc: EC2NodeClass, deleting = false): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name,
      labels: {
        'karpenter.sh/nodepool': nameOf(launchedFrom),
        'node.kubernetes.io/instance-type': 't3a.medium',
        ...launchedFrom.spec.template.metadata?.labels,
      },
      annotations: driftAnnotations(launchedFrom, nc),
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { requirements: [], nodeClassRef, expireAfter: '720h' },
    status: { nodeName: `ip-10-0-0-${name}` },
  };
}

const before = pool({ team: 'web' });
const classBefore = nodeClass('150m');
const NOW = Date.parse('2026-11-22T12:00:00Z');

// Registering a component's graph under mocks takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('previewDrift', () => {
  it('lists the nodes a template change drifts and the rounds a one-node budget implies', () => {
    const claims = ['1', '2', '3'].map((n) => claim(n, before, classBefore));
    const report = previewDrift({
      nodePools: [pool({ team: 'api' })],
      nodeClasses: [classBefore],
      nodeClaims: claims,
      now: NOW,
    });
    expect(report.pools).toEqual([
      {
        nodePool: 'workshop',
        nodes: 3,
        drifted: ['1', '2', '3'].map((n) => ({
          nodeClaim: n,
          node: `ip-10-0-0-${n}`,
          reason: 'NodePoolDrifted',
        })),
        unknown: [],
        notChecked: [],
        allowedPerRound: 1,
        rounds: 3,
      },
    ]);
    expect(report.summary[0]).toMatch(
      /workshop: 3 of 3 nodes drift: .*; 3 disruption rounds at 1 node per round/,
    );
  });

  it('reports no drift for an unchanged pool, and a node class change as NodeClassDrift', () => {
    const claims = [claim('1', before, classBefore)];
    expect(
      previewDrift({ nodePools: [before], nodeClasses: [classBefore], nodeClaims: claims, now: NOW })
        .pools[0],
    ).toMatchObject({ drifted: [], rounds: 0 });
    const changedClass = previewDrift({
      nodePools: [before],
      nodeClasses: [nodeClass('300m')],
      nodeClaims: claims,
      now: NOW,
    });
    expect(changedClass.pools[0].drifted).toEqual([
      { nodeClaim: '1', node: 'ip-10-0-0-1', reason: 'NodeClassDrift' },
    ]);
  });

  it('uses percentage budgets over live nodes, counts nodes already disrupting, and says when none may go', () => {
    const claims = ['1', '2', '3', '4'].map((n) => claim(n, before, classBefore));
    const half = previewDrift({
      nodePools: [pool({ team: 'api' }, '50%')],
      nodeClasses: [classBefore],
      nodeClaims: [...claims, claim('5', before, classBefore, true)],
      now: NOW,
    }).pools[0];
    // 5 live claims: 50% rounds up to 3, one already disrupting leaves 2 per round for 4 drifted nodes.
    expect(half).toMatchObject({ nodes: 5, allowedPerRound: 2, rounds: 2 });
    expect(half.drifted).toHaveLength(4);
    const frozen = previewDrift({
      nodePools: [pool({ team: 'api' }, '0')],
      nodeClasses: [classBefore],
      nodeClaims: claims,
      now: NOW,
    });
    expect(frozen.pools[0]).toMatchObject({ allowedPerRound: 0, rounds: null });
    expect(frozen.summary[0]).toMatch(/budgets allow no disruption right now/);
  });

  it('reads scheduled Drifted budgets the way the controller does, time zone prefix included', () => {
    const claims = ['1', '2', '3', '4'].map((n) => claim(n, before, classBefore));
    const businessHours = (schedule: string) => {
      const np = pool({ team: 'api' }, '2');
      np.spec.disruption.budgets.push({ nodes: '0', schedule, duration: '8h' });
      return nodePoolSchema.parse(np);
    };
    const at = (schedule: string, iso: string) =>
      previewDrift({
        nodePools: [businessHours(schedule)],
        nodeClasses: [classBefore],
        nodeClaims: claims,
        now: Date.parse(iso),
      }).pools[0];
    // 1 Jul 2026 is CEST (UTC+2): Berlin's 09:00-17:00 is 07:00-15:00Z.
    const berlin = 'CRON_TZ=Europe/Berlin 0 9 * * 1-5';
    expect(at(berlin, '2026-07-01T07:30:00Z')).toMatchObject({ allowedPerRound: 0, rounds: null });
    expect(at(berlin, '2026-07-01T15:30:00Z')).toMatchObject({ allowedPerRound: 2, rounds: 2 });
    // Without the prefix the same cron is UTC, still active at 15:30Z.
    expect(at('0 9 * * 1-5', '2026-07-01T15:30:00Z')).toMatchObject({ allowedPerRound: 0, rounds: null });
  });

  it('without a cluster reports which hashes changed since the last deployment', () => {
    const last = offlineDrift({ nodePools: [before], nodeClasses: [classBefore], reason: 'x' }).hashes;
    const report = offlineDrift({
      nodePools: [pool({ team: 'api' })],
      nodeClasses: [classBefore],
      reason: 'cluster unreachable',
      previous: last,
    });
    expect(report.changed).toEqual({ nodePools: ['workshop'], nodeClasses: [] });
    expect(report.summary).toContain(
      'NodePool workshop: template hash changes, so its nodes will drift (NodePoolDrifted)',
    );
  });
});

describe('KarpenterInstall drift preview', () => {
  beforeAll(() => installMocks(true));
  beforeEach(reset);

  function install(name: string, readNodeClaims: () => Promise<NodeClaim[]>): KarpenterInstall {
    return new KarpenterInstall(name, {
      clusterName: 'demo',
      clusterEndpoint: 'https://example.com',
      kubernetesProvider: new k8s.Provider(`${name}-k8s`, { kubeconfig: '{}' }),
      image: 'example.com/karpenter-ts:1',
      nodeClasses: { default: { metadata: { name: 'default' }, spec: classSpec('150m') } },
      nodePools: { workshop: { metadata: { name: 'workshop' }, spec: poolSpec({ team: 'api' }) } },
      driftPreview: { readNodeClaims },
    });
  }

  it('reads live NodeClaims during a preview and reports the planned change drifts them', async () => {
    const live = ['1', '2'].map((n) => claim(n, before, classBefore));
    const component = install('live', async () => live);
    const report = (await valueOf(component.driftPreview)) as DriftPreview;
    await settled();
    expect(report.mode).toBe('live');
    if (report.mode !== 'live') return;
    expect(report.pools).toEqual([
      {
        nodePool: 'workshop',
        nodes: 2,
        drifted: [
          { nodeClaim: '1', node: 'ip-10-0-0-1', reason: 'NodePoolDrifted' },
          { nodeClaim: '2', node: 'ip-10-0-0-2', reason: 'NodePoolDrifted' },
        ],
        unknown: [],
        notChecked: [],
        allowedPerRound: 1,
        rounds: 2,
      },
    ]);
  });

  it('falls back to hashes when the cluster cannot be read', async () => {
    const component = install('offline', () => Promise.reject(new Error('connect ECONNREFUSED')));
    const report = (await valueOf(component.driftPreview)) as DriftPreview;
    await settled();
    expect(report.mode).toBe('offline');
    if (report.mode !== 'offline') return;
    expect(report.reason).toBe('cluster unreachable: connect ECONNREFUSED');
    expect(Object.keys(report.hashes.nodePools)).toEqual(['workshop']);
    expect(Object.keys(report.hashes.nodeClasses)).toEqual(['default']);
  });
});
