import fc from 'fast-check';
import { packByPrice, type PackOption, type PackedBin } from './pack-by-price';
import { fits, type Resources } from './resources';

const GiB = 2 ** 30;
const req = (cpu: number, memGiB: number): Resources => ({ cpu, memory: memGiB * GiB, pods: 1 });
const option = (cpu: number, memGiB: number, price: number): PackOption => ({
  allocatable: { cpu, memory: memGiB * GiB, pods: 110 },
  price,
});
const items = (prefix: string, n: number, r: Resources) =>
  Array.from({ length: n }, (_, i) => ({ item: `${prefix}-${i}`, req: r }));
const cost = (bins: PackedBin<string>[], options: PackOption[]) =>
  bins.reduce((sum, b) => sum + (options[b.option] as PackOption).price, 0);

function expectValid(
  bins: PackedBin<string>[] | undefined,
  input: { item: string; req: Resources }[],
  options: PackOption[],
  overhead: Resources,
): void {
  expect(bins).toBeDefined();
  const placed = (bins ?? []).flatMap((b) => b.items);
  expect([...placed].sort()).toEqual(input.map((i) => i.item).sort());
  const reqOf = new Map(input.map((i) => [i.item, i.req]));
  for (const bin of bins ?? []) {
    const total: Resources = { ...overhead };
    for (const it of bin.items)
      for (const [k, v] of Object.entries(reqOf.get(it) ?? {})) total[k] = (total[k] ?? 0) + v;
    expect(fits(total, (options[bin.option] as PackOption).allocatable)).toBe(true);
  }
}

describe('packByPrice', () => {
  it('mixes cpu-heavy and memory-heavy items so no node is one-sided', () => {
    // Filled in size order, the cpu-heavy items share a node (6 cpu: the 8-cpu type) and so do the memory-heavy
    // ones; mixed, two 4-cpu, 4 GiB nodes hold them for less.
    const options = [option(4000, 4, 4), option(8000, 8, 9)];
    const input = [...items('cpu', 2, req(3000, 1)), ...items('mem', 2, req(1000, 3))];
    const bins = packByPrice(input, options, {});
    expectValid(bins, input, options, {});
    expect(bins?.map((b) => b.option)).toEqual([0, 0]);
    for (const bin of bins ?? []) expect(bin.requests).toEqual({ cpu: 4000, memory: 4 * GiB, pods: 2 });
  });

  it('prefers the type that costs least per unit packed', () => {
    // Eight 1-cpu items: four small nodes cost $4, one large node $3.
    const options = [option(2000, 2, 1), option(8000, 8, 3)];
    const input = items('p', 8, req(1000, 1));
    const bins = packByPrice(input, options, {});
    expectValid(bins, input, options, {});
    expect(bins?.map((b) => b.option)).toEqual([1]);
  });

  it('ends on the cheapest node that holds what is left', () => {
    const options = [option(1000, 1, 1), option(2000, 2, 2), option(4000, 4, 4), option(16000, 16, 16)];
    const input = items('p', 18, req(1000, 1));
    const bins = packByPrice(input, options, {});
    expectValid(bins, input, options, {});
    expect(cost(bins ?? [], options)).toBe(18);
    expect(bins?.length).toBe(2);
  });

  it('looks ahead near the end: a node that costs more per unit can leave a cheaper remainder', () => {
    // 10.75 cpu left: by cost per unit the 16-cpu node ($0.83) wins, but a 4-cpu and an 8-cpu node hold it all
    // for $0.75.
    const options = [
      option(2000, 4, 0.19),
      option(4000, 16, 0.3),
      option(8000, 32, 0.45),
      option(8000, 16, 0.49),
      option(16000, 32, 0.83),
      option(32000, 64, 1.51),
    ];
    const input = [
      ...items('big', 10, req(1000, 2)),
      ...items('mid', 1, req(500, 1)),
      ...items('small', 1, req(250, 0.25)),
    ];
    const bins = packByPrice(input, options, {});
    expectValid(bins, input, options, {});
    expect(cost(bins ?? [], options)).toBeCloseTo(0.75, 9);
  });

  it('leaves room for the per-node overhead', () => {
    const options = [option(4000, 4, 4), option(8000, 8, 8)];
    const overhead = { cpu: 500 };
    const input = items('p', 4, req(1000, 1));
    const bins = packByPrice(input, options, overhead);
    expectValid(bins, input, options, overhead);
    expect(bins?.map((b) => b.option)).toEqual([1]);
  });

  it('gives up when an item fits no option', () => {
    expect(packByPrice(items('big', 1, req(9000, 1)), [option(8000, 8, 8)], {})).toBeUndefined();
    expect(
      packByPrice(items('gpu', 1, { cpu: 100, 'nvidia.com/gpu': 1 }), [option(8000, 8, 8)], {}),
    ).toBeUndefined();
  });

  it('never skips a type that only it can hold the largest item in', () => {
    const options = [option(2000, 2, 1), option(2000, 2, 1.5), option(64000, 64, 100)];
    const input = [...items('small', 4, req(500, 0.5)), ...items('huge', 1, req(32000, 32))];
    const bins = packByPrice(input, options, {});
    expectValid(bins, input, options, {});
    expect(bins?.some((b) => b.option === 2 && b.items.includes('huge-0'))).toBe(true);
  });

  it('property: every item lands once, every node holds what it is given, never worse than a node per item', () => {
    const shape = fc.record({
      cpu: fc.integer({ min: 100, max: 4000 }),
      mem: fc.integer({ min: 1, max: 16 }),
    });
    fc.assert(
      fc.property(
        fc.array(shape, { minLength: 1, maxLength: 60 }),
        fc.array(fc.record({ cpu: fc.integer({ min: 1, max: 64 }), mem: fc.integer({ min: 1, max: 256 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 0, max: 300 }),
        (shapes, types, overheadCpu) => {
          const options = types.map((t) => option(t.cpu * 1000, t.mem, t.cpu * 0.04 + t.mem * 0.005));
          const input = shapes.map((s, i) => ({ item: `p-${i}`, req: req(s.cpu, s.mem / 4) }));
          const overhead = { cpu: overheadCpu };
          const bins = packByPrice(input, options, overhead);
          const holdsAlone = (r: Resources) =>
            options.filter((o) => fits({ ...r, cpu: (r.cpu ?? 0) + overheadCpu }, o.allocatable));
          if (input.some((i) => holdsAlone(i.req).length === 0)) {
            expect(bins).toBeUndefined();
            return;
          }
          expectValid(bins, input, options, overhead);
          expect(bins?.length ?? Infinity).toBeLessThanOrEqual(input.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
