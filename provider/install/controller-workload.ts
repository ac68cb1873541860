/**
 * The cluster side of an install: the CRDs, the namespace, the controller's service account and RBAC, its
 * Deployment, PodDisruptionBudget and metrics Service. The objects are plain data from ./manifests and ./crds; this
 * only registers them, in the order the controller needs them.
 */
import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { loadCrds } from './crds';
import {
  CLUSTER_RULES,
  KUBE_DNS_NAMESPACE,
  KUBE_DNS_RULES,
  NAMESPACE_RULES,
  deployment,
  metricsService,
  podDisruptionBudget,
  selectorLabels,
  type ControllerSpec,
} from './manifests';

export interface ControllerWorkloadArgs {
  /** The Kubernetes provider for the cluster the objects go to. */
  kubernetesProvider: k8s.Provider;
  /** The namespace the controller runs in. */
  namespace: string;
  /** Create the namespace; false installs into one that exists. */
  createNamespace: boolean;
  /** The controller's service account. */
  serviceAccountName: string;
  /** The role to annotate the service account with for IRSA. @default unset: no annotation (Pod Identity) */
  irsaRoleArn?: pulumi.Input<string>;
  /** The controller Deployment: image, replicas, resources, placement and settings. */
  controller: Omit<ControllerSpec, 'name' | 'namespace' | 'serviceAccountName'>;
  /** AWS resources (role, policies, association) that must exist before the controller starts acting. */
  awsDependencies: pulumi.Resource[];
}

export interface ControllerWorkload {
  crds: k8s.apiextensions.v1.CustomResourceDefinition[];
  namespace?: k8s.core.v1.Namespace;
  serviceAccount: k8s.core.v1.ServiceAccount;
  clusterRole: k8s.rbac.v1.ClusterRole;
  clusterRoleBinding: k8s.rbac.v1.ClusterRoleBinding;
  role: k8s.rbac.v1.Role;
  roleBinding: k8s.rbac.v1.RoleBinding;
  /** Read access to kube-system's kube-dns Service, and nothing else in kube-system. */
  kubeDnsRole: k8s.rbac.v1.Role;
  kubeDnsRoleBinding: k8s.rbac.v1.RoleBinding;
  deployment: k8s.apps.v1.Deployment;
  podDisruptionBudget: k8s.policy.v1.PodDisruptionBudget;
  metricsService: k8s.core.v1.Service;
}

export function createControllerWorkload(
  name: string,
  args: ControllerWorkloadArgs,
  parent: pulumi.Resource,
): ControllerWorkload {
  const { namespace, serviceAccountName } = args;
  const k8sOpts = { parent, provider: args.kubernetesProvider };
  const crds = loadCrds().map(
    (crd) =>
      new k8s.apiextensions.v1.CustomResourceDefinition(
        `${name}-${crd.metadata.name}`,
        {
          metadata: crd.metadata,
          // Structural and validated by sdk/crd's tests; the generated YAML is the source.
          spec: crd.spec as unknown as k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec,
        },
        k8sOpts,
      ),
  );
  const ns = args.createNamespace
    ? new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: namespace } }, k8sOpts)
    : undefined;
  const inNamespace = { ...k8sOpts, dependsOn: ns ? [ns] : [] };
  const labels = selectorLabels(name);
  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-controller`,
    {
      metadata: {
        name: serviceAccountName,
        namespace,
        labels,
        annotations: args.irsaRoleArn === undefined ? {} : { 'eks.amazonaws.com/role-arn': args.irsaRoleArn },
      },
    },
    inNamespace,
  );
  const clusterRole = new k8s.rbac.v1.ClusterRole(
    `${name}-controller`,
    { metadata: { labels }, rules: CLUSTER_RULES },
    k8sOpts,
  );
  const subject = { kind: 'ServiceAccount', name: serviceAccountName, namespace };
  const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
    `${name}-controller`,
    {
      metadata: { labels },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: clusterRole.metadata.name,
      },
      subjects: [subject],
    },
    k8sOpts,
  );
  const role = new k8s.rbac.v1.Role(
    `${name}-controller`,
    { metadata: { namespace, labels }, rules: NAMESPACE_RULES },
    inNamespace,
  );
  const roleBinding = new k8s.rbac.v1.RoleBinding(
    `${name}-controller`,
    {
      metadata: { namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subjects: [subject],
    },
    inNamespace,
  );
  const kubeDnsRole = new k8s.rbac.v1.Role(
    `${name}-controller-dns`,
    { metadata: { namespace: KUBE_DNS_NAMESPACE, labels }, rules: KUBE_DNS_RULES },
    k8sOpts,
  );
  const kubeDnsRoleBinding = new k8s.rbac.v1.RoleBinding(
    `${name}-controller-dns`,
    {
      metadata: { namespace: KUBE_DNS_NAMESPACE, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: kubeDnsRole.metadata.name },
      subjects: [subject],
    },
    k8sOpts,
  );
  const controller = new k8s.apps.v1.Deployment(
    `${name}-controller`,
    deployment({ ...args.controller, name, namespace, serviceAccountName }),
    {
      ...inNamespace,
      // Credentials and permissions must exist before the controller starts acting.
      dependsOn: [
        ...inNamespace.dependsOn,
        ...crds,
        serviceAccount,
        clusterRoleBinding,
        roleBinding,
        kubeDnsRoleBinding,
        ...args.awsDependencies,
      ],
    },
  );
  const pdb = new k8s.policy.v1.PodDisruptionBudget(
    `${name}-controller`,
    podDisruptionBudget({ name, namespace }),
    inNamespace,
  );
  const service = new k8s.core.v1.Service(
    `${name}-metrics`,
    metricsService({ name, namespace }),
    inNamespace,
  );
  return {
    crds,
    namespace: ns,
    serviceAccount,
    clusterRole,
    clusterRoleBinding,
    role,
    roleBinding,
    kubeDnsRole,
    kubeDnsRoleBinding,
    deployment: controller,
    podDisruptionBudget: pdb,
    metricsService: service,
  };
}
