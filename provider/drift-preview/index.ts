/**
 * The drift preview inside `pulumi preview`: read the live NodeClaims when the cluster answers, resolve selector
 * terms and read instances through AWS when it can, report through pulumi.log and return the report as an Output.
 * Decisions live in ./plan and ./facts; this file only gathers inputs.
 */
import * as pulumi from '@pulumi/pulumi';
import type { EC2NodeClass as EC2NodeClassResource, NodePool as NodePoolResource } from '../../sdk/pulumi';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../runtime/kube/objects';
import { Kinds } from '../../runtime/kube/kinds';
import { offlineFacts, type DriftResolver, type PreviewFacts } from './facts';
import { offlineDrift, previewDrift, type DriftPreview, type PlannedHashes } from './plan';

export * from './facts';
export * from './plan';

/** Lists the cluster's NodeClaims; rejects when the cluster cannot be reached. */
export type NodeClaimReader = () => Promise<NodeClaim[]>;

/** How long a preview waits for the API server before reporting hashes only. */
export const READ_TIMEOUT_MS = 10_000;
/** How long a preview waits for AWS before leaving what it resolves unchecked. */
export const RESOLVE_TIMEOUT_MS = 30_000;

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

/** The cluster's Kubernetes minor version ("1.33"), read with the controller's own client. */
export function kubeconfigVersionReader(kubeconfig: string): () => Promise<string> {
  return async () => {
    const { ClientNodeApi } = await import('../../runtime/kube/client-node/client-node-api.js');
    return ClientNodeApi.fromKubeconfig(kubeconfig).serverVersion();
  };
}

export interface AwsResolverArgs {
  region: string;
  /** An emulator URL (moto) for every AWS call. */
  endpoint?: string;
  /** The Kubernetes minor AMI aliases resolve for; else `readKubernetesVersion`; else aliases stay unresolved. */
  kubernetesVersion?: string;
  readKubernetesVersion?: () => Promise<string>;
}

/** The default resolver: the controller's own resolution code through the AWS SDK, loaded on first use. */
export function awsResolver(o: AwsResolverArgs): DriftResolver {
  return {
    async resolve(nodeClasses, providerIDs) {
      const version = o.kubernetesVersion ?? (await o.readKubernetesVersion?.().catch(() => undefined));
      const { awsDriftResolver } = await import('./aws-resolver.js');
      return awsDriftResolver({
        region: o.region,
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        ...(version ? { kubernetesVersion: version } : {}),
      }).resolve(nodeClasses, providerIDs);
    },
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
  /**
   * Resolves selector terms and reads instances (AMIs, subnets, security groups). Without it (and without
   * `region`) only `id` terms resolve and instances' subnets and security groups are reported as not checked.
   */
  resolver?: DriftResolver;
  /** The AWS region, for the default resolver (`awsResolver`), which uses the AWS SDK's usual credentials. */
  region?: pulumi.Input<string>;
  /** An AWS endpoint (an emulator) for the default resolver. */
  awsEndpoint?: pulumi.Input<string>;
  /** The cluster's Kubernetes minor for AMI aliases. @default read from the cluster through `kubeconfig` */
  kubernetesVersion?: pulumi.Input<string>;
  /** @default Date.now */
  now?: () => number;
  /** Where pulumi.log attaches the messages. */
  logTo?: pulumi.Resource;
}

function withTimeout<T>(promise: Promise<T>, ms: number, from = 'the cluster'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${from} within ${ms} ms`)), ms);
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

/** What the resolver says, or the offline facts with why AWS could not tell more. */
async function resolveFacts(
  resolver: DriftResolver,
  nodeClasses: EC2NodeClass[],
  nodeClaims: NodeClaim[],
): Promise<PreviewFacts> {
  const providerIDs = nodeClaims.flatMap((c) => (c.status?.providerID ? [c.status.providerID] : []));
  try {
    return await withTimeout(resolver.resolve(nodeClasses, providerIDs), RESOLVE_TIMEOUT_MS, 'AWS');
  } catch (err) {
    const why = `not read from AWS (${err instanceof Error ? err.message : String(err)})`;
    return offlineFacts(nodeClasses, `instances' subnets and security groups: ${why}`, why);
  }
}

export async function computeDriftPreview(input: {
  nodePools: NodePool[];
  nodeClasses: EC2NodeClass[];
  reader: NodeClaimReader | undefined;
  dryRun: boolean;
  previous: PlannedHashes | undefined;
  now: number;
  resolver?: DriftResolver | undefined;
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
  const facts = input.resolver
    ? await resolveFacts(input.resolver, input.nodeClasses, nodeClaims)
    : undefined;
  return previewDrift({
    nodePools: input.nodePools,
    nodeClasses: input.nodeClasses,
    nodeClaims,
    now: input.now,
    ...(facts ? { facts } : {}),
  });
}

function resolverArgs(
  region: string,
  endpoint: string | undefined,
  kubernetesVersion: string | undefined,
  kubeconfig: string | undefined,
): AwsResolverArgs {
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(kubernetesVersion ? { kubernetesVersion } : {}),
    ...(kubeconfig ? { readKubernetesVersion: kubeconfigVersionReader(kubeconfig) } : {}),
  };
}

/**
 * Which of the named inputs a preview cannot know yet (a value from a resource this update creates). An Output's
 * `isKnown` is not in the SDK's types but has long been on every Output; without it nothing is reported unknown.
 */
export async function unknownInputs(named: [string, pulumi.Input<unknown> | undefined][]): Promise<string[]> {
  const known = await Promise.all(
    named.map(([, input]) =>
      pulumi.Output.isInstance(input)
        ? ((input as unknown as { isKnown?: Promise<boolean> }).isKnown ?? Promise.resolve(true))
        : Promise.resolve(true),
    ),
  );
  return named.filter((_, i) => !known[i]).map(([name]) => name);
}

/** Says, during a preview, that the report could not be made because an input is unknown: silence reads as "no drift". */
function reportUnknowns(args: DriftPreviewArgs): void {
  if (!pulumi.runtime.isDryRun()) return;
  const named: [string, pulumi.Input<unknown> | undefined][] = [
    ...args.nodePools.flatMap((r, i): [string, pulumi.Input<unknown>][] => [
      [`nodePools[${i}].spec`, r.spec],
      [`nodePools[${i}].metadata`, r.metadata],
    ]),
    ...args.nodeClasses.flatMap((r, i): [string, pulumi.Input<unknown>][] => [
      [`nodeClasses[${i}].spec`, r.spec],
      [`nodeClasses[${i}].metadata`, r.metadata],
    ]),
    ['kubeconfig', args.kubeconfig],
    ['previousHashes', args.previousHashes],
    ['region', args.region],
    ['kubernetesVersion', args.kubernetesVersion],
  ];
  void unknownInputs(named).then((unknown) => {
    if (unknown.length === 0) return;
    void pulumi.log.warn(
      `drift preview: not run: ${unknown.join(', ')} not known until this update creates what they come from; preview again after \`pulumi up\` to see which nodes a change replaces`,
      args.logTo,
    );
  });
}

/** The drift report as an Output, logged once it is known (and a warning when it cannot be). */
export function driftPreview(args: DriftPreviewArgs): pulumi.Output<DriftPreview> {
  reportUnknowns(args);
  const reader = pulumi
    .output(args.kubeconfig)
    .apply((kc) => args.readNodeClaims ?? (kc ? kubeconfigReader(kc) : undefined));
  const resolver = pulumi
    .all([args.region, args.awsEndpoint, args.kubernetesVersion, args.kubeconfig])
    .apply(
      ([region, endpoint, version, kc]) =>
        args.resolver ?? (region ? awsResolver(resolverArgs(region, endpoint, version, kc)) : undefined),
    );
  return pulumi
    .all([
      plannedPools(args.nodePools),
      plannedClasses(args.nodeClasses),
      reader,
      pulumi.output(args.previousHashes),
      resolver,
    ])
    .apply(async ([nodePools, nodeClasses, read, previous, resolve]) => {
      const report = await computeDriftPreview({
        nodePools,
        nodeClasses,
        reader: read,
        dryRun: pulumi.runtime.isDryRun(),
        previous,
        now: (args.now ?? Date.now)(),
        resolver: resolve,
      });
      if (pulumi.runtime.isDryRun()) {
        for (const line of report.summary) void pulumi.log.info(`drift preview: ${line}`, args.logTo);
      }
      return report;
    });
}
