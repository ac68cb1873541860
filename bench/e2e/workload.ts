/**
 * The cluster `npm run bench:e2e` builds for both controllers: three DaemonSets on every node (a CNI, kube-proxy,
 * a log agent), three pause Deployments sized from the pod count (60 % small web pods, 30 % zone-spread API pods
 * behind a PDB, 10 % large batch pods), one on-demand amd64 NodePool that consolidates when empty or
 * underutilized after 30 s, and a node class with a 20 GiB gp3 root volume (counted in the cost).
 */
import { ec2NodeClassSchema } from '../../sdk/api/ec2nodeclass';
import type {
  DaemonSet,
  Deployment,
  EC2NodeClass,
  KubeObject,
  NodePool,
  PodDisruptionBudget,
} from '../../runtime/kube/objects';

export const NAMESPACE = 'bench';
export const ROOT_VOLUME_GIB = 20;
/** The scale-down step: every Deployment goes to this share of its replicas. */
export const SCALE_DOWN_TO = 0.3;
/** The Deployment the PDB guards. */
export const PDB_APP = 'api';

export interface AppSpec {
  name: string;
  share: number;
  cpu: string;
  memory: string;
  zoneSpread?: boolean;
}

export const APPS: AppSpec[] = [
  { name: 'web', share: 0.6, cpu: '250m', memory: '256Mi' },
  { name: 'api', share: 0.3, cpu: '500m', memory: '1Gi', zoneSpread: true },
  { name: 'batch', share: 0.1, cpu: '1', memory: '2Gi' },
];

export const DAEMONSETS = [
  { name: 'aws-node', cpu: '25m', memory: '40Mi' },
  { name: 'kube-proxy', cpu: '100m', memory: '64Mi' },
  { name: 'log-agent', cpu: '100m', memory: '200Mi' },
];

/** Replicas of each app for `pods` in all (the shares round; the last app takes the remainder). */
export function replicasFor(pods: number, fraction = 1): Record<string, number> {
  const total = Math.round(pods * fraction);
  const out: Record<string, number> = {};
  let left = total;
  APPS.forEach((app, i) => {
    const n = i === APPS.length - 1 ? left : Math.round(total * app.share);
    out[app.name] = n;
    left -= n;
  });
  return out;
}

export function daemonSet(name: string, cpu: string, memory: string): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          // As the real ones do: run on every node, whatever its taints, from the moment it registers.
          tolerations: [{ operator: 'Exists' }],
          priorityClassName: 'system-node-critical',
          containers: [
            { name, image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu, memory } } },
          ],
        },
      },
    },
  } as DaemonSet;
}

export function deployment(app: AppSpec, replicas: number): Deployment {
  const labels = { app: app.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app.name, namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 0,
          ...(app.zoneSpread
            ? {
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: 'topology.kubernetes.io/zone',
                    whenUnsatisfiable: 'DoNotSchedule',
                    labelSelector: { matchLabels: labels },
                  },
                ],
              }
            : {}),
          containers: [
            {
              name: 'pause',
              image: 'registry.k8s.io/pause:3.10',
              resources: { requests: { cpu: app.cpu, memory: app.memory } },
            },
          ],
        },
      },
    },
  } as Deployment;
}

export function pdb(): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: PDB_APP, namespace: NAMESPACE },
    spec: { maxUnavailable: '10%', selector: { matchLabels: { app: PDB_APP } } },
  } as PodDisruptionBudget;
}

/** The NodePool both controllers get; only the node class reference differs. */
export function nodePool(nodeClassRef: { group: string; kind: string; name: string }): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'default' },
    spec: {
      template: {
        spec: {
          requirements: [
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
            { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
            { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
          ],
          nodeClassRef,
          expireAfter: '720h',
        },
      },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '30s' },
    },
  } as NodePool;
}

/** Through the SDK's schema, so the defaults (metadataOptions, ...) are filled as the API server would. */
export function ec2NodeClass(): EC2NodeClass {
  return ec2NodeClassSchema.parse({
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: 'default' },
    spec: {
      role: 'KarpenterNodeRole-bench',
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'bench' } }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'bench' } }],
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          rootVolume: true,
          ebs: { volumeSize: `${ROOT_VOLUME_GIB}Gi`, volumeType: 'gp3', encrypted: true },
        },
      ],
    },
  });
}

/** Upstream's kwok provider takes a KWOKNodeClass (karpenter.kwok.sh/v1alpha1) with no settings. */
export function kwokNodeClass(): KubeObject {
  return {
    apiVersion: 'karpenter.kwok.sh/v1alpha1',
    kind: 'KWOKNodeClass',
    metadata: { name: 'default' },
  };
}
