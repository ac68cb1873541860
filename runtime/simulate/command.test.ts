import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { APP, labSnapshot } from '../../tests/support/lab-snapshot';
import type { KubeApi } from '../kube/api';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import { SimClock } from '../clock/sim-clock';
import { simulateCommand, registerSimulate, type SimulateCommandOptions } from './command';
import { simulateReportSchema } from './report';
import { loadSnapshot } from './snapshot';
import { kindOf } from '../simulator/simulation';

const base: SimulateCommandOptions = {
  duration: '30m',
  set: [],
  scale: [],
  output: 'text',
  logLevel: 'silent',
};

async function run(opts: Partial<SimulateCommandOptions>, api?: KubeApi): Promise<string> {
  let out = '';
  const code = await simulateCommand(
    { ...base, ...opts },
    {
      write: (t) => (out += t),
      now: () => Date.parse('2026-03-01T00:00:00Z'),
      ...(api ? { api: async () => api } : {}),
    },
  );
  expect(code).toBe(0);
  return out;
}

describe('karpenter-ts simulate (command)', () => {
  let file: string;
  beforeAll(async () => {
    file = (await labSnapshot(9)).file;
  }, 60_000);

  it('is registered on the program with its options', () => {
    const program = new Command();
    registerSimulate(program);
    const cmd = program.commands.find((c) => c.name() === 'simulate');
    expect(cmd?.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--snapshot', '--save', '--duration', '--set', '--scale', '--output', '--out']),
    );
  });

  it('prints the text report for a snapshot file and a --scale what-if', async () => {
    const out = await run({ snapshot: file, scale: [`${APP.namespace}/${APP.name}=1`] });
    expect(out).toContain('Simulated 30 min of cluster time from 2026-01-05T10:04:01.000Z');
    expect(out).toMatch(/disrupt {2}(Empty|Underutilized): /);
  }, 60_000);

  it('writes the JSON report to --out', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'simulate-')), 'report.json');
    expect(await run({ snapshot: file, output: 'json', out })).toBe('');
    const parsed = simulateReportSchema.safeParse(JSON.parse(readFileSync(out, 'utf8')));
    expect(parsed.success).toBe(true);
  }, 60_000);

  it('takes a snapshot from the API with list calls only, and --save writes it for later runs', async () => {
    // A cluster holding the snapshot's objects, standing in for the kubeconfig's: every call is recorded.
    const snap = loadSnapshot(file, 0);
    const server = new MemoryApiServer({ clock: new SimClock(Date.parse(snap.takenAt)) });
    for (const o of snap.objects) server.restore(kindOf(o), o);
    const calls = new Set<string>();
    const api = new Proxy(server, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.add(String(prop));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as unknown as KubeApi;
    const saved = join(mkdtempSync(join(tmpdir(), 'simulate-')), 'snap.yaml');
    const out = await run({ save: saved, output: 'json' }, api);
    expect([...calls]).toEqual(['list']);
    const report = simulateReportSchema.parse(JSON.parse(out));
    expect(report.snapshot).toMatchObject({
      takenAt: '2026-03-01T00:00:00.000Z',
      source: 'the cluster in the kubeconfig',
    });
    expect(report.snapshot.nodes).toBe(snap.objects.filter((o) => o.kind === 'Node').length);
    const again = loadSnapshot(saved, 0);
    expect(again.takenAt).toBe('2026-03-01T00:00:00.000Z');
    expect(again.objects.length).toBe(snap.objects.length);
  }, 60_000);

  it('refuses bad options, naming the fix', async () => {
    await expect(run({ snapshot: file, duration: '10s' })).rejects.toThrow(
      '--duration 10s: simulate at least one minute',
    );
    await expect(run({ snapshot: file, at: 'yesterday' })).rejects.toThrow(
      '--at yesterday: give the snapshot',
    );
    await expect(run({ snapshot: file, save: 'x' })).rejects.toThrow(
      '--save writes a snapshot taken from the kubeconfig',
    );
    const pod = join(mkdtempSync(join(tmpdir(), 'simulate-')), 'pod.yaml');
    writeFileSync(pod, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n');
    await expect(run({ snapshot: file, set: [pod] })).rejects.toThrow('--set: Pod p cannot be set');
    await expect(run({ snapshot: file, scale: ['nope/none=3'] })).rejects.toThrow(
      '--scale nope/none: no Deployment or StatefulSet of that name',
    );
  }, 60_000);
});
