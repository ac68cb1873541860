/**
 * The Deployment controller: one ReplicaSet per pod template (named by its hash), scaled to the Deployment's
 * replicas; ReplicaSets of older templates are scaled to zero.
 */
import { createHash } from 'node:crypto';
import { objectKey } from '../../kube/informer';
import { Kinds, apiVersionOf } from '../../kube/kinds';
import {
  nameOf,
  type Deployment,
  type LabelSelector,
  type PodTemplate,
  type ReplicaSet,
} from '../../kube/objects';
import { QueuedController, type WorkloadContext } from './queued-controller';
import {
  compareStrings,
  controllerRef,
  createToleratingExisting,
  isControlledBy,
  ownerReference,
  splitKey,
} from './shared';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

export class DeploymentController extends QueuedController {
  constructor(ctx: WorkloadContext) {
    super('sim.deployment', ctx);
    ctx.deployments.onChange((_type, d) => this.enqueue(objectKey(d)));
    ctx.replicaSets.onChange((_type, rs) => {
      const owner = controllerRef(rs);
      if (owner?.kind === 'Deployment') this.enqueue(`${rs.metadata.namespace}/${owner.name}`);
    });
  }

  protected resyncKeys(): string[] {
    return this.ctx.deployments.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const d = this.ctx.deployments.get(...splitKey(key));
    if (!d || d.metadata.deletionTimestamp) return;
    const hash = templateHash(d.spec.template);
    const name = `${d.metadata.name}-${hash}`;
    const replicas = d.spec.replicas ?? 1;
    const owned = this.ctx.replicaSets.list((rs) => isControlledBy(rs, d));
    // Kubernetes finds the new ReplicaSet by template, not name: one created elsewhere (a snapshot of a real
    // cluster, with the controller-manager's hash) is adopted rather than rolled over.
    const current =
      owned.find((rs) => rs.metadata.name === name) ?? owned.find((rs) => sameTemplate(rs.spec.template, d));
    if (!current) {
      await createToleratingExisting(this.ctx.api, Kinds.ReplicaSet, replicaSetFor(d, name, hash, replicas));
    } else if ((current.spec.replicas ?? 1) !== replicas) {
      await this.scale(current, replicas);
    }
    // A changed template gets a new ReplicaSet; the old ones are scaled away (a Recreate-style rollout).
    for (const old of owned) if (old !== current && (old.spec.replicas ?? 1) !== 0) await this.scale(old, 0);
  }

  private async scale(rs: ReplicaSet, replicas: number): Promise<void> {
    await this.ctx.api.patch(Kinds.ReplicaSet, nameOf(rs), { spec: { replicas } }, rs.metadata.namespace);
  }
}

function replicaSetFor(d: Deployment, name: string, hash: string, replicas: number): ReplicaSet {
  const labels = { ...d.spec.template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
  const selector: LabelSelector = structuredClone(d.spec.selector);
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
  return {
    apiVersion: apiVersionOf(Kinds.ReplicaSet),
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: d.metadata.namespace,
      labels,
      ownerReferences: [ownerReference(Kinds.Deployment, d)],
    },
    spec: {
      replicas,
      selector,
      template: {
        metadata: { ...structuredClone(d.spec.template.metadata), labels },
        spec: structuredClone(d.spec.template.spec),
      },
    },
  };
}

/** The ReplicaSet's template is the Deployment's, the pod-template-hash label aside (EqualIgnoreHash). */
function sameTemplate(template: PodTemplate | undefined, d: Deployment): boolean {
  if (!template) return false;
  const labels = { ...template.metadata?.labels };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  const bare = { ...template, metadata: { ...template.metadata, labels } };
  const own = {
    ...d.spec.template,
    metadata: { ...d.spec.template.metadata, labels: { ...d.spec.template.metadata?.labels } },
  };
  return canonicalJson(bare) === canonicalJson(own);
}

const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A 10-character, deterministic hash of a pod template, spelled like Kubernetes' pod-template-hash. */
export function templateHash(template: PodTemplate): string {
  const digest = createHash('sha256').update(canonicalJson(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += HASH_ALPHABET[(digest[i] as number) % HASH_ALPHABET.length];
  return out;
}

/** JSON with object keys sorted, so equal templates hash equally whatever order their fields were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareStrings(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
