import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import { nodeClassStatus, writeNodeClassStatus, type ResolvedNodeClass } from './nodeclass-status';
import { ManualClock, testNodeClass } from './testing';

const ok: ResolvedNodeClass = {
  subnets: [{ id: 'subnet-a', zone: 'us-east-1a', zoneID: 'use1-az1', availableIPs: 10 }],
  securityGroups: [{ id: 'sg-1', name: 'nodes' }],
  amis: [{ id: 'ami-1', name: 'al2023', arch: 'arm64' }],
  instanceProfile: 'demo_abc',
  problems: {},
};

describe('nodeClassStatus', () => {
  it('writes what was resolved, AMI requirements by arch, and Ready', () => {
    const s = nodeClassStatus(undefined, ok, Date.UTC(2026, 0, 1), 3);
    expect(s).toMatchObject({
      subnets: [{ id: 'subnet-a', zone: 'us-east-1a', zoneID: 'use1-az1' }],
      securityGroups: [{ id: 'sg-1', name: 'nodes' }],
      amis: [
        {
          id: 'ami-1',
          name: 'al2023',
          requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }],
        },
      ],
      instanceProfile: 'demo_abc',
    });
    expect(s.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'SubnetsReady=True',
      'SecurityGroupsReady=True',
      'AMIsReady=True',
      'InstanceProfileReady=True',
      // Reported without a placementGroupSelector too, as upstream.
      'PlacementGroupReady=True',
      'Ready=True',
    ]);
    expect(s.conditions?.every((c) => c.observedGeneration === 3)).toBe(true);
  });

  it('sets the failing part and Ready to False with the reason, keeping transition times that did not change', () => {
    const first = nodeClassStatus(undefined, ok, 1000);
    const failed = nodeClassStatus(
      first,
      { ...ok, amis: [], problems: { AMIsReady: 'no AMI matches' } },
      5000,
    );
    const amis = failed.conditions?.find((c) => c.type === 'AMIsReady');
    expect(amis).toMatchObject({ status: 'False', reason: 'AMIsNotFound', message: 'no AMI matches' });
    expect(amis?.lastTransitionTime).toBe(new Date(5000).toISOString());
    expect(failed.conditions?.find((c) => c.type === 'Ready')?.message).toBe(
      'AMIsReady=False: no AMI matches',
    );
    expect(failed.conditions?.find((c) => c.type === 'SubnetsReady')?.lastTransitionTime).toBe(
      new Date(1000).toISOString(),
    );
  });
});

describe('writeNodeClassStatus', () => {
  it('updates the status subresource only when something changed', async () => {
    const clock = new ManualClock();
    const api = new MemoryApiServer({ clock });
    const stored = await api.create(Kinds.EC2NodeClass, testNodeClass());
    const written = await writeNodeClassStatus(api, clock, stored, ok);
    expect(written.status?.instanceProfile).toBe('demo_abc');
    const again = await writeNodeClassStatus(api, clock, written, ok);
    expect(again.metadata.resourceVersion).toBe(written.metadata.resourceVersion);
    expect((await api.get(Kinds.EC2NodeClass, 'default'))?.status?.subnets).toHaveLength(1);
  });
});

describe('nodeClassStatus with capacity reservations', () => {
  const cr = {
    id: 'cr-1',
    availabilityZone: 'us-east-1a',
    instanceMatchCriteria: 'targeted' as const,
    instanceType: 'm5.large',
    ownerID: '123456789012',
    reservationType: 'default' as const,
    state: 'active' as const,
  };
  const now = Date.UTC(2026, 0, 1);
  const types = (s: ReturnType<typeof nodeClassStatus>) => s.conditions?.map((c) => `${c.type}=${c.status}`);

  it('lists them and reports CapacityReservationsReady (gate on), also when none is selected', () => {
    const s = nodeClassStatus(undefined, { ...ok, capacityReservations: [cr] }, now);
    expect(s.capacityReservations).toEqual([cr]);
    expect(types(s)).toContain('CapacityReservationsReady=True');
    expect(types(s)).toContain('Ready=True');
    const none = nodeClassStatus(s, { ...ok, capacityReservations: [] }, now);
    expect(none.capacityReservations).toBeUndefined();
    expect(types(none)).toContain('CapacityReservationsReady=True');
  });

  it('keeps the last list when the query fails, and is not Ready', () => {
    const before = nodeClassStatus(undefined, { ...ok, capacityReservations: [cr] }, now);
    const failed = nodeClassStatus(
      before,
      { ...ok, problems: { CapacityReservationsReady: 'throttled' } },
      now,
    );
    expect(failed.capacityReservations).toEqual([cr]);
    expect(types(failed)).toContain('CapacityReservationsReady=False');
    expect(types(failed)).toContain('Ready=False');
  });

  it('has neither the list nor the condition with the gate off', () => {
    const before = nodeClassStatus(undefined, { ...ok, capacityReservations: [cr] }, now);
    const off = nodeClassStatus(before, ok, now);
    expect(off.capacityReservations).toBeUndefined();
    expect(types(off)?.some((t) => t.startsWith('CapacityReservationsReady'))).toBe(false);
  });
});
