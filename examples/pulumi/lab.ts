/**
 * The seed lab as a Pulumi program: an EKS cluster with karpenter-ts, the developers-workshop NodePool and
 * EC2NodeClass, and the FastAPI and PostgreSQL workloads, all read from examples/lab/*.yaml (the same manifests the
 * simulated lab replays), plus optionally the seed module's other NodePools.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isEC2NodeClass,
  isNodePool,
  parseManifests,
  type GenericObject,
  type KarpenterObject,
} from '../../sdk/manifests';
import {
  KarpenterCluster,
  type EC2NodeClassArgs,
  type KarpenterClusterArgs,
  type NodePoolArgs,
} from '../../provider';
import { gpuNodeClass, seedNodePools } from './seed-nodepools';

export const LAB_DIR = join(__dirname, '..', 'lab');
export const LAB_CLUSTER_NAME = 'developers-workshop';

export interface LabOptions {
  /** @default "developers-workshop" (the name the lab's EC2NodeClass role and discovery tags use) */
  clusterName?: string;
  /** @default examples/lab */
  manifestsDir?: string;
  /** Also create the seed module's GPU, Graviton, spot-first and high-memory NodePools. @default false */
  seedNodePools?: boolean;
  /** Passed through to KarpenterCluster (image, identity, drift preview ...). @default {} */
  cluster?: Omit<KarpenterClusterArgs, 'clusterName' | 'nodePools' | 'nodeClasses'>;
}

export interface Lab {
  cluster: KarpenterCluster;
  workloads: pulumi.CustomResource[];
}

function load(dir: string, file: string): KarpenterObject[] {
  return parseManifests(readFileSync(join(dir, file), 'utf8'), { source: file, requireMetadata: true });
}

/** A workload manifest as the typed @pulumi/kubernetes resource of its kind. */
function workloadResource(obj: GenericObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const name = `${obj.metadata?.namespace ?? 'cluster'}-${obj.kind.toLowerCase()}-${obj.metadata?.name ?? ''}`;
  switch (obj.kind) {
    case 'Namespace':
      return new k8s.core.v1.Namespace(name, obj as unknown as k8s.core.v1.NamespaceArgs, opts);
    case 'Deployment':
      return new k8s.apps.v1.Deployment(name, obj as unknown as k8s.apps.v1.DeploymentArgs, opts);
    case 'StatefulSet':
      return new k8s.apps.v1.StatefulSet(name, obj as unknown as k8s.apps.v1.StatefulSetArgs, opts);
    case 'Service':
      return new k8s.core.v1.Service(name, obj as unknown as k8s.core.v1.ServiceArgs, opts);
    default:
      throw new Error(`the lab example does not know how to deploy a ${obj.kind} (${name})`);
  }
}

export function labProgram(options: LabOptions = {}): Lab {
  const dir = options.manifestsDir ?? LAB_DIR;
  const clusterName = options.clusterName ?? LAB_CLUSTER_NAME;
  const karpenterObjects = [...load(dir, 'ec2nodeclass.yaml'), ...load(dir, 'nodepool.yaml')];
  const nodeClasses: Record<string, EC2NodeClassArgs> = {};
  const nodePools: Record<string, NodePoolArgs> = {};
  for (const obj of karpenterObjects) {
    const name = obj.metadata?.name ?? '';
    if (isEC2NodeClass(obj))
      nodeClasses[name] = { metadata: { name }, spec: obj.spec as EC2NodeClassArgs['spec'] };
    else if (isNodePool(obj))
      nodePools[name] = { metadata: { name }, spec: obj.spec as NodePoolArgs['spec'] };
  }
  if (options.seedNodePools) {
    Object.assign(nodePools, seedNodePools);
    nodeClasses.gpu = gpuNodeClass(clusterName, `KarpenterNodeRole-${clusterName}`);
  }
  const cluster = new KarpenterCluster(clusterName, {
    ...options.cluster,
    clusterName,
    nodeClasses,
    nodePools,
  });
  // Namespaces first (deploy-db.yaml creates the app's namespace), then the workloads, after the NodePools exist.
  const workloadObjects = [
    ...load(dir, 'deploy-db.yaml'),
    ...load(dir, 'deploy-app.yaml'),
  ] as GenericObject[];
  const opts = { provider: cluster.provider, dependsOn: [cluster.install] };
  const namespaces = workloadObjects
    .filter((o) => o.kind === 'Namespace')
    .map((o) => workloadResource(o, opts));
  const workloads = workloadObjects
    .filter((o) => o.kind !== 'Namespace')
    .map((o) => workloadResource(o, { ...opts, dependsOn: [cluster.install, ...namespaces] }));
  return { cluster, workloads: [...namespaces, ...workloads] };
}
