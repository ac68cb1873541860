/**
 * CapacityBuffer scenarios on the embedded simulator (issue 23, "headroom"): the lab's app with a buffer of four
 * pods of its own size. The headroom is provisioned ahead of demand, a scale-up of up to four pods starts at once
 * on it (no pod waits for a launch), the headroom is then bought again, and consolidation never removes it while
 * the buffer exists; deleting the buffer gives the room back.
 */
import type { CapacityBufferInput } from '../sdk/api/capacitybuffer';
import { join } from 'node:path';
import { Kinds } from '../runtime/kube/kinds';
import { loadManifestFile } from '../runtime/manifests';
import type { CapacityBuffer, Pod } from '../runtime/kube/objects';
import { fromResourceList, podRequests } from '../runtime/scheduling/resources';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';

jest.setTimeout(60_000);

const BUFFER = 'app-headroom';

function buffer(spec: CapacityBufferInput['spec']): CapacityBuffer {
  return {
    apiVersion: 'autoscaling.x-k8s.io/v1beta1',
    kind: 'CapacityBuffer',
    metadata: { name: BUFFER, namespace: APP_NS },
    spec,
  } as CapacityBuffer;
}
/** The example manifest: room for four of the lab app's pods. */
const appBuffer = () =>
  loadManifestFile(
    join(__dirname, '..', 'examples', 'headroom', 'capacity-buffer.yaml'),
  )[0] as CapacityBuffer;

const condition = (sim: Simulation, type: string) =>
  sim.api.peek(Kinds.CapacityBuffer, BUFFER, APP_NS)?.status?.conditions?.find((c) => c.type === type);

const appPods = (sim: Simulation) => sim.pods().filter((p) => p.metadata.labels?.app === 'fastapi-app');
const claims = (sim: Simulation) => sim.api.peekAll(Kinds.NodeClaim).map((c) => c.metadata.name as string);

/** How many more app pods the workshop nodes have room for, as the kube-scheduler counts it. */
function roomForAppPods(sim: Simulation): number {
  const app = appPods(sim)[0] as Pod;
  const cpu = podRequests(app).cpu ?? 0;
  let room = 0;
  for (const node of workshopNodes(sim)) {
    const allocatable = fromResourceList(node.status?.allocatable).cpu ?? 0;
    const used = sim
      .pods()
      .filter((p) => p.spec.nodeName === node.metadata.name)
      .reduce((sum, p) => sum + (podRequests(p).cpu ?? 0), 0);
    room += Math.floor((allocatable - used) / cpu);
  }
  return room;
}

/** When the kube-scheduler bound the pod: its PodScheduled=True transition. */
const boundAt = (pod: Pod) =>
  Date.parse(
    pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')
      ?.lastTransitionTime ?? '',
  );

async function withBuffer(): Promise<Simulation> {
  const sim = await labCluster({ replicas: 8, settings: { capacityBuffer: true } });
  await sim.apply([appBuffer()]);
  await sim.settle();
  return sim;
}

describe('CapacityBuffer', () => {
  it('keeps room for four app pods, provisioned ahead of demand, and reports it in its status', async () => {
    const baseline = await labCluster({ replicas: 8, settings: { capacityBuffer: true } });
    const before = roomForAppPods(baseline);
    baseline.stop();
    expect(before).toBeLessThan(4);

    const sim = await withBuffer();
    expect(roomForAppPods(sim)).toBeGreaterThanOrEqual(4);
    const status = sim.api.peek(Kinds.CapacityBuffer, BUFFER, APP_NS)?.status;
    expect(status).toMatchObject({ replicas: 4, provisioningStrategy: 'buffer.x-k8s.io/active-capacity' });
    expect(condition(sim, 'ReadyForProvisioning')).toMatchObject({ status: 'True', reason: 'Resolved' });
    expect(condition(sim, 'Provisioning')).toMatchObject({
      status: 'True',
      reason: 'FitsExistingCapacity',
      message: 'All 4 virtual pods fit on existing capacity',
    });
    // Placeholders live only in the controller's memory: no pod, no event names them.
    expect(sim.pods().filter((p) => p.metadata.name?.startsWith('capacity-buffer-'))).toEqual([]);
    expect(
      sim.api.peekAll(Kinds.Event).filter((e) => e.involvedObject?.name?.startsWith('capacity-buffer-')),
    ).toEqual([]);
    sim.stop();
  });

  it('scale-ups within the buffer start at once, with no launch, and used headroom is bought again', async () => {
    const sim = await withBuffer();
    const launchedBefore = claims(sim).length;
    let replicas = 8;
    // Three scale-ups of four: the second uses the last of the first headroom node, the third the rebuilt room.
    for (let step = 0; step < 3; step++) {
      const claimsBefore = claims(sim);
      const scaledAt = sim.clock.now();
      replicas += 4;
      await sim.scale('Deployment', APP_NS, APP, replicas);
      await sim.clock.advance(5_000);
      const added = appPods(sim).filter((p) => Date.parse(p.metadata.creationTimestamp ?? '') >= scaledAt);
      expect(added).toHaveLength(4);
      for (const pod of added) {
        expect(pod.spec.nodeName).toBeDefined();
        expect(boundAt(pod) - scaledAt).toBeLessThanOrEqual(5_000);
        // Never Unschedulable: the kube-scheduler found room at its first try.
        expect(pod.status?.conditions?.some((c) => c.reason === 'Unschedulable')).toBe(false);
        // On a node that was up before the scale-up, not on one launched for it.
        expect(claimsBefore).toContain(
          sim.api.peekAll(Kinds.NodeClaim).find((c) => c.status?.nodeName === pod.spec.nodeName)?.metadata
            .name,
        );
      }
      // The room is there again for the next scale-up.
      await sim.settle();
      expect(roomForAppPods(sim)).toBeGreaterThanOrEqual(4);
      expect(condition(sim, 'Provisioning')).toMatchObject({
        status: 'True',
        reason: 'FitsExistingCapacity',
      });
    }
    // The headroom used up by the second scale-up was bought again.
    expect(claims(sim).length).toBeGreaterThan(launchedBefore);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toEqual([]);
    sim.stop();
  });

  it('consolidation never removes the headroom while the buffer exists; deleting the buffer gives it back', async () => {
    const sim = await withBuffer();
    const nodes = workshopNodes(sim)
      .map((n) => n.metadata.name)
      .sort();
    // An hour of cluster time: every disruption poll passes the headroom over.
    await sim.settle({ quietMs: 60 * 60_000, maxMs: 2 * 60 * 60_000 });
    expect(
      workshopNodes(sim)
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(nodes);
    expect(roomForAppPods(sim)).toBeGreaterThanOrEqual(4);
    const explanation = [...sim.operator.disruption.explanations.values()].find((e) =>
      e.includes(`CapacityBuffer ${APP_NS}/${BUFFER}`),
    );
    expect(explanation).toMatch(/holds the spare capacity of CapacityBuffer my-cool-app\/app-headroom/);

    await sim.delete(Kinds.CapacityBuffer, BUFFER, APP_NS);
    await sim.settle();
    expect(workshopNodes(sim).length).toBeLessThan(nodes.length);
    expect(roomForAppPods(sim)).toBeLessThan(4);
    sim.stop();
  });

  it('still consolidates what a scale-down leaves, down to the nodes the app and its headroom need', async () => {
    const sim = await withBuffer();
    const settledNodes = workshopNodes(sim).length;
    await sim.scale('Deployment', APP_NS, APP, 16);
    await sim.settle();
    expect(workshopNodes(sim).length).toBeGreaterThan(settledNodes);
    await sim.scale('Deployment', APP_NS, APP, 8);
    await sim.settle();
    expect(workshopNodes(sim)).toHaveLength(settledNodes);
    expect(roomForAppPods(sim)).toBeGreaterThanOrEqual(4);
    sim.stop();
  });

  it('keeps no headroom with the gate off, and says so on the buffer', async () => {
    const sim = await labCluster({ replicas: 8 });
    const nodes = workshopNodes(sim).length;
    await sim.apply([appBuffer()]);
    // The check for buffers runs every 5 minutes with the gate off.
    await sim.settle({ quietMs: 6 * 60_000 });
    expect(workshopNodes(sim)).toHaveLength(nodes);
    expect(sim.api.peek(Kinds.CapacityBuffer, BUFFER, APP_NS)?.status).toBeUndefined();
    const warnings = sim.api
      .peekAll(Kinds.Event)
      .filter((e) => e.reason === 'CapacityBufferDisabled' && e.involvedObject?.name === BUFFER);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/set FEATURE_GATES=CapacityBuffer=true/);
    sim.stop();
  });

  it('refuses a buffer the schema refuses, naming the field and the fix', async () => {
    const sim = await labCluster({ replicas: 1, settings: { capacityBuffer: true } });
    await expect(sim.apply([buffer({ podTemplateRef: { name: 'app' } })])).rejects.toThrow(
      /spec.replicas: a buffer with podTemplateRef needs replicas or limits/,
    );
    sim.stop();
  });
});
