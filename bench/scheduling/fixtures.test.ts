import { Labels } from '../../sdk/api/well-known';
import type { Pod } from '../../runtime/kube/objects';
import { podRequests } from '../../runtime/scheduling/resources';
import { schedule } from '../../runtime/scheduling/scheduler';
import { analysePlan, constraintViolations, costLowerBound } from './analyse';
import {
  AFFINITY_LABEL,
  CPU_CHOICES_M,
  GiB,
  MEMORY_CHOICES_MI,
  MiB,
  POD_CLASSES,
  SPREAD_LABEL,
  benchmarkInput,
  benchmarkNodePool,
  benchmarkPods,
  catalogInstanceTypes,
  fakeInstanceTypes,
  realisticInput,
  type PodClass,
} from './fixtures';
import { mulberry32 } from '../../runtime/simulator/prng';

describe('fake instance types', () => {
  const types = fakeInstanceTypes();

  it('are the 400 types fake-it-0..399 with i+1 vCPU, 2(i+1) GiB and 10(i+1) pods', () => {
    expect(types).toHaveLength(400);
    expect(types[0]?.name).toBe('fake-it-0');
    expect(types[0]?.capacity).toEqual({ cpu: 1000, memory: 2 * GiB, pods: 10 });
    expect(types[399]?.name).toBe('fake-it-399');
    expect(types[399]?.capacity).toEqual({ cpu: 400_000, memory: 800 * GiB, pods: 4000 });
  });

  it('cost $0.1 per vCPU plus $0.1 per GB (10^9 bytes), the same for every offering', () => {
    const prices = new Set(types[0]?.offerings.map((o) => o.price));
    expect([...prices]).toHaveLength(1);
    expect([...prices][0]).toBeCloseTo(0.1 + 0.1 * 2.147483648, 12);
  });

  it('offer spot in test-zone-1..2 and on-demand in test-zone-1..3', () => {
    const offerings = (types[7]?.offerings ?? []).map((o) => `${o.capacityType}/${o.zone}`).sort();
    expect(offerings).toEqual([
      'on-demand/test-zone-1',
      'on-demand/test-zone-2',
      'on-demand/test-zone-3',
      'spot/test-zone-1',
      'spot/test-zone-2',
    ]);
    expect(types[7]?.requirements.get(Labels.zone)?.has('test-zone-3')).toBe(true);
    expect(types[7]?.requirements.singleValueLabels()).toEqual({
      [Labels.instanceType]: 'fake-it-7',
      [Labels.arch]: 'amd64',
      [Labels.os]: 'linux',
    });
  });

  it("keep back the fake provider's kubeReserved (100m cpu, 10Mi memory)", () => {
    expect(types[0]?.allocatable).toEqual({ cpu: 900, memory: 2 * GiB - 10 * MiB, pods: 10 });
  });
});

describe('benchmark NodePool', () => {
  it('has no requirements by default, and instance-type Exists minValues 50 in the variant', () => {
    expect(benchmarkNodePool().spec.template.spec.requirements).toEqual([]);
    expect(benchmarkNodePool('minValues').spec.template.spec.requirements).toEqual([
      { key: Labels.instanceType, operator: 'Exists', minValues: 50 },
    ]);
  });
});

describe('benchmark pods', () => {
  const countByClass = (classOf: Map<Pod, PodClass>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const cls of classOf.values()) out[cls] = (out[cls] ?? 0) + 1;
    return out;
  };

  it('split evenly into six classes, the remainder generic', () => {
    const { pods, classOf } = benchmarkPods(1000);
    expect(pods).toHaveLength(1000);
    expect(countByClass(classOf)).toEqual({
      generic: 166 + 4,
      'zone-spread': 166,
      'hostname-spread': 166,
      'hostname-affinity': 166,
      'zone-affinity': 166,
      'hostname-anti-affinity': 166,
    });
    expect(Object.keys(countByClass(benchmarkPods(6).classOf))).toEqual([...POD_CLASSES]);
  });

  it('request cpu and memory from the upstream choices', () => {
    for (const p of benchmarkPods(600).pods) {
      const r = podRequests(p);
      expect(CPU_CHOICES_M).toContain(r.cpu);
      expect(MEMORY_CHOICES_MI).toContain((r.memory ?? 0) / MiB);
    }
  });

  it('carry the constraints of their class', () => {
    const { pods, classOf } = benchmarkPods(60);
    const of = (cls: PodClass): Pod => pods.find((p) => classOf.get(p) === cls) as Pod;
    expect(of('generic').metadata.labels).toEqual({ [SPREAD_LABEL]: expect.stringMatching(/^[a-g]$/) });
    expect(of('zone-spread').spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: Labels.zone,
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { [SPREAD_LABEL]: expect.stringMatching(/^[a-g]$/) } },
      },
    ]);
    expect(of('hostname-spread').spec.topologySpreadConstraints?.[0]?.topologyKey).toBe(Labels.hostname);
    const affinity = of('zone-affinity');
    expect(affinity.metadata.labels).toEqual({ [AFFINITY_LABEL]: expect.stringMatching(/^[a-g]$/) });
    expect(affinity.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        labelSelector: { matchLabels: { [AFFINITY_LABEL]: expect.stringMatching(/^[a-g]$/) } },
        topologyKey: Labels.zone,
      },
    ]);
    expect(
      of('hostname-affinity').spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]
        ?.topologyKey,
    ).toBe(Labels.hostname);
    const anti = of('hostname-anti-affinity');
    expect(anti.metadata.labels).toEqual({ app: 'nginx' });
    expect(anti.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { app: 'nginx' } }, topologyKey: Labels.hostname },
    ]);
  });

  it('draw spread and affinity labels independently of their selectors, as upstream does', () => {
    const { pods, classOf } = benchmarkPods(6000);
    const spread = pods.filter((p) => classOf.get(p) === 'zone-spread');
    const selfSelecting = spread.filter(
      (p) =>
        p.spec.topologySpreadConstraints?.[0]?.labelSelector?.matchLabels?.[SPREAD_LABEL] ===
        p.metadata.labels?.[SPREAD_LABEL],
    );
    // Independent draws from seven values match about one time in seven.
    expect(selfSelecting.length / spread.length).toBeGreaterThan(0.1);
    expect(selfSelecting.length / spread.length).toBeLessThan(0.2);
  });

  it('are deterministic: the same seed gives identical pods, another seed different ones', () => {
    expect(benchmarkPods(500, 7).pods).toEqual(benchmarkPods(500, 7).pods);
    expect(benchmarkPods(500, 7).pods).not.toEqual(benchmarkPods(500, 8).pods);
  });
});

describe('mulberry32', () => {
  it('is reproducible and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

describe('plan analysis', () => {
  it('finds no violation in a plan of generic pods and counts every pod once', () => {
    const { input, classOf } = benchmarkInput(120, { genericOnly: true });
    const result = schedule(input);
    const a = analysePlan(input, result, (p) => classOf.get(p) ?? '?', POD_CLASSES);
    expect(a.scheduled + a.unschedulable).toBe(120);
    expect(a.violated).toBe(0);
    expect(a.utilisation.cpu).toBeGreaterThan(0);
    expect(a.utilisation.cpu).toBeLessThanOrEqual(1);
  });

  it('flags the second of two anti-affine pods that share a claim', () => {
    const { input } = benchmarkInput(12);
    const nginx = input.pods.filter((p) => p.metadata.labels?.app === 'nginx');
    expect(nginx).toHaveLength(2);
    // A hand-made bad plan: schedule the other pods, then put both nginx pods on the same claim.
    const plan = schedule({ ...input, pods: input.pods.filter((p) => !nginx.includes(p)) });
    const claim = plan.newNodeClaims[0];
    if (!claim) throw new Error('expected a planned claim');
    claim.pods.push(...nginx);
    const anti = constraintViolations(input, plan).filter((v) => v.reason.startsWith('anti-affinity'));
    expect(anti).toHaveLength(1);
    expect(nginx).toContain(anti[0]?.pod);
  });
});

describe('realistic workload', () => {
  it('builds 20 deployments of 5–50 replicas against the whole catalog', () => {
    const { deployments, input } = realisticInput();
    expect(deployments).toHaveLength(20);
    for (const d of deployments) {
      expect(d.replicas).toBeGreaterThanOrEqual(5);
      expect(d.replicas).toBeLessThanOrEqual(50);
    }
    expect(input.pods).toHaveLength(deployments.reduce((a, d) => a + d.replicas, 0));
    expect(input.nodePools[0]?.instanceTypes).toHaveLength(catalogInstanceTypes().length);
  });

  it('bounds cost by the cheapest $/vCPU and $/GiB over allowed offerings', () => {
    const { input } = realisticInput();
    const bound = costLowerBound(input.pods, input.nodePools[0]?.instanceTypes ?? [], ['on-demand', 'spot']);
    expect(bound.dollarsPerHour).toBeCloseTo(
      Math.max(bound.vcpus * bound.cheapestPerVcpu.dollars, bound.gib * bound.cheapestPerGiB.dollars),
      9,
    );
    const onDemandOnly = costLowerBound(input.pods, input.nodePools[0]?.instanceTypes ?? [], ['on-demand']);
    expect(onDemandOnly.dollarsPerHour).toBeGreaterThanOrEqual(bound.dollarsPerHour);
  });
});
