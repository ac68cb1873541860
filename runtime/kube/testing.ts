/** Object builders for tests: a valid object with defaults filled in by the same schema the API server applies. */
import { nodeClaimSchema } from '../../sdk/api/nodeclaim';
import type { NodeClaim } from './objects';

export interface TestNodeClaimOptions {
  metadata?: Partial<NodeClaim['metadata']>;
  spec?: Partial<NodeClaim['spec']>;
  status?: NodeClaim['status'];
  /** Condition types set to True (Launched, Registered, ...), added to `status.conditions`. */
  conditions?: string[];
  /** When those conditions became True. @default "2026-01-01T00:00:00Z" */
  since?: string;
}

/** A NodeClaim of the `default` EC2NodeClass with no requirements unless given. */
export function testNodeClaim(name: string, opts: TestNodeClaimOptions = {}): NodeClaim {
  const since = opts.since ?? '2026-01-01T00:00:00Z';
  const conditions = (opts.conditions ?? []).map((type) => ({
    type,
    status: 'True',
    reason: type,
    message: '',
    lastTransitionTime: since,
  }));
  const status =
    opts.status || conditions.length
      ? { ...opts.status, conditions: [...(opts.status?.conditions ?? []), ...conditions] }
      : undefined;
  return nodeClaimSchema.parse({
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, ...opts.metadata },
    spec: {
      requirements: [],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      ...opts.spec,
    },
    ...(status ? { status } : {}),
  }) as NodeClaim;
}
