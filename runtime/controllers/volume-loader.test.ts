import { SimClock } from '../clock/sim-clock';
import type { KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import type { Pod } from '../kube/objects';
import { withOverrides } from '../kube/testing';
import { loadVolumeContext } from './volume-loader';

const mounting: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'db', namespace: 'default' },
  spec: { containers: [], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
};

/** A memory API server that refuses to list some kinds, as one without the RBAC for them would. */
function refusing(plurals: string[]): KubeApi {
  const memory = new MemoryApiServer({ clock: new SimClock() });
  return withOverrides(memory, {
    list: (kind, opts) =>
      plurals.includes(kind.plural)
        ? Promise.reject(new Error(`forbidden: ${kind.plural}`))
        : memory.list(kind, opts),
  });
}

describe('loadVolumeContext', () => {
  it('reads nothing when no pod mounts a claim', async () => {
    const calls: string[] = [];
    const api = refusing([]);
    const list = api.list.bind(api);
    api.list = ((kind, opts) => (calls.push(kind.plural), list(kind, opts))) as KubeApi['list'];
    const plain: Pod = { ...mounting, spec: { containers: [] } };
    expect(await loadVolumeContext(api, [plain], () => undefined)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('goes on without attach limits when CSINodes cannot be read, and says so', async () => {
    const errors: string[] = [];
    const context = await loadVolumeContext(refusing(['csinodes']), [mounting], (err, without) =>
      errors.push(`${String(err)} → without ${without}`),
    );
    expect(context?.topology(mounting)).toEqual({
      reason: 'PersistentVolumeClaim default/data does not exist',
    });
    expect(context?.limitsFor([{ name: 'n1' }]).nodes.size).toBe(0);
    expect(errors).toEqual(['Error: forbidden: csinodes → without volume attach limits']);
  });

  it('gives up on volumes altogether when the claims cannot be read', async () => {
    const errors: string[] = [];
    const context = await loadVolumeContext(refusing(['persistentvolumeclaims']), [mounting], (_e, without) =>
      errors.push(without),
    );
    expect(context).toBeUndefined();
    expect(errors).toEqual(['volume topology and attach limits']);
  });

  it('reads CSINode limits for the nodes asked about', async () => {
    const api = refusing([]);
    await api.create(Kinds.CSINode, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name: 'n1' },
      spec: { drivers: [{ name: 'ebs.csi.aws.com', allocatable: { count: 25 } }] },
    });
    const context = await loadVolumeContext(api, [mounting], () => undefined);
    expect(context?.limitsFor([{ name: 'n1' }, { name: 'n2' }]).nodes).toEqual(
      new Map([['n1', { limits: new Map([['ebs.csi.aws.com', 25]]), inUse: new Map() }]]),
    );
  });
});
