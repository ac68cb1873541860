/**
 * The cluster DNS default on a real kube-apiserver: the AWS provider's KubeDnsDiscovery reads kube-system/kube-dns
 * through ClientNodeApi (nothing there: no IP; once the Service exists: the ClusterIP the API server allocated), and
 * the install's RBAC for it (provider/install/manifests.ts KUBE_DNS_RULES) lets the controller get that one Service
 * and nothing else, as the API server's own authorizer answers a SubjectAccessReview.
 */
import pino from 'pino';
import { KUBE_DNS_NAMESPACE, KUBE_DNS_RULES } from '../../provider/install/manifests';
import { RealClock } from '../../runtime/clock/clock';
import { KubeDnsDiscovery } from '../../runtime/cloudprovider/aws/kube-dns';
import { Kinds, type ResourceKind } from '../../runtime/kube/kinds';
import type { KubeObject, Service } from '../../runtime/kube/objects';
import { clusterApi, describeWithCluster } from './support/kube';

const RUN = `kts-dns-${Date.now().toString(36)}`;

interface Role extends KubeObject {
  rules: typeof KUBE_DNS_RULES;
}
interface RoleBinding extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace: string }[];
}
interface SubjectAccessReview extends KubeObject {
  spec: {
    user: string;
    resourceAttributes: { namespace?: string; verb: string; resource: string; name?: string };
  };
  status?: { allowed: boolean };
}
const rbac = <T extends KubeObject>(kind: string, plural: string): ResourceKind<T> => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind,
  plural,
  namespaced: true,
});
const RoleKind = rbac<Role>('Role', 'roles');
const RoleBindingKind = rbac<RoleBinding>('RoleBinding', 'rolebindings');
const SubjectAccessReviewKind: ResourceKind<SubjectAccessReview> = {
  group: 'authorization.k8s.io',
  version: 'v1',
  kind: 'SubjectAccessReview',
  plural: 'subjectaccessreviews',
  namespaced: false,
};

describeWithCluster('the kube-dns Service as cluster DNS, on the real API', () => {
  const api = clusterApi();
  const created: [ResourceKind, string, string][] = [];

  afterAll(async () => {
    for (const [kind, name, namespace] of created.reverse())
      await api.delete(kind, name, namespace).catch(() => undefined);
  });

  it('reads no IP while there is no Service, then the ClusterIP the API server allocated', async () => {
    const existing = await api.get(Kinds.Service, 'kube-dns', 'kube-system');
    if (!existing) {
      const logger = pino({ level: 'silent' });
      await expect(new KubeDnsDiscovery(api, new RealClock(), logger).clusterIP()).resolves.toBeUndefined();
      await api.create(Kinds.Service, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kube-dns', namespace: 'kube-system' },
        spec: { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }], selector: { 'k8s-app': 'kube-dns' } },
      } as Service);
      created.push([Kinds.Service, 'kube-dns', 'kube-system']);
    }
    const svc = await api.get(Kinds.Service, 'kube-dns', 'kube-system');
    expect(svc?.spec?.clusterIP).toMatch(/^[0-9a-f.:]+$/);
    const discovery = new KubeDnsDiscovery(api, new RealClock(), pino({ level: 'silent' }));
    await expect(discovery.clusterIP()).resolves.toBe(svc?.spec?.clusterIP);
  });

  it("grants the controller's service account get on kube-system/kube-dns and nothing more", async () => {
    const sa = `system:serviceaccount:${RUN}:karpenter`;
    const role = await api.create(RoleKind, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: RUN, namespace: KUBE_DNS_NAMESPACE },
      rules: KUBE_DNS_RULES,
    });
    created.push([RoleKind, RUN, KUBE_DNS_NAMESPACE]);
    await api.create(RoleBindingKind, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: RUN, namespace: KUBE_DNS_NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name ?? RUN },
      subjects: [{ kind: 'ServiceAccount', name: 'karpenter', namespace: RUN }],
    });
    created.push([RoleBindingKind, RUN, KUBE_DNS_NAMESPACE]);
    const allowed = async (verb: string, name: string | undefined, namespace = KUBE_DNS_NAMESPACE) => {
      const review = await api.create(SubjectAccessReviewKind, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: {},
        spec: {
          user: sa,
          resourceAttributes: { namespace, verb, resource: 'services', ...(name ? { name } : {}) },
        },
      });
      return review.status?.allowed ?? false;
    };
    expect(await allowed('get', 'kube-dns')).toBe(true);
    expect(await allowed('get', 'metrics-server')).toBe(false);
    expect(await allowed('list', undefined)).toBe(false);
    expect(await allowed('watch', 'kube-dns')).toBe(false);
    expect(await allowed('update', 'kube-dns')).toBe(false);
    expect(await allowed('get', 'kube-dns', 'default')).toBe(false);
  });
});
