import { ec2NodeClassSchema } from '../../../sdk/api/ec2nodeclass';
import { ec2NodeClass } from '../../../sdk/api/testing';
import { Annotations } from '../../../sdk/api/well-known';
import { SimClock } from '../../clock/sim-clock';
import { EventRecorder } from '../../events/recorder';
import type { CloudProvider } from '../../cloudprovider/types';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import { testNodeClaim } from '../../kube/testing';
import type { NodeClaim } from '../../kube/objects';
import { createLogger } from '../../logging';
import { nodePool } from '../../scheduling/testing';
import { ClusterState } from '../../state/cluster-state';
import {
  EC2NODECLASS_HASH_VERSION,
  NODEPOOL_HASH_VERSION,
  driftReason,
  ec2NodeClassHash,
  nodePoolHash,
} from '../disruption/drift';
import { HashController } from './controller';
import { nodeClaimRestamp, nodePoolStamp } from './stamps';

const nodeClass = ec2NodeClassSchema.parse(ec2NodeClass({ metadata: { name: 'default' } }));
const pool = nodePool('default', { labels: { team: 'web' } });

/** A claim launched by an older release (or by upstream Karpenter): another hash version, another hash. */
function upstreamClaim(name: string, drifted = false): NodeClaim {
  return testNodeClaim(name, {
    metadata: {
      labels: { 'karpenter.sh/nodepool': 'default', team: 'web' },
      annotations: {
        [Annotations.nodePoolHash]: '6505474418384543417',
        [Annotations.nodePoolHashVersion]: 'v3',
        [Annotations.ec2NodeClassHash]: '11906193521442451813',
        [Annotations.ec2NodeClassHashVersion]: 'v5',
      },
    },
    ...(drifted ? { conditions: ['Drifted'] } : {}),
  });
}

describe('hash stamps', () => {
  it('re-stamps a claim of another hash version with the current hash and version', () => {
    expect(nodeClaimRestamp(upstreamClaim('c'), pool, nodeClass)).toEqual({
      [Annotations.nodePoolHash]: nodePoolHash(pool),
      [Annotations.nodePoolHashVersion]: NODEPOOL_HASH_VERSION,
      [Annotations.ec2NodeClassHash]: ec2NodeClassHash(nodeClass),
      [Annotations.ec2NodeClassHashVersion]: EC2NODECLASS_HASH_VERSION,
    });
  });

  it('keeps the hash of a claim that is already drifted: only the version moves on', () => {
    expect(nodeClaimRestamp(upstreamClaim('c', true), pool, nodeClass)).toEqual({
      [Annotations.nodePoolHashVersion]: NODEPOOL_HASH_VERSION,
      [Annotations.ec2NodeClassHashVersion]: EC2NODECLASS_HASH_VERSION,
    });
  });

  it('leaves a claim of the current version alone, and stamps only what an object lacks', () => {
    const current = upstreamClaim('c');
    current.metadata.annotations = {
      ...current.metadata.annotations,
      ...nodeClaimRestamp(current, pool, nodeClass),
    };
    expect(nodeClaimRestamp(current, pool, nodeClass)).toBeUndefined();
    const stamped = { ...pool, metadata: { ...pool.metadata, annotations: nodePoolStamp(pool) } };
    expect(nodePoolStamp(stamped)).toBeUndefined();
  });
});

describe('HashController', () => {
  it('stamps NodePools and node classes, re-stamps old claims, and static drift is detected afterwards', async () => {
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    await api.create(Kinds.NodePool, pool);
    await api.create(Kinds.EC2NodeClass, nodeClass);
    await api.create(Kinds.NodeClaim, upstreamClaim('old'));
    await api.create(Kinds.NodeClaim, upstreamClaim('drifted', true));
    const state = new ClusterState(api, clock);
    await state.start();
    const hash = new HashController({
      api,
      cloud: {} as CloudProvider,
      state,
      clock,
      recorder: new EventRecorder(api, clock),
      logger: createLogger('silent'),
    });
    hash.start();
    await clock.advance(1_000);

    const storedPool = await api.get(Kinds.NodePool, 'default');
    expect(storedPool?.metadata.annotations?.[Annotations.nodePoolHash]).toBe(nodePoolHash(pool));
    expect(storedPool?.metadata.annotations?.[Annotations.nodePoolHashVersion]).toBe(NODEPOOL_HASH_VERSION);
    const storedClass = await api.get(Kinds.EC2NodeClass, 'default');
    expect(storedClass?.metadata.annotations?.[Annotations.ec2NodeClassHash]).toBe(
      ec2NodeClassHash(nodeClass),
    );
    const old = (await api.get(Kinds.NodeClaim, 'old')) as NodeClaim;
    expect(old.metadata.annotations?.[Annotations.nodePoolHash]).toBe(nodePoolHash(pool));
    const drifted = await api.get(Kinds.NodeClaim, 'drifted');
    expect(drifted?.metadata.annotations?.[Annotations.nodePoolHash]).toBe('6505474418384543417');
    expect(drifted?.metadata.annotations?.[Annotations.nodePoolHashVersion]).toBe(NODEPOOL_HASH_VERSION);

    // Not drifted now; a template change after the re-stamp is.
    expect(driftReason(pool, nodeClass, old)).toBeUndefined();
    const relabelled = nodePool('default', { labels: { team: 'api' } });
    expect(driftReason(relabelled, nodeClass, old)).toBe('NodePoolDrifted');
    // Nothing more to write once everything carries the current stamps.
    const rv = (await api.get(Kinds.NodeClaim, 'old'))?.metadata.resourceVersion;
    await clock.advance(5_000);
    expect((await api.get(Kinds.NodeClaim, 'old'))?.metadata.resourceVersion).toBe(rv);
    hash.stop();
    state.stop();
  });
});
