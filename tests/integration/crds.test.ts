/**
 * The generated CRDs (sdk/crds) on a real kube-apiserver: they install, the example manifests are accepted, and
 * invalid ones are rejected by the API server's own schema and CEL validation with the messages sdk/api/rules.ts
 * defines, the same messages the zod schemas give offline.
 */
import { Rules } from '../../sdk/api/rules';
import { parseManifests } from '../../sdk/manifests';
import { ConflictError, InvalidError, isNotFound, type KubeApi } from '../../runtime/kube/api';
import { patchFromCache } from '../../runtime/kube/retry';
import { Kinds, type ResourceKind } from '../../runtime/kube/kinds';
import {
  nameOf,
  type EC2NodeClass,
  type KubeObject,
  type NodeClaim,
  type NodePool,
} from '../../runtime/kube/objects';
import { loadLabManifests } from '../../runtime/lab/seed-lab';
import { CrdKind, clusterApi, describeWithCluster, generatedCrds, installCrds } from './support/kube';

const RUN = `crd${Date.now().toString(36)}`;

let api: KubeApi;
const created: [ResourceKind, string][] = [];

function labPool(name: string): NodePool {
  const pool = structuredClone(loadLabManifests().nodePool[0]) as NodePool;
  pool.metadata = { name };
  return pool;
}

function labClass(name: string): EC2NodeClass {
  const nodeClass = structuredClone(loadLabManifests().nodeClass[0]) as EC2NodeClass;
  nodeClass.metadata = { name };
  return nodeClass;
}

async function create<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T> {
  const out = await api.create(kind, obj);
  created.push([kind as ResourceKind, nameOf(obj)]);
  return out;
}

/** The API server's rejection message for an object, failing the test if it is accepted. */
async function rejection<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<string> {
  try {
    await create(kind, obj);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidError);
    return (err as Error).message;
  }
  throw new Error(`${kind.kind} ${obj.metadata.name} was accepted`);
}

/** The zod schema's messages for the same object, so offline and API-server validation are compared. */
function schemaMessages(obj: KubeObject): string {
  try {
    parseManifests(JSON.stringify(obj));
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

describeWithCluster('generated CRDs on a real API server', () => {
  beforeAll(async () => {
    api = clusterApi();
    await installCrds(api);
  }, 90_000);

  afterAll(async () => {
    for (const [kind, name] of created.reverse()) {
      await api.delete(kind, name).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  });

  it('installs every generated CRD and serves it', async () => {
    for (const crd of generatedCrds()) {
      const served = await api.get(CrdKind, nameOf(crd));
      expect(served?.status?.conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Established', status: 'True' })]),
      );
    }
  });

  it('accepts the example NodePool and EC2NodeClass and applies the schema defaults', async () => {
    await create(Kinds.EC2NodeClass, labClass(`${RUN}-ok`));
    const pool = await create(Kinds.NodePool, labPool(`${RUN}-ok`));
    // Defaults come from the CRD's structural schema, applied by the API server.
    expect(pool.spec.disruption.budgets).toEqual([{ nodes: '10%' }]);
    expect(pool.spec.template.spec.requirements).toHaveLength(2);
  });

  const invalidPools: { name: string; edit: (p: NodePool) => void; want: string }[] = [
    {
      name: 'In without values',
      edit: (p) => {
        p.spec.template.spec.requirements = [{ key: 'team', operator: 'In', values: [] }];
      },
      want: Rules.requirementValuesRequired.message,
    },
    {
      name: 'a restricted label key in a requirement',
      edit: (p) => {
        p.spec.template.spec.requirements = [
          { key: 'kubernetes.io/hostname', operator: 'In', values: ['a'] },
        ];
      },
      want: Rules.labelHostnameRestricted.message,
    },
    {
      name: 'a budget schedule without a duration',
      edit: (p) => {
        p.spec.disruption.budgets = [{ nodes: '0', schedule: '0 9 * * 1-5' }];
      },
      want: Rules.budgetScheduleNeedsDuration.message,
    },
  ];

  const invalidClasses: { name: string; edit: (c: EC2NodeClass) => void; want: string }[] = [
    {
      name: 'an alias combined with another AMI term',
      edit: (c) => {
        c.spec.amiSelectorTerms = [{ alias: 'al2023@latest' }, { id: 'ami-0123456789abcdef0' }];
      },
      want: Rules.amiAliasOnlyTerm.message,
    },
    {
      name: 'an unsupported alias family',
      edit: (c) => {
        c.spec.amiSelectorTerms = [{ alias: 'ubuntu@latest' }];
      },
      want: Rules.amiAliasFamily.message,
    },
    {
      name: 'neither role nor instance profile',
      edit: (c) => {
        delete (c.spec as { role?: string }).role;
      },
      want: Rules.roleOrInstanceProfileRequired.message,
    },
    {
      name: 'network interfaces without the primary interface',
      edit: (c) => {
        c.spec.networkInterfaces = [{ networkCardIndex: 0, deviceIndex: 1, interfaceType: 'interface' }];
      },
      want: Rules.networkInterfacesPrimary.message,
    },
    {
      name: 'a network card and device index pair given twice',
      edit: (c) => {
        c.spec.networkInterfaces = [
          { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
          { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'efa-only' },
        ];
      },
      want: Rules.networkInterfacesDistinct.message,
    },
    {
      name: 'two efa-only interfaces on one network card',
      edit: (c) => {
        c.spec.networkInterfaces = [
          { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
          { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' },
          { networkCardIndex: 1, deviceIndex: 1, interfaceType: 'efa-only' },
        ];
      },
      want: Rules.networkInterfacesDistinct.message,
    },
  ];

  it('accepts network interfaces as upstream does: an ENA and an efa-only interface on each of two cards', async () => {
    const nodeClass = labClass(`${RUN}-nics`);
    nodeClass.spec.networkInterfaces = [
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
      { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
      { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' },
      { networkCardIndex: 1, deviceIndex: 1, interfaceType: 'interface' },
    ];
    const created = await create(Kinds.EC2NodeClass, nodeClass);
    expect(created.spec.networkInterfaces).toEqual(nodeClass.spec.networkInterfaces);
  });

  it.each(invalidPools.map((c, i) => ({ ...c, i })))(
    'rejects a NodePool with $name, with the rule message',
    async ({ edit, want, i }) => {
      const pool = labPool(`${RUN}-bad-pool-${i}`);
      edit(pool);
      expect(await rejection(Kinds.NodePool, pool)).toContain(want);
      expect(schemaMessages(pool)).toContain(want);
    },
  );

  it.each(invalidClasses.map((c, i) => ({ ...c, i })))(
    'rejects an EC2NodeClass with $name, with the rule message',
    async ({ edit, want, i }) => {
      const nodeClass = labClass(`${RUN}-bad-class-${i}`);
      edit(nodeClass);
      expect(await rejection(Kinds.EC2NodeClass, nodeClass)).toContain(want);
      expect(schemaMessages(nodeClass)).toContain(want);
    },
  );

  it('rejects a value outside a structural enum', async () => {
    const pool = labPool(`${RUN}-enum`);
    (pool.spec.disruption as { consolidationPolicy: string }).consolidationPolicy = 'Sometimes';
    const message = await rejection(Kinds.NodePool, pool);
    expect(message).toMatch(/spec\.disruption\.consolidationPolicy: Unsupported value: "Sometimes"/);
  });

  it('enforces transition rules: nodeClassRef.kind and a NodeClaim spec are immutable', async () => {
    const pool = await create(Kinds.NodePool, labPool(`${RUN}-immutable`));
    pool.spec.template.spec.nodeClassRef.kind = 'OtherNodeClass';
    await expect(api.update(Kinds.NodePool, pool)).rejects.toThrow(
      'nodeClassRef.kind is immutable: create a new NodePool for the other node class kind and delete this one',
    );

    const claim = await create(Kinds.NodeClaim, {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: { name: `${RUN}-claim` },
      spec: {
        requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['t3a.medium'] }],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      },
    } as NodeClaim);
    claim.spec.requirements = [
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large'] },
    ];
    await expect(api.update(Kinds.NodeClaim, claim)).rejects.toThrow('spec is immutable');
  });

  it('refuses a merge patch with a stale resourceVersion, so patchFromCache keeps a change made in between', async () => {
    const stale = await create(Kinds.NodePool, labPool(`${RUN}-patch`));
    await api.patch(Kinds.NodePool, nameOf(stale), { metadata: { labels: { theirs: 'yes' } } });
    await expect(
      api.patch(Kinds.NodePool, nameOf(stale), {
        metadata: { resourceVersion: stale.metadata.resourceVersion, labels: { ours: 'yes' } },
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    // From the stale copy, the change is made again on a fresh read, keeping theirs.
    await patchFromCache(api, Kinds.NodePool, nameOf(stale), stale, (current) => ({
      metadata: { labels: { ...current.metadata.labels, ours: 'yes' } },
    }));
    const labels = (await api.get(Kinds.NodePool, nameOf(stale)))?.metadata.labels;
    expect(labels).toMatchObject({ theirs: 'yes', ours: 'yes' });
  });
});
