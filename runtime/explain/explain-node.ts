/**
 * `karpenter-ts explain node <name>`: the answer to "why wasn't this node consolidated?" read back from the
 * cluster: the controller's latest `DisruptionBlocked` Event for the node, plus what the objects themselves say
 * (disrupting, drifted, do-not-disrupt, expiry, the NodePool's policy).
 */
import { Annotations, Labels, Taints } from '../../sdk/api/well-known';
import type { KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import type { Event } from '../kube/objects';

function eventTime(e: Event): number {
  return Date.parse(e.lastTimestamp ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '') || 0;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

/** Lines describing the node's disruption state; throws when the node does not exist. */
export async function explainNode(api: KubeApi, name: string, now: number): Promise<string[]> {
  const node = await api.get(Kinds.Node, name);
  if (!node) throw new Error(`node "${name}" not found: check the name with \`kubectl get nodes\``);
  const lines: string[] = [`Node ${name}`];
  const pool = node.metadata.labels?.[Labels.nodePool];
  if (!pool) {
    lines.push('  not managed by karpenter-ts (no karpenter.sh/nodepool label): never disrupted by it');
    return lines;
  }
  const claims = await api.list(Kinds.NodeClaim);
  const claim = claims.items.find((c) => c.status?.providerID === node.spec?.providerID);
  const nodePool = await api.get(Kinds.NodePool, pool);
  lines.push(`  NodePool ${pool}${claim ? `, NodeClaim ${claim.metadata.name}` : ', no NodeClaim found'}`);
  if (nodePool) {
    const d = nodePool.spec.disruption;
    lines.push(
      `  policy ${d.consolidationPolicy}, consolidateAfter ${d.consolidateAfter}, budgets ${
        (d.budgets ?? []).map((b) => b.nodes + (b.reasons ? ` (${b.reasons.join(',')})` : '')).join('; ') ||
        'default 10%'
      }`,
    );
  }
  if (node.metadata.deletionTimestamp || claim?.metadata.deletionTimestamp) {
    lines.push('  being deleted: draining and terminating');
  } else if (node.spec?.taints?.some((t) => t.key === Taints.disrupted.key)) {
    lines.push('  being disrupted now (tainted karpenter.sh/disrupted)');
  }
  if (node.metadata.annotations?.[Annotations.doNotDisrupt] === 'true') {
    lines.push('  annotated karpenter.sh/do-not-disrupt=true: never voluntarily disrupted');
  }
  const drifted = claim?.status?.conditions?.find((c) => c.type === 'Drifted' && c.status === 'True');
  if (drifted) lines.push(`  drifted: ${drifted.reason ?? 'yes'}`);
  if (claim?.spec.expireAfter && claim.spec.expireAfter !== 'Never') {
    lines.push(`  expires ${claim.spec.expireAfter} after creation (${claim.metadata.creationTimestamp})`);
  }
  // Asked of the server by field, not listed whole: a busy cluster keeps many thousands of Events.
  const fieldSelector = `involvedObject.kind=Node,involvedObject.name=${name},reason=DisruptionBlocked`;
  const events = (await api.list(Kinds.Event, { fieldSelector })).items.sort(
    (a, b) => eventTime(b) - eventTime(a),
  );
  const latest = events[0];
  lines.push(
    latest
      ? `  last decision (${ago(now - eventTime(latest))}): ${latest.message}`
      : '  no disruption decision recorded for it yet (nothing blocked it, or the controller has not looked)',
  );
  return lines;
}
