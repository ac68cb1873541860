/**
 * What the e2e bench reads off the machine rather than the cluster: CPU seconds and peak RSS of a process from
 * /proc (the controller, and each control-plane component from kwokctl's pid files), and Prometheus counters from
 * a text exposition (the apiserver's /metrics, a controller's /metrics).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU seconds of a process, children it waited for included; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime is the 14th field, stime 15th, cutime 16th, cstime 17th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return ticks / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Peak resident set size in MiB (VmHWM), undefined once the process is gone. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The control-plane components of a kwokctl cluster and their pids. */
export function controlPlanePids(clusterWorkdir: string): Record<string, number> {
  const dir = path.join(clusterWorkdir, 'pids');
  const out: Record<string, number> = {};
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.pid')) continue;
    out[f.replace(/\.pid$/, '')] = Number(readFileSync(path.join(dir, f), 'utf8').trim());
  }
  return out;
}

export function cpuOf(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = cpuSeconds(pid) ?? 0;
  return out;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (only what counters and gauges need). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[4]) });
  }
  return out;
}

/** Sum of `name` grouped by one label (samples filtered by `where`). */
export function sumBy(
  samples: Sample[],
  name: string,
  label: string,
  where: (labels: Record<string, string>) => boolean = () => true,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name || !where(s.labels)) continue;
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = Math.round(d * 100) / 100;
  }
  return out;
}

/** The apiserver's metrics, read with the cluster's kubectl and kubeconfig. */
export function apiserverMetrics(kubectl: string, kubeconfig: string): Sample[] {
  const text = execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/metrics'], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  return parseMetrics(text);
}

/** A controller's metrics; the raw text is kept in `saveTo` for a look afterwards. */
export async function httpMetrics(port: number, saveTo: string): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  writeFileSync(saveTo, text);
  return parseMetrics(text);
}
