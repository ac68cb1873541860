/**
 * What a planned NodePool / EC2NodeClass change will do to running nodes, decided by the controller's own drift
 * functions (hashes and requirements, then the node class's resolved values) and budget arithmetic, so a preview
 * says exactly what the controller will later do, and says which checks it could not make.
 */
import { Labels } from '../../sdk/api/well-known';
import { allowedDisruptions } from '../../runtime/controllers/disruption/budgets';
import {
  driftCheck,
  ec2NodeClassHash,
  nodePoolHash,
  type DriftReason,
} from '../../runtime/controllers/disruption/drift';
import {
  resolvedDrift,
  type DriftCheck,
  type ResolvedDriftReason,
} from '../../runtime/cloudprovider/aws/drift';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../runtime/kube/objects';
import { plannedClaimFacts, offlineFacts, type PreviewFacts } from './facts';

export interface DriftedNode {
  nodeClaim: string;
  /** The Node's name once registered. */
  node?: string;
  reason: DriftReason | ResolvedDriftReason;
}

/** A node no check drifted, though a check the preview could not make might. */
export interface UnknownNode {
  nodeClaim: string;
  node?: string;
  /** "subnets not checked: why", one per check not made. */
  notChecked: string[];
}

export interface NodePoolDriftReport {
  nodePool: string;
  /** Live NodeClaims of the pool (the budget's base). */
  nodes: number;
  drifted: DriftedNode[];
  /** Nodes whose drift the preview cannot tell (not counted in rounds). */
  unknown: UnknownNode[];
  /** Each check not made on some node, and why, once; and why the controller would decide no drift at all. */
  notChecked: string[];
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

const CHECK_NAMES: Record<DriftCheck, string> = {
  instanceType: 'instance types',
  amis: 'AMIs',
  securityGroups: 'security groups',
  subnets: 'subnets',
  capacityReservations: 'capacity reservations',
  placementGroup: 'placement group',
};

type Verdict =
  { reason: DriftReason | ResolvedDriftReason } | { notChecked: string[]; halted?: string } | undefined;

/** Hashes and requirements first, then the resolved values, as the controller asks the cloud provider last. */
function verdictFor(
  hashCheck: (claim: NodeClaim) => DriftReason | undefined,
  nodeClass: EC2NodeClass | undefined,
  claim: NodeClaim,
  facts: PreviewFacts,
): Verdict {
  const hashReason = hashCheck(claim);
  if (hashReason) return { reason: hashReason };
  const planned = nodeClass && facts.nodeClasses.get(nameOf(nodeClass));
  // A node class this plan does not manage is not changed by it.
  if (!planned) return undefined;
  const v = resolvedDrift(planned, plannedClaimFacts(claim, planned, facts));
  if (v.reason) return { reason: v.reason };
  // The controller gives no verdict either: nothing drifts until the node class resolves again.
  if (v.halted) return { notChecked: [], halted: `no drift decided while ${v.halted}` };
  const notChecked = v.unchecked.map((u) => `${CHECK_NAMES[u.check]} not checked: ${u.why}`);
  return notChecked.length ? { notChecked } : undefined;
}

/** Live NodeClaims against the planned NodePools / EC2NodeClasses: which drift, and how many rounds it takes. */
export function previewDrift(input: {
  nodePools: NodePool[];
  nodeClasses: EC2NodeClass[];
  nodeClaims: NodeClaim[];
  now: number;
  /** What selectors and instances resolve to. @default offline: id terms only, instances unknown */
  facts?: PreviewFacts;
}): LiveDriftPreview {
  const facts = input.facts ?? offlineFacts(input.nodeClasses);
  const classes = new Map(input.nodeClasses.map((c) => [nameOf(c), c]));
  const pools: NodePoolDriftReport[] = [];
  const summary: string[] = [];
  for (const pool of input.nodePools) {
    const name = nameOf(pool);
    const claims = input.nodeClaims.filter((c) => c.metadata.labels?.[Labels.nodePool] === name);
    const nodeClass = classes.get(pool.spec.template.spec.nodeClassRef.name);
    const hashCheck = driftCheck(pool, nodeClass);
    const drifted: DriftedNode[] = [];
    const unknownNodes: UnknownNode[] = [];
    const notChecked = new Set<string>();
    for (const claim of claims) {
      if (isDeleting(claim)) continue;
      const v = verdictFor(hashCheck, nodeClass, claim, facts);
      if (!v) continue;
      const who = {
        nodeClaim: claim.metadata.name ?? '',
        ...(claim.status?.nodeName ? { node: claim.status.nodeName } : {}),
      };
      if ('reason' in v) {
        drifted.push({ ...who, reason: v.reason });
        continue;
      }
      if (v.halted) notChecked.add(v.halted);
      if (v.notChecked.length === 0) continue;
      unknownNodes.push({ ...who, notChecked: v.notChecked });
      for (const line of v.notChecked) notChecked.add(line);
    }
    const disrupting = claims.filter(isDeleting).length;
    const allowedPerRound = allowedDisruptions(pool, 'Drifted', input.now, claims.length, disrupting);
    const rounds =
      drifted.length === 0 ? 0 : allowedPerRound === 0 ? null : Math.ceil(drifted.length / allowedPerRound);
    const report: NodePoolDriftReport = {
      nodePool: name,
      nodes: claims.length,
      drifted,
      unknown: unknownNodes,
      notChecked: [...notChecked],
      allowedPerRound,
      rounds,
    };
    pools.push(report);
    summary.push(describe(report));
  }
  return { mode: 'live', hashes: plannedHashes(input.nodePools, input.nodeClasses), pools, summary };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function describe(report: NodePoolDriftReport): string {
  const why = report.notChecked.join('; ');
  const rest = (more: string) =>
    report.unknown.length ? `; ${report.unknown.length} ${more}not known (${why})` : why ? ` (${why})` : '';
  if (report.drifted.length === 0) {
    const checked = report.unknown.length ? ' by the checks made' : '';
    return `NodePool ${report.nodePool}: none of its ${report.nodes} nodes drift${checked}${rest('')}`;
  }
  const names = report.drifted.map((d) => `${d.node ?? d.nodeClaim} (${d.reason})`).join(', ');
  const pace =
    report.rounds === null
      ? 'the Drifted budgets allow no disruption right now'
      : `${plural(report.rounds, 'disruption round')} at ${plural(report.allowedPerRound, 'node')} per round`;
  return `NodePool ${report.nodePool}: ${report.drifted.length} of ${report.nodes} nodes drift: ${names}; ${pace}${rest('more ')}`;
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
