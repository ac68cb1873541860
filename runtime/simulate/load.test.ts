import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Labels } from '../../sdk/api/well-known';
import { defaultCatalog } from '../cloudprovider/simulated/catalog';
import { NODEPOOL_HASH_VERSION, nodePoolHash } from '../controllers/disruption/drift';
import type { KubeObject, NodeClaim, NodePool } from '../kube/objects';
import { applySet, planLoad } from './load';
import { renderText, type SimulateReport } from './report';
import { parseScale } from './simulate';
import { loadSnapshot, type ClusterSnapshot } from './snapshot';

const TAKEN = '2026-02-01T00:00:00.000Z';

const pool = (name: string, types: string[]): NodePool =>
  ({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      template: {
        spec: {
          requirements: [{ key: Labels.instanceType, operator: 'In', values: types }],
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        },
      },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s' },
    },
  }) as unknown as NodePool;

const labels = (type: string) => ({
  [Labels.nodePool]: 'general',
  [Labels.instanceType]: type,
  [Labels.zone]: 'us-east-1a',
  [Labels.capacityType]: 'on-demand',
});

const claim = (name: string, providerID: string | undefined, extra: Record<string, string> = {}): NodeClaim =>
  ({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: '2026-01-20T00:00:00Z',
      labels: { ...labels('m5.large'), ...extra },
      annotations: { [Annotations.nodePoolHash]: 'upstream-hash', [Annotations.nodePoolHashVersion]: 'v3' },
    },
    spec: {
      requirements: [],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
    },
    status: providerID ? { providerID } : {},
  }) as unknown as NodeClaim;

const node = (name: string, providerID: string, l: Record<string, string>): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: l },
    spec: { providerID },
  }) as KubeObject;

const snapshot = (objects: KubeObject[]): ClusterSnapshot => ({ takenAt: TAKEN, source: 'test', objects });

describe('planLoad', () => {
  it('adopts each launched claim with its type, zone, capacity type and launch time; a claim with no Node joins later', () => {
    const plan = planLoad(
      snapshot([
        node('ip-10-0-0-1', 'aws:///us-east-1a/i-0aaa', labels('m5.large')),
        claim('general-a', 'aws:///us-east-1a/i-0aaa'),
        claim('general-b', 'aws:///us-east-1a/i-0bbb'),
        claim('general-c', undefined),
      ]),
      defaultCatalog,
    );
    expect(
      plan.adoptions.map((a) => [a.nodeClaimName, a.providerID, a.instanceType, a.zone, a.capacityType]),
    ).toEqual([
      ['general-a', 'aws:///us-east-1a/i-0aaa', 'm5.large', 'us-east-1a', 'on-demand'],
      ['general-b', 'aws:///us-east-1a/i-0bbb', 'm5.large', 'us-east-1a', 'on-demand'],
    ]);
    expect(plan.adoptions[0]?.launchedAt).toBe(Date.parse('2026-01-20T00:00:00Z'));
    expect(plan.adoptions[0]?.nodeClaimUid).toBe('uid-general-a');
    expect(plan.adoptions[0]?.join).toBeUndefined();
    expect(plan.adoptions[1]?.join?.metadata.name).toBe('general-b');
    expect(plan.notes).toEqual([]);
  });

  it('loads owners before what they own and says what it leaves out or cannot model', () => {
    const plan = planLoad(
      snapshot([
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, spec: {} } as KubeObject,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } as KubeObject,
        pool('general', ['m5.large']),
        node('orphan', 'aws:///us-east-1a/i-0ccc', labels('m5.large')),
        claim('weird', 'aws:///eu-west-1a/i-0ddd', {
          [Labels.instanceType]: 'z9.huge',
          [Labels.zone]: 'eu-west-1a',
        }),
      ]),
      defaultCatalog,
    );
    expect(plan.objects.map((o) => o.object.kind)).toEqual(['NodePool', 'NodeClaim', 'Node', 'Pod']);
    expect(plan.notes).toEqual([
      'left out (the simulator does not use them): 1 ConfigMap',
      'NodeClaim weird: instance type z9.huge is not in the catalog: priced $0, and it drifts (InstanceTypeNotFound)',
      "NodeClaim weird: zone eu-west-1a is not in the catalog's region us-east-1: new nodes launch there instead",
      'Node orphan: labelled for NodePool general but no NodeClaim owns it: kept as it is, never planned on or disrupted',
    ]);
  });
});

describe('applySet', () => {
  const original = pool('general', ['m5.large']);
  const objects = [original, claim('general-a', 'aws:///us-east-1a/i-0aaa')];

  it("replaces a pool, keeping its identity, and re-stamps upstream's claims against the pool they came from", () => {
    const changed = pool('general', ['c5.large']);
    changed.spec.template.metadata = { labels: { team: 'web' } };
    delete changed.metadata.uid;
    const out = applySet(objects, [changed, pool('extra', ['m5.xlarge'])]);
    const general = out.find((o) => o.metadata.name === 'general') as NodePool;
    expect(general.metadata.uid).toBe('uid-general');
    expect(general.spec.template.spec.requirements[0]?.values).toEqual(['c5.large']);
    expect(out.some((o) => o.metadata.name === 'extra')).toBe(true);
    const c = out.find((o) => o.kind === 'NodeClaim') as NodeClaim;
    expect(c.metadata.annotations?.[Annotations.nodePoolHashVersion]).toBe(NODEPOOL_HASH_VERSION);
    // The original pool's hash, not the changed one's: the claim is drifted from the what-if.
    expect(c.metadata.annotations?.[Annotations.nodePoolHash]).toBe(nodePoolHash(original));
    expect(nodePoolHash(original)).not.toBe(nodePoolHash(changed));
  });

  it('refuses kinds other than NodePool, EC2NodeClass and NodeOverlay, naming the fix', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } as KubeObject;
    expect(() => applySet(objects, [pod])).toThrow(
      '--set: Pod p cannot be set: give NodePool, EC2NodeClass or NodeOverlay manifests (change workloads with --scale)',
    );
  });
});

describe('parseScale', () => {
  it('takes [namespace/]name=replicas', () => {
    expect(parseScale('shop/web=12')).toEqual({ namespace: 'shop', name: 'web', replicas: 12 });
    expect(parseScale('web=0')).toEqual({ namespace: 'default', name: 'web', replicas: 0 });
    expect(() => parseScale('web')).toThrow('expected [namespace/]name=replicas');
    expect(() => parseScale('web=-1')).toThrow('expected [namespace/]name=replicas');
  });
});

describe('loadSnapshot', () => {
  it('reads a directory of kubectl output, flattening Lists and validating their NodePools', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snap-'));
    writeFileSync(
      join(dir, 'nodes.yaml'),
      'apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Node\n  metadata: {name: b, managedFields: [{}], resourceVersion: "7"}\n',
    );
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const s = loadSnapshot(dir, Date.parse(TAKEN));
    expect(s.takenAt).toBe(TAKEN);
    expect(s.objects.map((o) => o.metadata)).toEqual([{ name: 'a' }, { name: 'b' }]);
    writeFileSync(
      join(dir, 'pool.yaml'),
      'apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- apiVersion: karpenter.sh/v1\n  kind: NodePool\n  metadata: {name: p}\n  spec: {template: {spec: {requirements: []}}}\n',
    );
    expect(() => loadSnapshot(dir, 0)).toThrow(/nodeClassRef/);
  });

  it('takes its time from a ClusterSnapshot header and refuses a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snap-'));
    const file = join(dir, 's.yaml');
    writeFileSync(
      file,
      `apiVersion: karpenter-ts.sh/v1alpha1\nkind: ClusterSnapshot\nmetadata: {name: x}\ntakenAt: ${TAKEN}\nsource: ctx\n`,
    );
    expect(loadSnapshot(file, 0)).toEqual({ takenAt: TAKEN, source: 'ctx', objects: [] });
    writeFileSync(
      file,
      'apiVersion: karpenter-ts.sh/v1alpha1\nkind: ClusterSnapshot\nmetadata: {name: x}\ntakenAt: soon\n',
    );
    expect(() => loadSnapshot(file, 0)).toThrow('ClusterSnapshot.takenAt must be an ISO 8601 time, got soon');
  });
});

describe('renderText', () => {
  it('says what each step does and what it costs', () => {
    const totals = (nodes: number, dollarsPerHour: number) => ({
      nodes,
      dollarsPerHour,
      pendingPods: 0,
      pools: [],
    });
    const n = (name: string, price: number) => ({
      name,
      nodePool: 'general',
      instanceType: 'm5.large',
      capacityType: 'on-demand',
      zone: 'us-east-1a',
      dollarsPerHour: price,
    });
    const report: SimulateReport = {
      version: 1,
      snapshot: { takenAt: TAKEN, source: 'ctx', nodes: 2, pods: 3, nodePools: ['general'] },
      whatIf: { set: [], scale: [{ workload: 'shop/web', replicas: 1 }] },
      durationMinutes: 90,
      endsAt: TAKEN,
      before: totals(2, 0.192),
      after: totals(1, 0.096),
      steps: [
        {
          minute: 75,
          at: TAKEN,
          action: 'disrupt',
          reason: 'Underutilized',
          nodes: [n('ip-1', 0.096)],
          replacements: [],
          pods: 2,
          dollarsPerHourChange: -0.096,
        },
      ],
      samples: [],
      nodes: [{ ...n('ip-2', 0.096), launched: false, why: ['last decision: kept'] }],
      pending: [],
      notes: [],
    };
    const text = renderText(report);
    expect(text).toContain('What-if: --scale shop/web=1');
    expect(text).toContain('Saves $0.096/h ($70.08 a month of 730 h)');
    expect(text).toContain(
      '01:15  disrupt  Underutilized: ip-1 (m5.large on-demand, $0.096/h) (deleted), 2 pod(s) moved  −$0.096/h',
    );
    expect(text).toContain('      last decision: kept');
  });
});
