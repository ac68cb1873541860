import { cpuSeconds, diff, parseMetrics, peakRssMiB, sumBy } from './probe';

describe('e2e bench probes', () => {
  it('parses Prometheus text and groups counters by a label', () => {
    const samples = parseMetrics(
      [
        '# HELP apiserver_request_total x',
        'apiserver_request_total{code="200",resource="pods",verb="LIST"} 7',
        'apiserver_request_total{code="201",resource="pods",subresource="eviction",verb="POST"} 3',
        'apiserver_request_total{code="429",resource="pods",subresource="eviction",verb="POST"} 2',
        'client_go_request_total{code="200",method="GET"} 1e+03',
      ].join('\n'),
    );
    expect(sumBy(samples, 'apiserver_request_total', 'verb')).toEqual({ LIST: 7, POST: 5 });
    expect(sumBy(samples, 'apiserver_request_total', 'code', (l) => l.subresource === 'eviction')).toEqual({
      '201': 3,
      '429': 2,
    });
    expect(sumBy(samples, 'client_go_request_total', 'method')).toEqual({ GET: 1000 });
    expect(diff({ a: 5, b: 2, c: 1 }, { a: 2, b: 2 })).toEqual({ a: 3, c: 1 });
  });

  it('reads CPU seconds and peak RSS of a live process, and nothing for a gone one', () => {
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i;
    expect(x).toBeGreaterThan(0);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(peakRssMiB(process.pid)).toBeGreaterThan(10);
    expect(cpuSeconds(2 ** 22 + 1)).toBeUndefined();
  });
});
