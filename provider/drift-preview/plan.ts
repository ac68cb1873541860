/**
 * What a planned NodePool / EC2NodeClass change will do to running nodes, decided by the controller's own drift
 * function and budget arithmetic, so a preview says exactly what the controller will later do.
 */
import { Labels } from '../../sdk/api/well-known';
import { allowedDisruptions } from '../../runtime/controllers/disruption/budgets';
import {
  driftReason,
  ec2NodeClassHash,
  nodePoolHash,
  type DriftReason,
} from '../../runtime/controllers/disruption/drift';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../runtime/kube/objects';

export interface DriftedNode {
  nodeClaim: string;
  /** The Node's name once registered. */
  node?: string;
  reason: DriftReason;
}

export interface NodePoolDriftReport {
  nodePool: string;
  /** Live NodeClaims of the pool (the budget's base). */
  nodes: number;
  drifted: DriftedNode[];
  /** Nodes the Drifted budgets let go at once right now (already disrupting ones counted). */
  allowedPerRound: number;
  /** Disruption rounds to replace every drifted node at that pace; null when the budgets allow none now. */
  rounds: number | null;
}

export interface PlannedHashes {
  nodePools: Record<string, string>;
  nodeClasses: Record<string, string>;
}

export interface LiveDriftPreview {
  mode: 'live';
  hashes: PlannedHashes;
  pools: NodePoolDriftReport[];
  summary: string[];
}

export interface OfflineDriftPreview {
  mode: 'offline';
  /** Why no cluster was read. */
  reason: string;
  hashes: PlannedHashes;
  /** Names whose hash differs from `previous` (empty when no previous hashes were given). */
  changed: { nodePools: string[]; nodeClasses: string[] };
  summary: string[];
}

export type DriftPreview = LiveDriftPreview | OfflineDriftPreview;

export function plannedHashes(nodePools: NodePool[], nodeClasses: EC2NodeClass[]): PlannedHashes {
  return {
    nodePools: Object.fromEntries(nodePools.map((p) => [nameOf(p), nodePoolHash(p)])),
    nodeClasses: Object.fromEntries(nodeClasses.map((c) => [nameOf(c), ec2NodeClassHash(c)])),
  };
}

function nameOf(obj: { metadata: { name?: string } }): string {
  if (!obj.metadata.name) throw new Error('planned NodePools and EC2NodeClasses need metadata.name');
  return obj.metadata.name;
}

function isDeleting(claim: NodeClaim): boolean {
  return claim.metadata.deletionTimestamp !== undefined && claim.metadata.deletionTimestamp !== null;
}

/** Live NodeClaims against the planned NodePools / EC2NodeClasses: which drift, and how many rounds it takes. */
export function previewDrift(input: {
  nodePools: NodePool[];
  nodeClasses: EC2NodeClass[];
  nodeClaims: NodeClaim[];
  now: number;
}): LiveDriftPreview {
  const classes = new Map(input.nodeClasses.map((c) => [nameOf(c), c]));
  const pools: NodePoolDriftReport[] = [];
  const summary: string[] = [];
  for (const pool of input.nodePools) {
    const name = nameOf(pool);
    const claims = input.nodeClaims.filter((c) => c.metadata.labels?.[Labels.nodePool] === name);
    const nodeClass = classes.get(pool.spec.template.spec.nodeClassRef.name);
    const drifted: DriftedNode[] = [];
    for (const claim of claims) {
      if (isDeleting(claim)) continue;
      const reason = driftReason(pool, nodeClass, claim);
      if (reason) {
        drifted.push({
          nodeClaim: claim.metadata.name ?? '',
          ...(claim.status?.nodeName ? { node: claim.status.nodeName } : {}),
          reason,
        });
      }
    }
    const disrupting = claims.filter(isDeleting).length;
    const allowedPerRound = allowedDisruptions(pool, 'Drifted', input.now, claims.length, disrupting);
    const rounds =
      drifted.length === 0 ? 0 : allowedPerRound === 0 ? null : Math.ceil(drifted.length / allowedPerRound);
    pools.push({ nodePool: name, nodes: claims.length, drifted, allowedPerRound, rounds });
    summary.push(describe(pools[pools.length - 1]));
  }
  return { mode: 'live', hashes: plannedHashes(input.nodePools, input.nodeClasses), pools, summary };
}

function describe(report: NodePoolDriftReport): string {
  if (report.drifted.length === 0) {
    return `NodePool ${report.nodePool}: none of its ${report.nodes} nodes drift`;
  }
  const names = report.drifted.map((d) => `${d.node ?? d.nodeClaim} (${d.reason})`).join(', ');
  const pace =
    report.rounds === null
      ? 'the Drifted budgets allow no disruption right now'
      : `${report.rounds} disruption round${report.rounds === 1 ? '' : 's'} at ${report.allowedPerRound} node${
          report.allowedPerRound === 1 ? '' : 's'
        } per round`;
  return `NodePool ${report.nodePool}: ${report.drifted.length} of ${report.nodes} nodes drift: ${names}; ${pace}`;
}

/** Without a cluster: the planned hashes, and which differ from the hashes of the last deployment if known. */
export function offlineDrift(input: {
  nodePools: NodePool[];
  nodeClasses: EC2NodeClass[];
  reason: string;
  previous?: PlannedHashes;
}): OfflineDriftPreview {
  const hashes = plannedHashes(input.nodePools, input.nodeClasses);
  const changedOf = (now: Record<string, string>, before: Record<string, string> | undefined): string[] =>
    before === undefined
      ? []
      : Object.keys(now).filter((k) => before[k] !== undefined && before[k] !== now[k]);
  const changed = {
    nodePools: changedOf(hashes.nodePools, input.previous?.nodePools),
    nodeClasses: changedOf(hashes.nodeClasses, input.previous?.nodeClasses),
  };
  const summary = [`cluster not read (${input.reason}): reporting hashes only`];
  for (const name of changed.nodePools) {
    summary.push(`NodePool ${name}: template hash changes, so its nodes will drift (NodePoolDrifted)`);
  }
  for (const name of changed.nodeClasses) {
    summary.push(`EC2NodeClass ${name}: hash changes, so nodes using it will drift (NodeClassDrift)`);
  }
  if (input.previous === undefined) {
    for (const [name, hash] of Object.entries(hashes.nodePools))
      summary.push(`NodePool ${name}: hash ${hash}`);
    for (const [name, hash] of Object.entries(hashes.nodeClasses)) {
      summary.push(`EC2NodeClass ${name}: hash ${hash}`);
    }
  }
  return { mode: 'offline', reason: input.reason, hashes, changed, summary };
}
