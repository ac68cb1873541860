/**
 * The simulate report as one self-contained HTML page: plots over cluster time (nodes, $/hour, pending pods) as
 * inline SVG, the steps and the nodes kept, and no script, stylesheet or font from anywhere else. Pure.
 */
import type { SimulateReport, SimulateStep } from './report';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const W = 760;
const H = 220;
const PAD = { left: 64, right: 16, top: 36, bottom: 40 };

/** Round tick values from 0 to at least max: 1, 2 or 5 times a power of ten, about five of them. */
function ticks(max: number): number[] {
  if (max <= 0) return [0];
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  // Up to the first tick at or above max, so the axis always covers the data.
  const out: number[] = [0];
  while ((out[out.length - 1] as number) < max - step * 1e-9)
    out.push(Number((out.length * step).toPrecision(12)));
  return out;
}

interface Chart {
  id: string;
  title: string;
  yLabel: string;
  values: number[];
  format: (v: number) => string;
  color: string;
}

/** A step plot (values hold for their minute) with axes, ticks, labels and a marker per step of the run. */
function chart(c: Chart, minutes: number[], steps: SimulateStep[]): string {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxX = Math.max(1, minutes[minutes.length - 1] ?? 1);
  const yTicks = ticks(Math.max(...c.values, 0) * 1.1 || 1);
  const maxY = yTicks[yTicks.length - 1] || 1;
  const x = (m: number) => PAD.left + (m / maxX) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / maxY) * plotH;
  let d = '';
  c.values.forEach((v, i) => {
    const px = x(minutes[i] ?? 0).toFixed(1);
    const py = y(v).toFixed(1);
    d += i === 0 ? `M${px},${py}` : `H${px}V${py}`;
  });
  const xTicks = ticks(maxX);
  const grid = yTicks
    .map(
      (t) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/>` +
        `<text x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(c.format(t))}</text>`,
    )
    .join('');
  const xLabels = xTicks
    .map(
      (t) =>
        `<text x="${x(t).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle" class="tick">${t}</text>`,
    )
    .join('');
  const markers = steps
    .map(
      (s) =>
        `<line x1="${x(s.minute).toFixed(1)}" x2="${x(s.minute).toFixed(1)}" y1="${PAD.top}" y2="${PAD.top + plotH}" class="marker ${s.action}"><title>${esc(`${s.minute} min: ${s.action} ${s.reason}`)}</title></line>`,
    )
    .join('');
  return `<figure>
<svg id="${c.id}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}">
<text x="${PAD.left}" y="16" class="title">${esc(c.title)}</text>
${grid}${markers}
<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}" class="axis"/>
<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" class="axis"/>
${xLabels}
<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle" class="label">cluster time (minutes)</text>
<text transform="translate(14 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(c.yLabel)}</text>
<path d="${d}" class="series" stroke="${c.color}"/>
</svg>
</figure>`;
}

const money = (v: number) => `$${v.toFixed(v >= 10 ? 0 : 2)}`;

function stepRow(s: SimulateStep): string {
  const nodes = (list: SimulateStep['nodes']) =>
    list
      .map((n) => `${esc(n.name)} <small>${esc(`${n.instanceType} ${n.capacityType}`)}</small>`)
      .join('<br>');
  return `<tr class="${s.action}"><td>${s.minute}</td><td>${esc(s.action)}</td><td>${esc(s.reason)}</td><td>${nodes(s.nodes)}</td><td>${nodes(s.replacements)}</td><td>${s.pods}</td><td class="num">${s.dollarsPerHourChange >= 0 ? '+' : '−'}$${Math.abs(s.dollarsPerHourChange).toFixed(3)}</td></tr>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:980px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}.num{text-align:right}
figure{margin:8px 0}svg .axis{stroke:#333}svg .grid{stroke:#e5e5e5}svg .tick{font-size:11px;fill:#555}
svg .label{font-size:12px;fill:#333}svg .title{font-size:13px;font-weight:600}
svg .series{fill:none;stroke-width:2}svg .marker{stroke-dasharray:3 3;stroke:#bbb}
svg .marker.disrupt{stroke:#c0392b}svg .marker.launch{stroke:#2e86c1}svg .marker.expire{stroke:#8e44ad}
.totals td{font-weight:600}ul.why{margin:0;padding-left:18px;color:#444}`;

export function renderHtml(r: SimulateReport): string {
  const minutes = r.samples.map((s) => s.minute);
  const charts = [
    {
      id: 'nodes',
      title: 'Nodes',
      yLabel: 'nodes',
      values: r.samples.map((s) => s.nodes),
      format: String,
      color: '#2e86c1',
    },
    {
      id: 'cost',
      title: 'Cost per hour',
      yLabel: '$/hour',
      values: r.samples.map((s) => s.dollarsPerHour),
      format: money,
      color: '#27ae60',
    },
    {
      id: 'pending',
      title: 'Pending pods',
      yLabel: 'pods',
      values: r.samples.map((s) => s.pendingPods),
      format: String,
      color: '#d35400',
    },
  ].map((c) => chart(c, minutes, r.steps));
  const what = [
    ...r.whatIf.set.map((s) => `--set ${s}`),
    ...r.whatIf.scale.map((s) => `--scale ${s.workload}=${s.replicas}`),
  ];
  const totals = (label: string, t: SimulateReport['before']) =>
    `<tr><td>${label}</td><td class="num">${t.nodes}</td><td class="num">$${t.dollarsPerHour.toFixed(3)}</td><td class="num">${t.pendingPods}</td></tr>`;
  const nodes = r.nodes
    .map(
      (n) =>
        `<tr><td>${esc(n.name)}${n.launched ? ' <small>(new)</small>' : ''}</td><td>${esc(n.nodePool ?? '(not Karpenter)')}</td><td>${esc(`${n.instanceType} ${n.capacityType}`)}</td><td class="num">$${n.dollarsPerHour.toFixed(3)}</td><td><ul class="why">${n.why.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>karpenter-ts simulate</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>${STYLE}</style></head>
<body>
<h1>karpenter-ts simulate: ${r.durationMinutes} minutes from ${esc(r.snapshot.takenAt)}</h1>
<p>Snapshot of ${esc(r.snapshot.source)}: ${r.snapshot.nodes} nodes, ${r.snapshot.pods} pods, NodePools ${esc(r.snapshot.nodePools.join(', ') || 'none')}.
Nothing was changed in the cluster.${what.length ? ` What-if: <code>${esc(what.join(' '))}</code>.` : ''}</p>
${r.notes.length ? `<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<table><thead><tr><th></th><th class="num">nodes</th><th class="num">$/hour</th><th class="num">pending pods</th></tr></thead>
<tbody class="totals">${totals('before', r.before)}${totals('after', r.after)}</tbody></table>
<h2>Over time</h2>
${charts.join('\n')}
<h2>Steps (${r.steps.length})</h2>
<table><thead><tr><th>minute</th><th>action</th><th>reason</th><th>nodes</th><th>replacements</th><th>pods</th><th class="num">$/hour</th></tr></thead>
<tbody>${r.steps.map(stepRow).join('\n') || '<tr><td colspan="7">nothing would be launched, consolidated, replaced or expired</td></tr>'}</tbody></table>
<h2>Nodes at the end (${r.nodes.length})</h2>
<table><thead><tr><th>node</th><th>NodePool</th><th>type</th><th class="num">$/hour</th><th>why it is kept</th></tr></thead>
<tbody>${nodes}</tbody></table>
${r.pending.length ? `<h2>Still pending (${r.pending.length})</h2><ul>${r.pending.map((p) => `<li>${esc(p.pod)}: ${esc(p.reason)}</li>`).join('')}</ul>` : ''}
</body></html>`;
}
