/**
 * Text rendering in the eks-node-viewer layout users know: a summary line per resource with requested /
 * allocatable, percentage, a bar and the $/hour | $/month cost; a pods line; then one row per node.
 */
import { formatCpu } from '../scheduling/resources';
import type { ViewerModel, ViewerNode } from './model';

export interface RenderOptions {
  /** Resources to show. @default ["cpu"] */
  resources?: ('cpu' | 'memory')[];
  /** Extra node labels to show as trailing columns. */
  extraLabels?: string[];
}

const SUMMARY_BAR = 40;
const NODE_BAR = 35;
/** Average hours in a month (365 × 24 / 12), as eks-node-viewer computes monthly cost. */
export const HOURS_PER_MONTH = 730;

export function bar(fraction: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

function formatAmount(resource: string, v: number): string {
  if (resource === 'cpu') return formatCpu(v);
  const gi = v / 2 ** 30;
  return gi >= 1 ? `${Number(gi.toFixed(1))}Gi` : `${Math.round(v / 2 ** 20)}Mi`;
}

function capacityLabel(n: ViewerNode): string {
  if (n.capacityType === 'spot') return 'Spot';
  if (n.capacityType === 'on-demand') return 'On-Demand';
  if (n.capacityType === 'reserved') return 'Reserved';
  return '-';
}

function statusLabel(n: ViewerNode): string {
  if (n.cordoned && n.deleting) return 'Cordoned/Deleting';
  if (n.deleting) return 'Deleting';
  if (n.cordoned) return 'Cordoned';
  return '-';
}

export function totalPrice(model: ViewerModel): number {
  return model.nodes.reduce((s, n) => s + (n.price ?? 0), 0);
}

export function renderViewer(model: ViewerModel, opts: RenderOptions = {}): string {
  const resources = opts.resources ?? ['cpu'];
  const lines: string[] = [];
  const hourly = totalPrice(model);
  resources.forEach((res, i) => {
    const used = model.nodes.reduce((s, n) => s + (n.requested[res] ?? 0), 0);
    const alloc = model.nodes.reduce((s, n) => s + (n.allocatable[res] ?? 0), 0);
    const fraction = alloc ? used / alloc : 0;
    const amounts = `${formatAmount(res, used)}/${formatAmount(res, alloc)}`.padStart(16);
    const head = i === 0 ? `${model.nodes.length} nodes` : ' '.repeat(`${model.nodes.length} nodes`.length);
    const cost =
      i === 0 ? ` $${hourly.toFixed(3)}/hour | $${(hourly * HOURS_PER_MONTH).toFixed(3)}/month` : '';
    lines.push(
      `${head} (${amounts}) ${(fraction * 100).toFixed(1)}% ${res} ${bar(fraction, SUMMARY_BAR)}${cost}`,
    );
  });
  const p = model.pods;
  lines.push(`${p.total} pods (${p.pending} pending ${p.running} running ${p.bound} bound)`);
  lines.push('');
  const nameWidth = Math.max(0, ...model.nodes.map((n) => n.name.length));
  const resWidth = Math.max(...resources.map((r) => r.length));
  for (const n of model.nodes) {
    resources.forEach((res, i) => {
      const alloc = n.allocatable[res] ?? 0;
      const fraction = alloc ? (n.requested[res] ?? 0) / alloc : 0;
      const pct = `${String(Math.round(fraction * 100)).padStart(3)}%`;
      const gauge = `${res.padEnd(resWidth)} ${bar(fraction, NODE_BAR)} ${pct}`;
      if (i > 0) {
        lines.push(`${' '.repeat(nameWidth)} ${gauge}`);
        return;
      }
      const price = n.price !== undefined ? `/$${n.price.toFixed(4)}` : '';
      const extras = (opts.extraLabels ?? []).map((l) => n.labels[l] ?? '-');
      const cols = [
        n.name.padEnd(nameWidth),
        gauge,
        `(${n.pods} pods)`,
        `${n.instanceType}${price}`,
        capacityLabel(n),
        statusLabel(n),
        n.ready ? 'Ready' : 'NotReady',
        ...(extras.length ? extras : ['-']),
      ];
      lines.push(cols.join(' '));
    });
  }
  return lines.join('\n');
}
