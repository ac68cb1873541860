/** Object builders for tests: a valid object with defaults filled in by the same schema the API server applies. */
import { nodeClaimSchema } from '../../sdk/api/nodeclaim';
import type { KubeApi } from './api';
import type { NodeClaim, Pod } from './objects';

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

/** An API that answers as `inner` does except for the methods given: a fault or a refusal injected in a test. */
export function withOverrides(inner: KubeApi, overrides: Partial<KubeApi>): KubeApi {
  return new Proxy(inner, {
    get: (target, prop, receiver) => {
      const own: unknown = Reflect.get(overrides, prop);
      if (own !== undefined) return own;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A pod controlled by ReplicaSet `owner` (whose UID is `uid-<owner>`), in namespace `app`. */
export function replicaSetPod(name: string, owner: string, metadata: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'app',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true },
      ],
      ...metadata,
    },
    spec: { containers: [] },
  };
}
