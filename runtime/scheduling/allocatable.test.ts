import {
  allocatableOf,
  DEFAULT_CAPACITY_SETTINGS,
  efaCapacity,
  efaOnlyOnDefaultCard,
  eniLimitedPods,
  kubeReservedCpuMillis,
  kubeReservedMemoryBytes,
  kubeReservedPodsOf,
  maxPodsOf,
  memoryCapacityBytes,
  nodeOverhead,
  nodeResources,
  type InstanceHardware,
} from './allocatable';
import { GiB, MiB, WORKSHOP_KUBELET, catalogSpec, instanceType } from './testing';

// Hardware as DescribeInstanceTypes reports it (default network card's ENIs).
const M5_LARGE: InstanceHardware = { vcpu: 2, memoryMiB: 8192, arch: 'amd64', maxENIs: 3, ipv4PerENI: 10 };
const T3_MICRO: InstanceHardware = { vcpu: 2, memoryMiB: 1024, arch: 'amd64', maxENIs: 2, ipv4PerENI: 2 };
const M5_16XLARGE: InstanceHardware = {
  vcpu: 64,
  memoryMiB: 262144,
  arch: 'amd64',
  maxENIs: 15,
  ipv4PerENI: 50,
};
const M6G_LARGE: InstanceHardware = { ...M5_LARGE, arch: 'arm64' };
const defaults = DEFAULT_CAPACITY_SETTINGS;

describe("upstream's capacity rules, worked out by hand for real types (default settings, AL2023)", () => {
  // memory = MiB − ceil(MiB × 0.075); pods = ENIs × (IPv4 per ENI − 1) + 2;
  // allocatable memory = memory − (11 × ENI pods + 255)Mi − 100Mi; cpu = vCPUs − kubeReserved tiers.
  it.each<[string, InstanceHardware, { memoryMiB: number; pods: number; allocMiB: number; cpu: number }]>([
    // 8192 − ceil(614.4) = 7577; 3 × 9 + 2 = 29; 7577 − 574 − 100
    ['m5.large', M5_LARGE, { memoryMiB: 7577, pods: 29, allocMiB: 6903, cpu: 1930 }],
    // 1024 − ceil(76.8) = 947; 2 × 1 + 2 = 4; 947 − 299 − 100
    ['t3.micro', T3_MICRO, { memoryMiB: 947, pods: 4, allocMiB: 548, cpu: 1930 }],
    // 262144 − ceil(19660.8) = 242483; 15 × 49 + 2 = 737; 242483 − 8362 − 100; 64000 − 230
    ['m5.16xlarge', M5_16XLARGE, { memoryMiB: 242483, pods: 737, allocMiB: 234021, cpu: 63770 }],
  ])('%s', (_name, hw, want) => {
    const r = nodeResources(hw, {}, defaults);
    expect(r.capacity).toEqual({ cpu: hw.vcpu * 1000, memory: want.memoryMiB * MiB, pods: want.pods });
    expect(r.allocatable).toEqual({
      cpu: want.cpu,
      memory: want.allocMiB * MiB,
      pods: want.pods,
      'ephemeral-storage': 0,
    });
  });

  it('takes 64Mi off arm64 (Graviton CMA) before the overhead: m6g.large 8128 − ceil(609.6) = 7518Mi', () => {
    expect(memoryCapacityBytes(M6G_LARGE, 0.075)).toBe(7518 * MiB);
    expect(memoryCapacityBytes(M6G_LARGE, 0)).toBe(8128 * MiB);
  });

  it('rounds the overhead up to whole MiB and takes none at 0', () => {
    expect(memoryCapacityBytes(M5_LARGE, 0)).toBe(8192 * MiB);
    // 8192 × 0.1 = 819.2 → 820
    expect(memoryCapacityBytes(M5_LARGE, 0.1)).toBe((8192 - 820) * MiB);
    // 4096 × 0.25 = 1024 exactly: nothing to round
    expect(memoryCapacityBytes({ memoryMiB: 4096, arch: 'amd64' }, 0.25)).toBe(3072 * MiB);
  });

  it('passes other capacity (ephemeral storage, GPUs) through untouched', () => {
    const r = nodeResources(M5_LARGE, {}, defaults, { 'ephemeral-storage': 20 * GiB, 'nvidia.com/gpu': 1 });
    expect(r.capacity['nvidia.com/gpu']).toBe(1);
    expect(r.allocatable['ephemeral-storage']).toBe(19 * GiB);
  });
});

describe('ENI-limited pods and RESERVED_ENIS', () => {
  it('counts one pod per secondary address of each usable ENI plus 2', () => {
    expect(eniLimitedPods(3, 10)).toBe(29);
    expect(eniLimitedPods(3, 10, 1)).toBe(20);
    expect(eniLimitedPods(15, 50, 2)).toBe(639);
  });

  it('gives no pods once the reserved ENIs take them all', () => {
    expect(eniLimitedPods(2, 2, 1)).toBe(3);
    expect(eniLimitedPods(2, 2, 2)).toBe(0);
    expect(eniLimitedPods(2, 2, 5)).toBe(0);
  });

  it('lowers max pods but not kubeReserved memory, which AL2023 sizes for the plain ENI limit', () => {
    const r = nodeResources(M5_16XLARGE, {}, { ...defaults, reservedENIs: 1 });
    expect(r.capacity.pods).toBe(688); // 14 × 49 + 2
    expect(r.overhead.kubeReserved.memory).toBe(8362 * MiB); // 11 × 737 + 255
    const t3 = nodeResources(T3_MICRO, {}, { ...defaults, reservedENIs: 2 });
    expect(t3.capacity.pods).toBe(0);
    expect(t3.allocatable.pods).toBe(0);
  });

  it('lowers Bottlerocket kubeReserved memory too, as it sizes kubeReserved by max pods', () => {
    const r = nodeResources(M5_LARGE, { amiFamily: 'Bottlerocket' }, { ...defaults, reservedENIs: 1 });
    expect(r.capacity.pods).toBe(20);
    expect(r.overhead.kubeReserved.memory).toBe((11 * 20 + 255) * MiB);
  });
});

describe('EFA devices and efa-only interfaces (upstream efas and ENILimitedPods)', () => {
  // p4d.24xlarge: four cards of 15 ENIs, 50 addresses each, 4 EFA devices; the CNI uses card 0 only.
  const P4D: InstanceHardware = {
    vcpu: 96,
    memoryMiB: 1179648,
    arch: 'amd64',
    maxENIs: 15,
    ipv4PerENI: 50,
    maxEfaInterfaces: 4,
  };
  const nic = (networkCardIndex: number, deviceIndex: number, interfaceType: 'interface' | 'efa-only') => ({
    networkCardIndex,
    deviceIndex,
    interfaceType,
  });
  const efaOnCards01 = {
    networkInterfaces: [nic(0, 0, 'interface'), nic(0, 1, 'efa-only'), nic(1, 0, 'efa-only')],
  };

  it('offers every EFA device of the type without node class interfaces, none for a type that has none', () => {
    expect(efaCapacity(P4D, {})).toBe(4);
    expect(nodeResources(P4D, {}, defaults).capacity['vpc.amazonaws.com/efa']).toBe(4);
    expect(efaCapacity(M5_LARGE, {})).toBe(0);
    expect(nodeResources(M5_LARGE, {}, defaults).capacity).not.toHaveProperty('vpc.amazonaws.com/efa');
  });

  it("counts the node class's efa-only interfaces instead, and an empty list as none", () => {
    expect(efaCapacity(P4D, efaOnCards01)).toBe(2);
    expect(nodeResources(P4D, efaOnCards01, defaults).allocatable['vpc.amazonaws.com/efa']).toBe(2);
    expect(efaCapacity(P4D, { networkInterfaces: [] })).toBe(0);
    expect(nodeResources(P4D, { networkInterfaces: [] }, defaults).capacity).not.toHaveProperty(
      'vpc.amazonaws.com/efa',
    );
  });

  it('takes an ENI of card 0 per efa-only interface there out of max pods and kubeReserved sizing', () => {
    expect(efaOnlyOnDefaultCard(efaOnCards01)).toBe(1);
    // 15 × 49 + 2 without; (15 − 1) × 49 + 2 with the efa-only interface on card 0 (card 1's takes nothing).
    expect(maxPodsOf(P4D, {})).toBe(737);
    expect(maxPodsOf(P4D, efaOnCards01)).toBe(688);
    expect(kubeReservedPodsOf(P4D, efaOnCards01, 688)).toBe(688);
    // RESERVED_ENIS comes off max pods too, but not off what AL2023 sizes kubeReserved for.
    expect(maxPodsOf(P4D, efaOnCards01, 1)).toBe(639);
    expect(
      nodeResources(P4D, efaOnCards01, { ...defaults, reservedENIs: 1 }).overhead.kubeReserved.memory,
    ).toBe(kubeReservedMemoryBytes(688));
  });

  it('gives no pods once reserved ENIs and efa-only interfaces take every ENI of card 0', () => {
    const twoEnis = { ...T3_MICRO, maxEfaInterfaces: 1 };
    expect(
      maxPodsOf(twoEnis, { networkInterfaces: [nic(0, 0, 'interface'), nic(0, 1, 'efa-only')] }, 1),
    ).toBe(0);
  });
});

describe('max pods precedence: kubelet maxPods, else ENI limit (110 for families not sized by ENIs), then podsPerCore', () => {
  it('takes kubelet maxPods over the ENI limit, up or down, RESERVED_ENIS aside', () => {
    expect(maxPodsOf(M5_LARGE, { kubelet: { maxPods: 110 } }, 1)).toBe(110);
    expect(maxPodsOf(M5_LARGE, { kubelet: { maxPods: 5 } })).toBe(5);
    expect(maxPodsOf(M5_LARGE, { kubelet: { maxPods: 0 } })).toBe(0);
  });

  it('caps with podsPerCore × vCPUs where the family honours it (not Bottlerocket); 0 means no cap', () => {
    expect(maxPodsOf(M5_LARGE, { kubelet: { podsPerCore: 4 } })).toBe(8);
    expect(maxPodsOf(M5_LARGE, { kubelet: { podsPerCore: 20 } })).toBe(29);
    expect(maxPodsOf(M5_LARGE, { kubelet: { maxPods: 110, podsPerCore: 4 } })).toBe(8);
    expect(maxPodsOf(M5_LARGE, { kubelet: { maxPods: 5, podsPerCore: 4 } })).toBe(5);
    expect(maxPodsOf(M5_LARGE, { kubelet: { podsPerCore: 0 } })).toBe(29);
    expect(maxPodsOf(M5_LARGE, { amiFamily: 'Bottlerocket', kubelet: { podsPerCore: 4 } })).toBe(29);
    expect(maxPodsOf(M5_LARGE, { amiFamily: 'AL2', kubelet: { podsPerCore: 4 } })).toBe(8);
  });

  it('gives Windows families 110 pods, never the ENI limit', () => {
    expect(maxPodsOf(M5_LARGE, { amiFamily: 'Windows2022' }, 1)).toBe(110);
    expect(maxPodsOf(M5_LARGE, { amiFamily: 'Windows2022', kubelet: { podsPerCore: 4 } })).toBe(8);
  });

  it('sizes kubeReserved memory for the ENI limit on AL2023 whatever maxPods says, by maxPods on Bottlerocket', () => {
    const al2023 = nodeResources(M5_LARGE, { amiFamily: 'AL2023', kubelet: { maxPods: 110 } }, defaults);
    expect(al2023.capacity.pods).toBe(110);
    expect(al2023.overhead.kubeReserved.memory).toBe(574 * MiB);
    const br = nodeResources(M5_LARGE, { amiFamily: 'Bottlerocket', kubelet: { maxPods: 110 } }, defaults);
    expect(br.overhead.kubeReserved.memory).toBe(1465 * MiB);
  });
});

describe('kubeReservedCpuMillis: 6% of core 1, 1% of core 2, 0.5% of cores 3-4, 0.25% of the rest', () => {
  it.each<[number, number]>([
    [1, 60],
    [2, 70],
    [3, 75],
    [4, 80],
    [8, 90],
    [16, 110],
    [48, 190],
    [96, 310],
  ])('%d vCPU → %dm', (vcpus, millis) => {
    expect(kubeReservedCpuMillis(vcpus)).toBe(millis);
  });

  it('reserves nothing for no cpu', () => {
    expect(kubeReservedCpuMillis(0)).toBe(0);
  });
});

describe('kubeReservedMemoryBytes: 11Mi per pod + 255Mi', () => {
  it.each<[number, number]>([
    [0, 255],
    [8, 343],
    [17, 442],
    [29, 574],
    [110, 1465],
    [737, 8362],
  ])('%d pods → %dMi', (pods, mib) => {
    expect(kubeReservedMemoryBytes(pods)).toBe(mib * MiB);
  });
});

describe('nodeOverhead for t3a.medium (2 vCPU, 4096Mi less the VM overhead = 3788Mi, 17 ENI pods)', () => {
  const it17 = instanceType('t3a.medium');
  const capacity = it17.capacity;

  it('has the catalog capacity less the VM overhead (4096 − ceil(307.2))', () => {
    expect(catalogSpec('t3a.medium').memoryMiB).toBe(4096);
    expect(capacity).toEqual({ cpu: 2000, memory: 3788 * MiB, pods: 17, 'ephemeral-storage': 20 * GiB });
  });

  it('without systemReserved: kubeReserved 70m / 442Mi and the 100Mi eviction threshold', () => {
    const o = nodeOverhead(capacity, 2, 17);
    expect(o.kubeReserved).toEqual({ cpu: 70, memory: 442 * MiB, 'ephemeral-storage': GiB });
    expect(o.systemReserved).toEqual({});
    expect(o.evictionThreshold).toEqual({ memory: 100 * MiB });
    expect(allocatableOf(capacity, o.total)).toEqual({
      cpu: 1930,
      memory: 3246 * MiB,
      pods: 17,
      'ephemeral-storage': 19 * GiB,
    });
    expect(it17.allocatable).toEqual(allocatableOf(capacity, o.total));
  });

  it('with the workshop systemReserved cpu 150m: 1780m allocatable', () => {
    const workshop = instanceType('t3a.medium', WORKSHOP_KUBELET);
    expect(workshop.overhead).toEqual({ cpu: 220, memory: 542 * MiB, 'ephemeral-storage': GiB });
    expect(workshop.allocatable).toEqual({
      cpu: 1780,
      memory: 3246 * MiB,
      pods: 17,
      'ephemeral-storage': 19 * GiB,
    });
  });

  it('systemReserved memory and kubeReserved overrides are subtracted as given', () => {
    const o = nodeOverhead(capacity, 2, 17, {
      systemReserved: { cpu: '100m', memory: '100Mi' },
      kubeReserved: { cpu: '200m' },
    });
    expect(o.kubeReserved).toEqual({ cpu: 200, memory: 442 * MiB, 'ephemeral-storage': GiB });
    expect(allocatableOf(capacity, o.total)).toMatchObject({ cpu: 1700, memory: 3146 * MiB });
  });

  it('a percentage evictionHard is taken of the memory capacity after the VM overhead, rounded up', () => {
    const o = nodeOverhead(capacity, 2, 17, { evictionHard: { 'memory.available': '5%' } });
    // 3788Mi = 3972005888 bytes; 5% = 198600294.4 → 198600295
    expect(o.evictionThreshold).toEqual({ memory: 198600295 });
    expect(
      nodeOverhead(capacity, 2, 17, { evictionHard: { 'memory.available': '100%' } }).evictionThreshold,
    ).toEqual({ memory: 0 });
  });

  it('an absolute evictionHard replaces the 100Mi default', () => {
    const o = nodeOverhead(capacity, 2, 17, { evictionHard: { 'memory.available': '500Mi' } });
    expect(o.evictionThreshold).toEqual({ memory: 500 * MiB });
  });
});

describe('allocatableOf', () => {
  it('subtracts per resource and never goes below zero', () => {
    expect(allocatableOf({ cpu: 100, memory: 10, pods: 4 }, { cpu: 200, memory: 4 })).toEqual({
      cpu: 0,
      memory: 6,
      pods: 4,
    });
  });
});
