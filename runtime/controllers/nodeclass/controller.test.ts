import { SimClock, flushAsync } from '../../clock/sim-clock';
import { EventRecorder } from '../../events/recorder';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import { testNodeClaim } from '../../kube/testing';
import { nameOf, type EC2NodeClass } from '../../kube/objects';
import { loadLabManifests } from '../../lab/seed-lab';
import { createLogger } from '../../logging';
import { ClusterState } from '../../state/cluster-state';
import { NODECLASS_WAIT_MS, NodeClassFinalizerController } from './controller';

describe('EC2NodeClass finalizer', () => {
  it('holds a deleted node class until its NodeClaims are gone, then cleans up once and releases it', async () => {
    const clock = new SimClock();
    const api = new MemoryApiServer({ clock });
    const state = new ClusterState(api, clock);
    await state.start();
    const cleaned: string[] = [];
    const finalizer = new NodeClassFinalizerController({
      api,
      cloud: {} as never,
      state,
      clock,
      recorder: new EventRecorder(api, clock),
      logger: createLogger('silent'),
      cleanup: async (nc) => {
        cleaned.push(nameOf(nc));
      },
    });
    finalizer.start();
    const nodeClass = structuredClone(loadLabManifests().nodeClass[0]) as EC2NodeClass;
    await api.create(Kinds.EC2NodeClass, nodeClass);
    await flushAsync();
    expect(api.peek(Kinds.EC2NodeClass, 'default')?.metadata.finalizers).toEqual([
      'karpenter.k8s.aws/termination',
    ]);

    await api.create(Kinds.NodeClaim, testNodeClaim('uses-it'));
    await api.delete(Kinds.EC2NodeClass, 'default');
    await clock.advance(NODECLASS_WAIT_MS);
    expect(api.peek(Kinds.EC2NodeClass, 'default')?.metadata.deletionTimestamp).toBeDefined();
    expect(cleaned).toEqual([]);
    expect(api.peekAll(Kinds.Event).map((e) => e.reason)).toContain('WaitingOnNodeClaimTermination');

    await api.delete(Kinds.NodeClaim, 'uses-it');
    await clock.advance(NODECLASS_WAIT_MS);
    expect(cleaned).toEqual(['default']);
    expect(api.peek(Kinds.EC2NodeClass, 'default')).toBeUndefined();
    finalizer.stop();
    state.stop();
  });
});
