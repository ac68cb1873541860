import { Labels } from '../../../sdk/api/well-known';
import type { InstanceType } from '../../scheduling/instance-types';
import { Requirements } from '../../scheduling/requirements';
import type { NodeClaim } from '../../kube/objects';
import {
  amiRequirements,
  claimFacts,
  instanceTypeOffered,
  nodeClassResolution,
  resolvedDrift,
  unknown,
  type InstanceFacts,
  type NodeClassResolution,
} from './drift';

const amd64 = Requirements.fromLabels({ [Labels.arch]: 'amd64', [Labels.instanceType]: 'm5.large' });
const arm64 = Requirements.fromLabels({ [Labels.arch]: 'arm64', [Labels.instanceType]: 'm7g.large' });

/** Newest first, as the resolver orders them: ami-new and ami-old for amd64, ami-arm for arm64. */
const nodeClass: NodeClassResolution = {
  amis: [
    { id: 'ami-new', requirements: amiRequirements('amd64') },
    { id: 'ami-arm', requirements: amiRequirements('arm64') },
    { id: 'ami-old', requirements: amiRequirements('amd64') },
  ],
  subnetIds: ['subnet-a', 'subnet-b'],
  securityGroupIds: ['sg-1', 'sg-2'],
};

const instance: InstanceFacts = {
  instanceTypeOffered: true,
  instanceTypeRequirements: amd64,
  imageId: 'ami-new',
  subnetId: 'subnet-a',
  securityGroupIds: ['sg-2', 'sg-1'],
};

const reasonOf = (n: Partial<NodeClassResolution>, i: Partial<InstanceFacts>) =>
  resolvedDrift({ ...nodeClass, ...n }, { ...instance, ...i }).reason;

describe('resolvedDrift', () => {
  it('finds nothing when the instance matches, security groups compared as a set', () => {
    expect(resolvedDrift(nodeClass, instance)).toEqual({ unchecked: [] });
    expect(reasonOf({}, { securityGroupIds: ['sg-1', 'sg-2', 'sg-1'] })).toBeUndefined();
  });

  it('drifts a node whose image is still selected but is not the newest AMI for its type', () => {
    // The old check accepted any selected AMI; upstream maps each type to its first compatible AMI only.
    expect(reasonOf({}, { imageId: 'ami-old' })).toBe('AMIDrift');
  });

  it('drifts a node running an AMI of another architecture than its type', () => {
    expect(reasonOf({}, { imageId: 'ami-new', instanceTypeRequirements: arm64 })).toBe('AMIDrift');
    expect(reasonOf({}, { imageId: 'ami-arm', instanceTypeRequirements: arm64 })).toBeUndefined();
  });

  it('drifts a type no AMI serves any more', () => {
    const onlyArm = { amis: [{ id: 'ami-arm', requirements: amiRequirements('arm64') }] };
    expect(reasonOf(onlyArm, { imageId: 'ami-new' })).toBe('AMIDrift');
  });

  it('without the type, drifts only an image outside every selected AMI', () => {
    expect(reasonOf({}, { instanceTypeRequirements: undefined, imageId: 'ami-gone' })).toBe('AMIDrift');
    const v = resolvedDrift(nodeClass, { ...instance, instanceTypeRequirements: undefined });
    expect(v).toEqual({
      unchecked: [{ check: 'amis', why: "which of 3 AMIs the node's instance type boots is not known" }],
    });
    const single = { amis: [{ id: 'ami-new' }] };
    expect(resolvedDrift({ ...nodeClass, ...single }, instance)).toEqual({ unchecked: [] });
  });

  it('checks security groups before subnets, as upstream', () => {
    // The old check named the subnet first.
    expect(reasonOf({}, { subnetId: 'subnet-z', securityGroupIds: ['sg-9'] })).toBe('SecurityGroupDrift');
    expect(reasonOf({}, { subnetId: 'subnet-z' })).toBe('SubnetDrift');
    expect(reasonOf({}, { subnetId: undefined })).toBe('SubnetDrift');
  });

  it('gives no verdict when a part resolves to nothing, even if another part drifted', () => {
    // Upstream computes both network checks before choosing, and an empty status list is an error.
    expect(
      resolvedDrift({ ...nodeClass, subnetIds: [] }, { ...instance, securityGroupIds: ['sg-9'] }),
    ).toEqual({
      unchecked: [],
      halted: 'subnetSelectorTerms resolve to no subnet',
    });
    expect(reasonOf({ amis: [] }, { subnetId: 'subnet-z' })).toBeUndefined();
    expect(reasonOf({ securityGroupIds: [] }, { subnetId: 'subnet-z' })).toBeUndefined();
    expect(resolvedDrift(nodeClass, { ...instance, imageId: undefined, subnetId: 'subnet-z' }).halted).toBe(
      'the NodeClaim records no image id',
    );
  });

  it('reports InstanceTypeNotFound before any resolved value', () => {
    expect(reasonOf({}, { instanceTypeOffered: false, imageId: 'ami-gone' })).toBe('InstanceTypeNotFound');
  });

  it('skips what it cannot know, says why, and still finds later drift', () => {
    const v = resolvedDrift(
      { ...nodeClass, amis: unknown('alias needs AWS access') },
      { ...instance, instanceTypeOffered: unknown('no catalog'), subnetId: 'subnet-z' },
    );
    expect(v).toEqual({
      reason: 'SubnetDrift',
      unchecked: [
        { check: 'instanceType', why: 'no catalog' },
        { check: 'amis', why: 'alias needs AWS access' },
      ],
    });
    const network = resolvedDrift(nodeClass, {
      ...instance,
      subnetId: unknown('instance not read'),
      securityGroupIds: unknown('instance not read'),
    });
    expect(network.reason).toBeUndefined();
    expect(network.unchecked.map((u) => u.check)).toEqual(['securityGroups', 'subnets']);
    // A drift found before the unknown part is certain.
    expect(reasonOf({}, { imageId: 'ami-old', subnetId: unknown('x') })).toBe('AMIDrift');
  });
});

describe('instanceTypeOffered', () => {
  const offering = (zone: string, capacityType: 'on-demand' | 'spot' | 'reserved', available = true) => ({
    zone,
    capacityType,
    price: 0.1,
    available,
  });
  const m5 = {
    name: 'm5.large',
    offerings: [offering('us-east-1a', 'on-demand', false), offering('us-east-1b', 'spot')],
  } as InstanceType;
  const labels = (zone: string, capacityType: string, type = 'm5.large') => ({
    [Labels.instanceType]: type,
    [Labels.zone]: zone,
    [Labels.capacityType]: capacityType,
  });

  it('needs the type listed with an offering in the node zone and capacity type, available or not', () => {
    expect(instanceTypeOffered([m5], labels('us-east-1a', 'on-demand'))).toBe(true);
    expect(instanceTypeOffered([m5], labels('us-east-1a', 'spot'))).toBe(false);
    expect(instanceTypeOffered([m5], labels('us-east-1c', 'on-demand'))).toBe(false);
    expect(instanceTypeOffered([m5], labels('us-east-1a', 'on-demand', 'c5.large'))).toBe(false);
    expect(instanceTypeOffered([m5], {})).toBe(false);
  });

  it('lets a reserved node fall back to on-demand', () => {
    expect(instanceTypeOffered([m5], labels('us-east-1a', 'reserved'))).toBe(true);
  });
});

describe('claimFacts', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const claim = (ageMs: number, imageID?: string): NodeClaim => ({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: 'c',
      creationTimestamp: new Date(now - ageMs).toISOString(),
      labels: { [Labels.instanceType]: 'gone.large' },
    },
    spec: {
      requirements: [],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      expireAfter: '720h',
    },
    status: imageID ? { imageID } : {},
  });

  it('checks the instance type only once the claim is an hour old, and leaves the instance to be read', () => {
    expect(claimFacts(claim(3_600_001), [], now).instanceTypeOffered).toBe(false);
    expect(claimFacts(claim(3_599_000), [], now)).toEqual({
      instanceTypeOffered: unknown('checked once the claim is an hour old'),
      instanceTypeRequirements: undefined,
      imageId: unknown('read from the instance'),
      subnetId: unknown('read from the instance'),
      securityGroupIds: unknown('read from the instance'),
      // From the claim's label: a node outside any group has "".
      placementGroupId: '',
    });
    expect(claimFacts(claim(0, 'ami-1'), [], now).imageId).toBe('ami-1');
  });
});

describe('nodeClassResolution', () => {
  it('counts a part that failed to resolve as resolved to nothing, and keeps AMI order and arch', () => {
    const r = nodeClassResolution({
      subnets: [{ id: 'subnet-a', zone: 'us-east-1a', availableIPs: 1 }],
      securityGroups: [],
      amis: [
        { id: 'ami-2', arch: 'arm64' },
        { id: 'ami-1', arch: 'amd64' },
      ],
      problems: { SecurityGroupsReady: 'denied' },
    });
    expect(r).toEqual({
      amis: [
        { id: 'ami-2', requirements: amiRequirements('arm64') },
        { id: 'ami-1', requirements: amiRequirements('amd64') },
      ],
      subnetIds: ['subnet-a'],
      securityGroupIds: [],
      placementGroupId: '',
    });
  });
});

describe('CapacityReservationDrift', () => {
  it('drifts a node in a reservation the node class no longer selects, after the network checks', () => {
    const selected = { capacityReservationIds: ['cr-1'] };
    expect(reasonOf(selected, { capacityReservationId: 'cr-1' })).toBeUndefined();
    expect(reasonOf(selected, { capacityReservationId: 'cr-2' })).toBe('CapacityReservationDrift');
    expect(reasonOf({ capacityReservationIds: [] }, { capacityReservationId: 'cr-1' })).toBe(
      'CapacityReservationDrift',
    );
    // Subnet drift is named first (upstream's order).
    expect(reasonOf(selected, { capacityReservationId: 'cr-2', subnetId: 'subnet-z' })).toBe('SubnetDrift');
  });

  it('leaves nodes outside reservations, and every node with the gate off (nothing resolved), alone', () => {
    expect(reasonOf({ capacityReservationIds: ['cr-1'] }, {})).toBeUndefined();
    expect(reasonOf({}, { capacityReservationId: 'cr-9' })).toBeUndefined();
  });

  it('reads the reservation from the claim label and the selected ones from the resolution', () => {
    const now = Date.UTC(2026, 0, 1);
    const facts = claimFacts(
      {
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodeClaim',
        metadata: { name: 'c', labels: { [Labels.capacityReservationId]: 'cr-7' } },
        spec: {
          requirements: [],
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
          expireAfter: '720h',
        },
      },
      [],
      now,
    );
    expect(facts.capacityReservationId).toBe('cr-7');
    const base = { subnets: [], securityGroups: [], amis: [], problems: {} };
    expect(nodeClassResolution(base).capacityReservationIds).toBeUndefined();
    const withReservations = nodeClassResolution({
      ...base,
      capacityReservations: [
        {
          id: 'cr-7',
          availabilityZone: 'us-east-1a',
          instanceMatchCriteria: 'targeted',
          instanceType: 'm5.large',
          ownerID: '123456789012',
          reservationType: 'default',
          state: 'active',
        },
      ],
    });
    expect(withReservations.capacityReservationIds).toEqual(['cr-7']);
  });
});
