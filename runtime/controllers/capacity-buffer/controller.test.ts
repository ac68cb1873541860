import type { CloudProvider } from '../../cloudprovider/types';
import { SimClock } from '../../clock/sim-clock';
import { EventRecorder } from '../../events/recorder';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { CapacityBuffer, Deployment } from '../../kube/objects';
import { createLogger } from '../../logging';
import { ClusterState } from '../../state/cluster-state';
import { CAPACITY_BUFFER_DISABLED, CapacityBufferController, RESYNC_MS } from './controller';
import { testCapacityBuffer } from './testing';

const NS = 'team';

const buffer = (name: string, spec: Partial<CapacityBuffer['spec']>): CapacityBuffer =>
  testCapacityBuffer({ name, namespace: NS }, spec);

const deployment = (replicas: number): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: NS },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', resources: { requests: { cpu: '500m' } } }] },
    },
  },
});

async function setup(enabled: boolean) {
  const clock = new SimClock();
  const api = new MemoryApiServer({ clock });
  const state = new ClusterState(api, clock, undefined, { capacityBuffers: enabled });
  await state.start();
  let woken = 0;
  const controller = new CapacityBufferController({
    api,
    cloud: {} as CloudProvider,
    state,
    clock,
    recorder: new EventRecorder(api, clock),
    logger: createLogger('silent'),
    enabled,
    onResolved: () => woken++,
  });
  controller.start();
  const settle = async () => {
    for (let i = 0; i < 5; i++) await clock.advance(100);
  };
  return { clock, api, controller, settle, woken: () => woken };
}

const status = (api: MemoryApiServer, name: string) => api.peek(Kinds.CapacityBuffer, name, NS)?.status;

describe('CapacityBufferController', () => {
  it('resolves buffers into status and virtual pods, and follows the workload’s replicas', async () => {
    const { api, controller, settle, clock, woken } = await setup(true);
    await api.create(Kinds.Deployment, deployment(10));
    await api.create(
      Kinds.CapacityBuffer,
      buffer('share', { scalableRef: { kind: 'Deployment', name: 'web' }, percentage: 30 }),
    );
    await api.create(
      Kinds.CapacityBuffer,
      buffer('missing', { podTemplateRef: { name: 'chunk' }, replicas: 2 }),
    );
    await settle();
    expect(status(api, 'share')).toMatchObject({ replicas: 3 });
    expect(status(api, 'missing')?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'ReadyForProvisioning',
          status: 'False',
          reason: 'PodTemplateNotFound',
        }),
        expect.objectContaining({ type: 'Provisioning', status: 'False', reason: 'NotReadyForProvisioning' }),
      ]),
    );
    expect(controller.virtualPods().map((p) => p.metadata.name)).toEqual([
      'capacity-buffer-share-1',
      'capacity-buffer-share-2',
      'capacity-buffer-share-3',
    ]);
    expect(woken()).toBeGreaterThan(0);

    // The PodTemplate appears: that buffer resolves too, without waiting for the periodic pass.
    await api.create(Kinds.PodTemplate, {
      apiVersion: 'v1',
      kind: 'PodTemplate',
      metadata: { name: 'chunk', namespace: NS },
      template: { spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] } },
    });
    // The Deployment scales: 30% of 20.
    await api.patch(Kinds.Deployment, 'web', { spec: { replicas: 20 } }, NS);
    await settle();
    expect(status(api, 'missing')).toMatchObject({ replicas: 2, podTemplateRef: { name: 'chunk' } });
    expect(status(api, 'share')).toMatchObject({ replicas: 6 });
    expect(controller.virtualPods()).toHaveLength(8);

    // Deleting a buffer drops its virtual pods.
    await api.delete(Kinds.CapacityBuffer, 'share', NS);
    await clock.advance(RESYNC_MS);
    await settle();
    expect(controller.virtualPods().map((p) => p.metadata.name)).toEqual([
      'capacity-buffer-missing-1',
      'capacity-buffer-missing-2',
    ]);
    controller.stop();
  });

  it('with the gate off keeps no virtual pods and warns once per buffer', async () => {
    const { api, controller, settle, clock } = await setup(false);
    await api.create(Kinds.CapacityBuffer, buffer('b', { podTemplateRef: { name: 'chunk' }, replicas: 1 }));
    await settle();
    expect(controller.virtualPods()).toEqual([]);
    expect(status(api, 'b')).toBeUndefined();
    const warnings = () => api.peekAll(Kinds.Event).filter((e) => e.reason === 'CapacityBufferDisabled');
    // Looked for at start (none then) and every 5 minutes.
    await api.create(Kinds.CapacityBuffer, buffer('c', { podTemplateRef: { name: 'chunk' }, replicas: 1 }));
    await settle();
    expect(warnings()).toEqual([]);
    await clock.advance(5 * 60_000);
    await settle();
    await clock.advance(5 * 60_000);
    await settle();
    expect(warnings().map((e) => [e.involvedObject?.name, e.message])).toEqual([
      ['b', CAPACITY_BUFFER_DISABLED],
      ['c', CAPACITY_BUFFER_DISABLED],
    ]);
    controller.stop();
  });
});
