/**
 * What `karpenter-ts simulate` reports: the JSON shape (a zod schema, so the type and its documentation are one
 * thing, and `version` changes when a field's meaning does) and the text rendering. Pure.
 */
import { z } from 'zod';

const usd = z.number().describe('US dollars per hour');

const stepNode = z
  .object({
    name: z.string().describe('Node name (for a replacement not yet registered: its NodeClaim name)'),
    nodePool: z.string().nullable(),
    instanceType: z.string(),
    capacityType: z.string(),
    zone: z.string(),
    dollarsPerHour: usd,
  })
  .strict();

const step = z
  .object({
    minute: z.number().int().describe('Minutes of cluster time since the snapshot'),
    at: z.string().describe('Cluster time, ISO 8601'),
    action: z
      .enum(['launch', 'disrupt', 'expire'])
      .describe(
        'launch: provisioning for pending pods; disrupt: a disruption command; expire: expireAfter passed',
      ),
    reason: z
      .string()
      .describe('launch: Provisioning; disrupt: Empty, Underutilized, Drifted, ...; expire: Expired'),
    nodes: z.array(stepNode).describe('Nodes launched (launch) or removed (disrupt, expire)'),
    replacements: z.array(stepNode).describe('Nodes a disruption launched in their place'),
    pods: z
      .number()
      .int()
      .describe('launch: pods nominated to the new nodes; otherwise pods on the removed nodes'),
    dollarsPerHourChange: usd.describe('What the step adds to the cluster cost per hour (negative: savings)'),
  })
  .strict();

const totals = z
  .object({
    nodes: z.number().int(),
    dollarsPerHour: usd,
    pendingPods: z.number().int(),
    pools: z.array(
      z
        .object({
          nodePool: z.string(),
          nodes: z.number().int(),
          pods: z.number().int(),
          dollarsPerHour: usd,
          boundDollarsPerHour: usd.nullable().describe('The least these pods could cost (karpenter-ts cost)'),
        })
        .strict(),
    ),
  })
  .strict();

export const simulateReportSchema = z
  .object({
    version: z.literal(1),
    snapshot: z
      .object({
        takenAt: z.string(),
        source: z.string(),
        nodes: z.number().int(),
        pods: z.number().int(),
        nodePools: z.array(z.string()),
      })
      .strict(),
    whatIf: z
      .object({
        set: z.array(z.string()).describe('Kind/name of each object --set replaced or added'),
        scale: z.array(z.object({ workload: z.string(), replicas: z.number().int() }).strict()),
      })
      .strict(),
    durationMinutes: z.number().int(),
    endsAt: z.string(),
    before: totals.describe("The snapshot's nodes and pods, before --scale and before the controller acts"),
    after: totals.describe('At the end of the run'),
    steps: z.array(step),
    samples: z
      .array(
        z
          .object({
            minute: z.number().int(),
            nodes: z.number().int(),
            dollarsPerHour: usd,
            pendingPods: z
              .number()
              .int()
              .describe('The most pods pending at once during the minute (minute 0: at the start)'),
          })
          .strict(),
      )
      .describe('One per simulated minute: nodes and $/hour at its end'),
    nodes: z
      .array(
        z
          .object({
            name: z.string(),
            nodePool: z.string().nullable(),
            instanceType: z.string(),
            capacityType: z.string(),
            dollarsPerHour: usd,
            launched: z.boolean().describe('Launched during the run'),
            why: z.array(z.string()).describe('Why it is kept: karpenter-ts explain node, as of the end'),
          })
          .strict(),
      )
      .describe('The nodes at the end of the run'),
    pending: z
      .array(z.object({ pod: z.string(), reason: z.string() }).strict())
      .describe('Pods still pending at the end, and why'),
    notes: z.array(z.string()).describe('What the load left out or could not model'),
  })
  .strict();

export type SimulateReport = z.infer<typeof simulateReportSchema>;
export type SimulateStep = z.infer<typeof step>;
export type StepNode = z.infer<typeof stepNode>;
export type ClusterTotals = z.infer<typeof totals>;

const money = (n: number) => `$${n.toFixed(3)}/h`;
const signed = (n: number) => `${n >= 0 ? '+' : '−'}$${Math.abs(n).toFixed(3)}/h`;
const clock = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

function nodeList(nodes: StepNode[]): string {
  return nodes
    .map((n) => `${n.name} (${n.instanceType} ${n.capacityType}, ${money(n.dollarsPerHour)})`)
    .join(', ');
}

function describeStep(s: SimulateStep): string {
  const change = signed(s.dollarsPerHourChange);
  if (s.action === 'launch')
    return `launch   ${s.nodes.length} node(s) for ${s.pods} pod(s): ${nodeList(s.nodes)}  ${change}`;
  if (s.action === 'expire') return `expire   ${nodeList(s.nodes)} (expireAfter passed)  ${change}`;
  const repl = s.replacements.length ? ` → replaced by ${nodeList(s.replacements)}` : ' (deleted)';
  return `disrupt  ${s.reason}: ${nodeList(s.nodes)}${repl}, ${s.pods} pod(s) moved  ${change}`;
}

function totalsLine(label: string, t: ClusterTotals): string {
  return `${label}: ${t.nodes} node(s), ${money(t.dollarsPerHour)}, ${t.pendingPods} pending pod(s)`;
}

/** The report for a terminal: what would happen, step by step, and where the cluster ends up. */
export function renderText(r: SimulateReport): string {
  const out: string[] = [];
  out.push(
    `Simulated ${r.durationMinutes} min of cluster time from ${r.snapshot.takenAt} (${r.snapshot.source}).`,
  );
  out.push('Nothing was changed in the cluster: the run is on the embedded simulator.');
  const what = [
    ...r.whatIf.set.map((s) => `--set ${s}`),
    ...r.whatIf.scale.map((s) => `--scale ${s.workload}=${s.replicas}`),
  ];
  if (what.length) out.push(`What-if: ${what.join(', ')}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push('', totalsLine('Before', r.before), totalsLine('After ', r.after));
  const saved = r.before.dollarsPerHour - r.after.dollarsPerHour;
  out.push(
    saved >= 0
      ? `Saves ${money(saved)} ($${(saved * 730).toFixed(2)} a month of 730 h)`
      : `Costs ${money(-saved)} more`,
  );
  out.push('', `Steps (${r.steps.length}):`);
  if (r.steps.length === 0) out.push('  none: nothing would be launched, consolidated, replaced or expired');
  for (const s of r.steps) out.push(`  ${clock(s.minute)}  ${describeStep(s)}`);
  out.push('', `Nodes at the end (${r.nodes.length}):`);
  for (const n of r.nodes) {
    out.push(
      `  ${n.name}  ${n.nodePool ?? '(not Karpenter)'}  ${n.instanceType} ${n.capacityType}  ${money(n.dollarsPerHour)}${n.launched ? '  (new)' : ''}`,
    );
    for (const why of n.why) out.push(`      ${why}`);
  }
  if (r.pending.length) {
    out.push('', `Still pending (${r.pending.length}):`);
    for (const p of r.pending) out.push(`  ${p.pod}: ${p.reason}`);
  }
  return out.join('\n');
}
