import { InsufficientCapacityError, type CloudProvider } from '../../../cloudprovider/types';
import { SimClock } from '../../../clock/sim-clock';
import { EventRecorder } from '../../../events/recorder';
import type { KubeApi, WatchEvent } from '../../../kube/api';
import { Kinds, type ResourceKind } from '../../../kube/kinds';
import { MemoryApiServer } from '../../../kube/memory/memory-api-server';
import { testNodeClaim, withOverrides } from '../../../kube/testing';
import { nameOf, type KubeObject, type NodeClaim } from '../../../kube/objects';
import { createLogger } from '../../../logging';
import { nodeClaimsDisruptedTotal, podsDisruptionInitiatedTotal, registry } from '../../../metrics';
import { ClusterState } from '../../../state/cluster-state';
import { nodePool } from '../../../scheduling/testing';
import { RegistrationHealth } from '../../nodepool/status/registration-health';
import { NodeClaimLifecycleController, REGISTRATION_TIMEOUT_MS } from './controller';

/**
 * The API server as a controller sees it on a bad day: NodeClaim status writes are stored but their answer is
 * lost, and NodeClaim watch events stop arriving, so the cache keeps the claim as it was before its launch.
 */
class LossyApi {
  loseStatusAnswers = false;
  muteNodeClaimWatch = false;

  constructor(private readonly inner: MemoryApiServer) {}

  asKubeApi(): KubeApi {
    const { inner } = this;
    return withOverrides(inner, {
      updateStatus: async <T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T> => {
        const stored = await inner.updateStatus(kind, obj);
        if (this.loseStatusAnswers && kind.kind === 'NodeClaim') throw new Error('socket hang up');
        return stored;
      },
      watch: <T extends KubeObject>(
        kind: ResourceKind<T>,
        opts: Parameters<KubeApi['watch']>[1],
        onEvent: (event: WatchEvent<T>) => void,
      ) =>
        inner.watch(kind, opts, (event) => {
          if (!(this.muteNodeClaimWatch && kind.kind === 'NodeClaim')) onEvent(event);
        }),
    });
  }
}

describe('NodeClaimLifecycleController launch', () => {
  it('does not launch a second instance when its cache missed the launch the API server recorded', async () => {
    const clock = new SimClock();
    const memory = new MemoryApiServer({ clock });
    const lossy = new LossyApi(memory);
    const api = lossy.asKubeApi();
    const state = new ClusterState(api, clock);
    await state.start();
    const creates: string[] = [];
    const cloud = {
      create: async (claim: NodeClaim): Promise<NodeClaim> => {
        creates.push(nameOf(claim));
        return {
          ...claim,
          metadata: {
            ...claim.metadata,
            labels: { ...claim.metadata.labels, 'node.kubernetes.io/instance-type': 'm5.large' },
          },
          status: { providerID: `test://${claim.metadata.name}` },
        };
      },
    } as unknown as CloudProvider;
    const logger = createLogger('silent');
    const lifecycle = new NodeClaimLifecycleController({
      api,
      cloud,
      state,
      clock,
      logger,
      recorder: new EventRecorder(api, clock),
      registrationHealth: new RegistrationHealth(),
    });
    lifecycle.start();

    lossy.loseStatusAnswers = true;
    lossy.muteNodeClaimWatch = true;
    await memory.create(
      Kinds.NodeClaim,
      testNodeClaim('only-once', { metadata: { labels: { 'karpenter.sh/nodepool': 'default' } } }),
    );
    state.nodeClaims.observe((await memory.get(Kinds.NodeClaim, 'only-once')) as NodeClaim);
    // The launch succeeds, its status write is stored but fails for us, and the queue retries with backoff.
    await clock.advance(60_000);

    expect(creates).toEqual(['only-once']);
    const stored = await memory.get(Kinds.NodeClaim, 'only-once');
    expect(stored?.status?.providerID).toBe('test://only-once');
    // The retry read the server, found the launch, and put it in the cache: the claim goes on to registration.
    expect(state.nodeClaims.get('only-once')?.status?.providerID).toBe('test://only-once');
    lifecycle.stop();
    state.stop();
  });

  it('launches a new claim from its cache: no read of the NodeClaim from the API server', async () => {
    const clock = new SimClock();
    const memory = new MemoryApiServer({ clock });
    const gets: string[] = [];
    const api = withOverrides(memory, {
      get: <T extends KubeObject>(kind: ResourceKind<T>, name: string, namespace?: string) => {
        gets.push(`${kind.kind}/${name}`);
        return memory.get(kind, name, namespace);
      },
    });
    const state = new ClusterState(api, clock);
    await state.start();
    const cloud = {
      create: async (claim: NodeClaim): Promise<NodeClaim> => ({
        ...claim,
        status: { providerID: `test://${claim.metadata.name}` },
      }),
    } as unknown as CloudProvider;
    const lifecycle = new NodeClaimLifecycleController({
      api,
      cloud,
      state,
      clock,
      logger: createLogger('silent'),
      recorder: new EventRecorder(api, clock),
      registrationHealth: new RegistrationHealth(),
    });
    lifecycle.start();
    await memory.create(Kinds.NodeClaim, testNodeClaim('fresh'));
    await clock.advance(5_000);

    expect((await memory.get(Kinds.NodeClaim, 'fresh'))?.status?.providerID).toBe('test://fresh');
    expect(gets.filter((g) => g.startsWith('NodeClaim/'))).toEqual([]);
    lifecycle.stop();
    state.stop();
  });
});

describe('NodeClaimLifecycleController giving up on a claim', () => {
  async function run(cloud: Partial<CloudProvider>, advanceMs: number) {
    registry.resetMetrics();
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    const state = new ClusterState(api, clock);
    await state.start();
    const lifecycle = new NodeClaimLifecycleController({
      api,
      cloud: cloud as CloudProvider,
      state,
      clock,
      logger: createLogger('silent'),
      recorder: new EventRecorder(api, clock),
      registrationHealth: new RegistrationHealth(),
    });
    lifecycle.start();
    await api.create(
      Kinds.NodeClaim,
      testNodeClaim('doomed', {
        metadata: { labels: { 'karpenter.sh/nodepool': 'default', 'karpenter.sh/capacity-type': 'spot' } },
        spec: { terminationGracePeriod: '0s' },
      }),
    );
    await clock.advance(advanceMs);
    lifecycle.stop();
    state.stop();
    expect(await api.get(Kinds.NodeClaim, 'doomed')).toBeUndefined();
    return (await nodeClaimsDisruptedTotal.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
  }

  it.each([
    {
      why: 'insufficient_capacity',
      cloud: { create: () => Promise.reject(new InsufficientCapacityError('no spot capacity')) },
      advanceMs: 5_000,
    },
    {
      why: 'registration_timeout',
      cloud: {
        create: (claim: NodeClaim) =>
          Promise.resolve({ ...claim, status: { providerID: `test://${claim.metadata.name}` } }),
      },
      advanceMs: REGISTRATION_TIMEOUT_MS + 60_000,
    },
  ])('counts it as disrupted for $why', async ({ why, cloud, advanceMs }) => {
    expect(await run(cloud, advanceMs)).toEqual([
      {
        labels: {
          reason: why,
          nodepool: 'default',
          capacity_type: 'spot',
          consolidation_policy: '',
          termination_mode: 'forceful',
        },
        value: 1,
      },
    ]);
    // Upstream counts no pods for these: the claim never had a node.
    expect((await podsDisruptionInitiatedTotal.get()).values).toEqual([]);
  });
});

describe('NodeClaimLifecycleController registration outcomes', () => {
  it('counts registration timeouts of claims the pool owns, not lost capacity nor claims of another pool uid', async () => {
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    const pool = await api.create(Kinds.NodePool, nodePool('default'));
    const state = new ClusterState(api, clock);
    await state.start();
    const health = new RegistrationHealth();
    const lifecycle = new NodeClaimLifecycleController({
      api,
      cloud: {
        create: (claim: NodeClaim) =>
          claim.metadata.name === 'no-capacity'
            ? Promise.reject(new InsufficientCapacityError('no spot capacity'))
            : Promise.resolve({ ...claim, status: { providerID: `test://${claim.metadata.name}` } }),
      } as unknown as CloudProvider,
      state,
      clock,
      logger: createLogger('silent'),
      recorder: new EventRecorder(api, clock),
      registrationHealth: health,
    });
    lifecycle.start();
    const claim = (name: string, uid: string | undefined) =>
      testNodeClaim(name, {
        metadata: {
          labels: { 'karpenter.sh/nodepool': 'default' },
          ...(uid
            ? { ownerReferences: [{ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: 'default', uid }] }
            : {}),
        },
        spec: { terminationGracePeriod: '0s' },
      });
    const uid = pool.metadata.uid as string;
    await api.create(Kinds.NodeClaim, claim('owned-1', uid));
    await api.create(Kinds.NodeClaim, claim('owned-2', uid));
    await api.create(Kinds.NodeClaim, claim('no-capacity', uid));
    await api.create(Kinds.NodeClaim, claim('old-pool', 'another-uid'));
    await clock.advance(REGISTRATION_TIMEOUT_MS + 60_000);
    lifecycle.stop();
    state.stop();
    expect(health.outcomes(uid)).toEqual([false, false]);
    expect(health.verdict(uid)).toEqual({
      status: 'False',
      reason: 'RegistrationFailed',
      message: 'Failed to register node',
    });
  });
});
