/**
 * The controller's in-cluster objects as plain data: service account, least-privilege RBAC, the Deployment, its
 * PodDisruptionBudget and the metrics Service. The install component only hands them to @pulumi/kubernetes.
 */
import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { Labels } from '../../sdk/api/well-known';
import { DEFAULT_LEADER_ELECTION_NAME, SETTINGS } from '../../runtime/settings';
import type { SavingsPlan } from '../../runtime/scheduling/savings-plans';
import type { ClusterCapsArgs } from './args';

/** Ports and paths of the contract the controller image keeps (runtime/settings.ts defaults). */
export const METRICS_PORT = 8080;
export const HEALTH_PROBE_PORT = 8081;
/** The image's non-root user (runtime/Dockerfile). */
export const CONTROLLER_UID = 65532;

export interface ControllerSettings {
  clusterName: pulumi.Input<string>;
  clusterEndpoint: pulumi.Input<string>;
  /** Base64 PEM of the API server's CA. */
  clusterCABundle?: pulumi.Input<string>;
  /** The interruption queue's name; interruption handling is off without it. */
  interruptionQueue?: pulumi.Input<string>;
  region: pulumi.Input<string>;
  logLevel?: string;
  /** "Name=true,Other=false" */
  featureGates?: string;
  batchIdleDuration?: string;
  batchMaxDuration?: string;
  /** CLUSTER_MAX_* values as the controller reads them (see clusterCapsEnv). */
  clusterCaps?: ClusterCapsArgs;
  /** ENABLE_ZONAL_SHIFT. @default false */
  enableZonalShift?: boolean;
  /** SAVINGS_PLANS, written as JSON. @default none */
  savingsPlans?: SavingsPlan[];
}

export interface ControllerSpec {
  name: string;
  namespace: string;
  serviceAccountName: string;
  image: pulumi.Input<string>;
  replicas: number;
  resources: k8s.types.input.core.v1.ResourceRequirements;
  settings: ControllerSettings;
  /** Extra node selector, e.g. the system node group's label. */
  nodeSelector?: Record<string, string>;
  tolerations?: k8s.types.input.core.v1.Toleration[];
}

/** The controller's metrics port, by name: the Service and a ServiceMonitor refer to it so. */
export const METRICS_PORT_NAME = 'http-metrics';

export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'karpenter-ts', 'app.kubernetes.io/instance': name };
}

function env(name: string, value: pulumi.Input<string> | undefined): k8s.types.input.core.v1.EnvVar[] {
  return value === undefined ? [] : [{ name, value }];
}

/** Which controller setting each of KarpenterInstall's `clusterCaps` sets. */
export const CLUSTER_CAP_ARGS = {
  nodes: SETTINGS.clusterMaxNodes,
  cpu: SETTINGS.clusterMaxCpu,
  memory: SETTINGS.clusterMaxMemory,
  costPerHour: SETTINGS.clusterMaxCostPerHour,
} as const satisfies Record<keyof ClusterCapsArgs, unknown>;

/** The cluster caps that are set, as the controller's environment. */
export function clusterCapsEnv(caps: ClusterCapsArgs = {}): k8s.types.input.core.v1.EnvVar[] {
  return (Object.keys(CLUSTER_CAP_ARGS) as (keyof ClusterCapsArgs)[]).flatMap((k) =>
    env(CLUSTER_CAP_ARGS[k].env, caps[k] === undefined ? undefined : String(caps[k])),
  );
}

/** Settings as the environment the controller reads (names from runtime/settings.ts). */
export function controllerEnv(settings: ControllerSettings): k8s.types.input.core.v1.EnvVar[] {
  return [
    ...env(SETTINGS.cloudProvider.env, 'aws'),
    ...env(SETTINGS.clusterName.env, settings.clusterName),
    ...env(SETTINGS.clusterEndpoint.env, settings.clusterEndpoint),
    ...env(SETTINGS.clusterCABundle.env, settings.clusterCABundle),
    ...env(SETTINGS.interruptionQueue.env, settings.interruptionQueue),
    ...env(SETTINGS.awsRegion.env, settings.region),
    ...env(SETTINGS.logLevel.env, settings.logLevel),
    ...env(SETTINGS.featureGates.env, settings.featureGates),
    ...env(SETTINGS.batchIdleMs.env, settings.batchIdleDuration),
    ...env(SETTINGS.batchMaxMs.env, settings.batchMaxDuration),
    ...clusterCapsEnv(settings.clusterCaps),
    ...env(
      SETTINGS.savingsPlans.env,
      settings.savingsPlans?.length ? JSON.stringify(settings.savingsPlans) : undefined,
    ),
    ...env(SETTINGS.enableZonalShift.env, settings.enableZonalShift ? 'true' : undefined),
    ...env(SETTINGS.metricsPort.env, String(METRICS_PORT)),
    ...env(SETTINGS.healthProbePort.env, String(HEALTH_PROBE_PORT)),
    ...env(SETTINGS.disableLeaderElection.env, 'false'),
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
}

export function deployment(spec: ControllerSpec): k8s.types.input.apps.v1.Deployment {
  const labels = selectorLabels(spec.name);
  const probe = (path: string): k8s.types.input.core.v1.Probe => ({
    httpGet: { path, port: 'http-probes' },
    initialDelaySeconds: 5,
    periodSeconds: 10,
    timeoutSeconds: 5,
  });
  return {
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: {
      // Two replicas: one leads, the other takes the Lease over within seconds if the leader's node goes away.
      replicas: spec.replicas,
      revisionHistoryLimit: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: spec.serviceAccountName,
          priorityClassName: 'system-cluster-critical',
          securityContext: {
            runAsNonRoot: true,
            runAsUser: CONTROLLER_UID,
            runAsGroup: CONTROLLER_UID,
            fsGroup: CONTROLLER_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          nodeSelector: { 'kubernetes.io/os': 'linux', ...spec.nodeSelector },
          affinity: {
            // Never on a node the controller itself manages: it would have to drain itself.
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: Labels.nodePool, operator: 'DoesNotExist' }] },
                ],
              },
            },
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { topologyKey: Labels.hostname, labelSelector: { matchLabels: labels } },
              ],
            },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: Labels.zone,
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: labels },
            },
          ],
          tolerations: spec.tolerations ?? [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
          containers: [
            {
              name: 'controller',
              image: spec.image,
              imagePullPolicy: 'IfNotPresent',
              env: controllerEnv(spec.settings),
              ports: [
                { name: METRICS_PORT_NAME, containerPort: METRICS_PORT, protocol: 'TCP' },
                { name: 'http-probes', containerPort: HEALTH_PROBE_PORT, protocol: 'TCP' },
              ],
              livenessProbe: probe('/healthz'),
              readinessProbe: probe('/readyz'),
              resources: spec.resources,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

export function podDisruptionBudget(
  spec: Pick<ControllerSpec, 'name' | 'namespace'>,
): k8s.types.input.policy.v1.PodDisruptionBudget {
  const labels = selectorLabels(spec.name);
  return {
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
  };
}

export function metricsService(
  spec: Pick<ControllerSpec, 'name' | 'namespace'>,
): k8s.types.input.core.v1.Service {
  const labels = selectorLabels(spec.name);
  return {
    metadata: { name: `${spec.name}-metrics`, namespace: spec.namespace, labels },
    spec: {
      type: 'ClusterIP',
      selector: labels,
      ports: [
        { name: METRICS_PORT_NAME, port: METRICS_PORT, targetPort: METRICS_PORT_NAME, protocol: 'TCP' },
      ],
    },
  };
}

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/**
 * Cluster-wide permissions, each the least the controllers need: read what they watch, write only the Karpenter
 * objects, nodes and evictions they own. Status subresources are separate so a typo cannot widen the grant.
 */
export const CLUSTER_RULES: PolicyRule[] = [
  // patch: the drift hash annotations the hash controller keeps on every NodePool, as upstream.
  { apiGroups: ['karpenter.sh'], resources: ['nodepools'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: ['karpenter.sh'], resources: ['nodepools/status'], verbs: ['update', 'patch'] },
  {
    apiGroups: ['karpenter.sh'],
    resources: ['nodeclaims'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  { apiGroups: ['karpenter.sh'], resources: ['nodeclaims/status'], verbs: ['update', 'patch'] },
  // NodeOverlays (NodeOverlay feature gate): read, and their ValidationSucceeded / Ready conditions written.
  { apiGroups: ['karpenter.sh'], resources: ['nodeoverlays'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['karpenter.sh'], resources: ['nodeoverlays/status'], verbs: ['update', 'patch'] },
  // CapacityBuffers (CapacityBuffer feature gate): read (listed with the gate off, to warn), and their status written;
  // what they name read: PodTemplates here, Deployments, StatefulSets and ReplicaSets below.
  { apiGroups: ['autoscaling.x-k8s.io'], resources: ['capacitybuffers'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['autoscaling.x-k8s.io'], resources: ['capacitybuffers/status'], verbs: ['update', 'patch'] },
  { apiGroups: [''], resources: ['podtemplates'], verbs: ['get', 'list', 'watch'] },
  // patch: the termination finalizer that holds a node class until its cloud resources are deleted, and its drift
  // hash annotations.
  {
    apiGroups: ['karpenter.k8s.aws'],
    resources: ['ec2nodeclasses'],
    verbs: ['get', 'list', 'watch', 'patch', 'update'],
  },
  { apiGroups: ['karpenter.k8s.aws'], resources: ['ec2nodeclasses/status'], verbs: ['update', 'patch'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'update', 'patch', 'delete'] },
  // patch: each ReplicaSet pod's pod-deletion-cost annotation (POD_DELETION_COST).
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete', 'patch'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  // DaemonSets: per-node overhead. ReplicaSets: the pods they are still creating (PLAN_DECLARED_REPLICAS).
  // Deployments, StatefulSets and ReplicaSets: a CapacityBuffer's scalableRef.
  {
    apiGroups: ['apps'],
    resources: ['daemonsets', 'replicasets', 'deployments', 'statefulsets'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch'] },
  // Termination waits for volumes to detach before it lets the instance go.
  { apiGroups: ['storage.k8s.io'], resources: ['volumeattachments'], verbs: ['get', 'list', 'watch'] },
  // Scheduling keeps pods with zonal volumes in their volume's zone.
  {
    apiGroups: [''],
    resources: ['persistentvolumeclaims', 'persistentvolumes'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
  // ... and within each node's CSI volume attach limits.
  { apiGroups: ['storage.k8s.io'], resources: ['csinodes'], verbs: ['get', 'list', 'watch'] },
];

/** Where the cluster DNS Service lives; the controller reads it and nothing else there. */
export const KUBE_DNS_NAMESPACE = 'kube-system';

/**
 * In kube-system, only the kube-dns Service and only get, as upstream's chart grants it: its ClusterIP is the cluster
 * DNS nodes are told when their EC2NodeClass sets no kubelet.clusterDNS (runtime/cloudprovider/aws/kube-dns.ts).
 */
export const KUBE_DNS_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['services'], resourceNames: ['kube-dns'], verbs: ['get'] },
];

/**
 * The leader-election Lease, only in the controller's namespace, as upstream's chart grants it: any Lease may be read
 * and the first one created (RBAC cannot name an object that does not exist yet), but only the controller's own
 * may be changed, so the controller cannot take over another component's leadership.
 */
export const NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'watch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    resourceNames: [DEFAULT_LEADER_ELECTION_NAME],
    verbs: ['update', 'patch'],
  },
];
