import { specCapacity } from '../cloudprovider/simulated/catalog';
import {
  allocatableOf,
  effectiveMaxPods,
  kubeReservedCpuMillis,
  kubeReservedMemoryBytes,
  nodeOverhead,
} from './allocatable';
import { GiB, MiB, WORKSHOP_KUBELET, catalogSpec, instanceType } from './testing';

describe('kubeReservedCpuMillis: 6% of core 1, 1% of core 2, 0.5% of cores 3-4, 0.25% of the rest', () => {
  it.each<[number, number]>([
    [1, 60], // 60
    [2, 70], // 60 + 10
    [3, 75], // 60 + 10 + 5
    [4, 80], // 60 + 10 + 5 + 5
    [8, 90], // 80 + 4 × 2.5
    [16, 110], // 80 + 12 × 2.5
    [48, 190], // 80 + 44 × 2.5
    [96, 310], // 80 + 92 × 2.5
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
  ])('maxPods %d → %dMi', (maxPods, mib) => {
    expect(kubeReservedMemoryBytes(maxPods)).toBe(mib * MiB);
  });
});

describe('effectiveMaxPods', () => {
  it('defaults to the ENI limit', () => {
    expect(effectiveMaxPods(17, 2)).toBe(17);
    expect(effectiveMaxPods(17, 2, {})).toBe(17);
  });

  it('kubelet maxPods replaces the ENI limit, up or down', () => {
    expect(effectiveMaxPods(17, 2, { maxPods: 110 })).toBe(110);
    expect(effectiveMaxPods(17, 2, { maxPods: 5 })).toBe(5);
  });

  it('podsPerCore caps the count at podsPerCore × vCPUs', () => {
    expect(effectiveMaxPods(17, 2, { podsPerCore: 4 })).toBe(8);
    expect(effectiveMaxPods(17, 2, { podsPerCore: 20 })).toBe(17);
    expect(effectiveMaxPods(58, 4, { maxPods: 110, podsPerCore: 10 })).toBe(40);
    expect(effectiveMaxPods(58, 4, { maxPods: 30, podsPerCore: 10 })).toBe(30);
  });

  it('podsPerCore 0 means no cap, as in the kubelet', () => {
    expect(effectiveMaxPods(17, 2, { podsPerCore: 0 })).toBe(17);
  });
});

describe('nodeOverhead and allocatable for t3a.medium (2 vCPU, 4096Mi, ENI maxPods 17)', () => {
  const spec = catalogSpec('t3a.medium');
  const capacity = specCapacity(spec);

  it('has the catalog capacity', () => {
    expect(spec.maxPods).toBe(17);
    expect(capacity).toEqual({ cpu: 2000, memory: 4096 * MiB, pods: 17, 'ephemeral-storage': 20 * GiB });
  });

  it('without systemReserved: kubeReserved 70m / 442Mi and the 100Mi eviction threshold', () => {
    const o = nodeOverhead(capacity, spec.vcpu);
    expect(o.kubeReserved).toEqual({ cpu: 70, memory: 442 * MiB, 'ephemeral-storage': GiB });
    expect(o.systemReserved).toEqual({});
    expect(o.evictionThreshold).toEqual({ memory: 100 * MiB });
    expect(o.total).toEqual({ cpu: 70, memory: 542 * MiB, 'ephemeral-storage': GiB });
    expect(allocatableOf(capacity, o.total)).toEqual({
      cpu: 1930,
      memory: 3554 * MiB,
      pods: 17,
      'ephemeral-storage': 19 * GiB,
    });
  });

  it('with the workshop systemReserved cpu 150m: 1780m allocatable', () => {
    const o = nodeOverhead(capacity, spec.vcpu, WORKSHOP_KUBELET);
    expect(o.systemReserved).toEqual({ cpu: 150 });
    expect(o.total).toEqual({ cpu: 220, memory: 542 * MiB, 'ephemeral-storage': GiB });
    expect(allocatableOf(capacity, o.total)).toEqual({
      cpu: 1780,
      memory: 3554 * MiB,
      pods: 17,
      'ephemeral-storage': 19 * GiB,
    });
  });

  it('toInstanceType computes the same allocatable from the catalog', () => {
    const plain = instanceType('t3a.medium');
    const workshop = instanceType('t3a.medium', WORKSHOP_KUBELET);
    expect(plain.allocatable.cpu).toBe(1930);
    expect(workshop.allocatable).toEqual({
      cpu: 1780,
      memory: 3554 * MiB,
      pods: 17,
      'ephemeral-storage': 19 * GiB,
    });
    expect(workshop.overhead).toEqual({ cpu: 220, memory: 542 * MiB, 'ephemeral-storage': GiB });
  });

  it('systemReserved memory and kubeReserved overrides are subtracted as given', () => {
    const o = nodeOverhead(capacity, spec.vcpu, {
      systemReserved: { cpu: '100m', memory: '100Mi' },
      kubeReserved: { cpu: '200m' },
    });
    expect(o.kubeReserved).toEqual({ cpu: 200, memory: 442 * MiB, 'ephemeral-storage': GiB });
    expect(allocatableOf(capacity, o.total)).toMatchObject({ cpu: 1700, memory: 3454 * MiB });
  });

  it('a percentage evictionHard is taken of memory capacity, rounded up', () => {
    const o = nodeOverhead(capacity, spec.vcpu, { evictionHard: { 'memory.available': '5%' } });
    // 5% of 4096Mi = 214748364.8 bytes → 214748365
    expect(o.evictionThreshold).toEqual({ memory: 214748365 });
    expect(allocatableOf(capacity, o.total).memory).toBe(4096 * MiB - 442 * MiB - 214748365);
  });

  it('an absolute evictionHard replaces the 100Mi default', () => {
    const o = nodeOverhead(capacity, spec.vcpu, { evictionHard: { 'memory.available': '500Mi' } });
    expect(o.evictionThreshold).toEqual({ memory: 500 * MiB });
  });

  it('kubeReserved memory follows the effective maxPods', () => {
    const it110 = instanceType('t3a.medium', { maxPods: 110 });
    expect(it110.capacity.pods).toBe(110);
    expect(it110.allocatable.memory).toBe((4096 - 1465 - 100) * MiB);
    const perCore = instanceType('t3a.medium', { podsPerCore: 4 });
    expect(perCore.capacity.pods).toBe(8);
    expect(perCore.allocatable.memory).toBe((4096 - 343 - 100) * MiB);
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

  it('matches the formula on a large type: m5.16xlarge (64 vCPU, 256Gi, 737 pods)', () => {
    const big = instanceType('m5.16xlarge');
    expect(big.allocatable.cpu).toBe(64000 - 230);
    expect(big.allocatable.memory).toBe((262144 - 8362 - 100) * MiB);
  });
});
