/**
 * The drift preview inside `pulumi preview`: read the live NodeClaims when the cluster answers, report through
 * pulumi.log and return the report as an Output. Decisions live in ./plan; this file only gathers inputs.
 */
import * as pulumi from '@pulumi/pulumi';
import type { EC2NodeClass as EC2NodeClassResource, NodePool as NodePoolResource } from '../../sdk/pulumi';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../runtime/kube/objects';
import { Kinds } from '../../runtime/kube/kinds';
import { offlineDrift, previewDrift, type DriftPreview, type PlannedHashes } from './plan';

export * from './plan';

/** Lists the cluster's NodeClaims; rejects when the cluster cannot be reached. */
export type NodeClaimReader = () => Promise<NodeClaim[]>;

/** How long a preview waits for the API server before reporting hashes only. */
export const READ_TIMEOUT_MS = 10_000;

/** Reads NodeClaims with the controller's own Kubernetes client, from a kubeconfig (YAML or JSON). */
export function kubeconfigReader(kubeconfig: string): NodeClaimReader {
  return async () => {
    // Loaded on demand: @kubernetes/client-node is only needed when a preview actually reads a cluster. One import
    // of our CommonJS module, which require()s the ESM-only client-node itself: importing client-node here as well,
    // concurrently, makes Node 20 fail the require() of a module that is still loading.
    const { ClientNodeApi } = await import('../../runtime/kube/client-node/client-node-api.js');
    return (await ClientNodeApi.fromKubeconfig(kubeconfig).list(Kinds.NodeClaim)).items;
  };
}

export interface DriftPreviewArgs {
  nodePools: NodePoolResource[];
  nodeClasses: EC2NodeClassResource[];
  /** How to read live NodeClaims; without it (and without `kubeconfig`) only hashes are reported. */
  readNodeClaims?: NodeClaimReader;
  /** A kubeconfig for the default reader. */
  kubeconfig?: pulumi.Input<string>;
  /** Hashes of the last deployment (this output's `hashes`), to say which change without a cluster. */
  previousHashes?: pulumi.Input<PlannedHashes>;
  /** @default Date.now */
  now?: () => number;
  /** Where pulumi.log attaches the messages. */
  logTo?: pulumi.Resource;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the cluster within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function plannedPools(resources: NodePoolResource[]): pulumi.Output<NodePool[]> {
  return pulumi.all(
    resources.map((r) =>
      pulumi.all([r.metadata, r.spec]).apply(([metadata, spec]): NodePool => ({
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodePool',
        metadata: { name: metadata.name },
        spec,
      })),
    ),
  );
}

function plannedClasses(resources: EC2NodeClassResource[]): pulumi.Output<EC2NodeClass[]> {
  return pulumi.all(
    resources.map((r) =>
      pulumi.all([r.metadata, r.spec]).apply(([metadata, spec]): EC2NodeClass => ({
        apiVersion: 'karpenter.k8s.aws/v1',
        kind: 'EC2NodeClass',
        metadata: { name: metadata.name },
        spec,
      })),
    ),
  );
}

export async function computeDriftPreview(input: {
  nodePools: NodePool[];
  nodeClasses: EC2NodeClass[];
  reader: NodeClaimReader | undefined;
  dryRun: boolean;
  previous: PlannedHashes | undefined;
  now: number;
}): Promise<DriftPreview> {
  const offline = (reason: string): DriftPreview =>
    offlineDrift({
      nodePools: input.nodePools,
      nodeClasses: input.nodeClasses,
      reason,
      previous: input.previous,
    });
  if (!input.dryRun) return offline('not a preview');
  if (!input.reader) return offline('no cluster access configured');
  let nodeClaims: NodeClaim[];
  try {
    nodeClaims = await withTimeout(input.reader(), READ_TIMEOUT_MS);
  } catch (err) {
    return offline(`cluster unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  return previewDrift({
    nodePools: input.nodePools,
    nodeClasses: input.nodeClasses,
    nodeClaims,
    now: input.now,
  });
}

/** The drift report as an Output, logged once it is known. */
export function driftPreview(args: DriftPreviewArgs): pulumi.Output<DriftPreview> {
  const reader = pulumi
    .output(args.kubeconfig)
    .apply((kc) => args.readNodeClaims ?? (kc ? kubeconfigReader(kc) : undefined));
  return pulumi
    .all([
      plannedPools(args.nodePools),
      plannedClasses(args.nodeClasses),
      reader,
      pulumi.output(args.previousHashes),
    ])
    .apply(async ([nodePools, nodeClasses, read, previous]) => {
      const report = await computeDriftPreview({
        nodePools,
        nodeClasses,
        reader: read,
        dryRun: pulumi.runtime.isDryRun(),
        previous,
        now: (args.now ?? Date.now)(),
      });
      if (pulumi.runtime.isDryRun()) {
        for (const line of report.summary) void pulumi.log.info(`drift preview: ${line}`, args.logTo);
      }
      return report;
    });
}
