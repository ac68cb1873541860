import { SimClock } from './clock/sim-clock';
import { SimulatedCloud } from './cloudprovider/simulated/simulated-cloud';
import { MemoryApiServer } from './kube/memory/memory-api-server';
import { createLogger } from './logging';
import { Operator } from './operator';

function operator(): Operator {
  const clock = new SimClock();
  const api = new MemoryApiServer({ clock });
  const cloud = new SimulatedCloud({ api, clock });
  return new Operator({
    api,
    cloud,
    clock,
    logger: createLogger('silent'),
    interruption: { source: cloud.interruptions, unavailable: () => undefined },
    nodeClassCleanup: async () => undefined,
  });
}

describe('Operator', () => {
  it('registers every controller once, in start order', () => {
    expect(operator().controllers.map((c) => c.name)).toEqual([
      'nodeclaim.lifecycle',
      'termination',
      'expiration',
      'capacityreservation.expiration',
      'hash',
      'nodepool.status',
      'nodeclaim.garbagecollection',
      'nodeclass.finalizer',
      'interruption',
      'nodepool.static',
      'capacitybuffer',
      'provisioner',
      'disruption',
    ]);
  });

  it('is idle only when every controller is', async () => {
    const op = operator();
    await op.start();
    expect(op.idle).toBe(true);
    // Work queued in any one of them, not only the four the Operator used to look at, keeps it busy.
    op.expiration.queue.add('some-claim');
    expect(op.idle).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(op.idle).toBe(true);
    op.stop();
  });
});
