# Versions of the control-plane binaries the integration tests run on. Sourced by build.sh and cluster-up.sh.
# Changing one changes the cache key, so the next build starts a fresh directory.

# k8s.io/kubernetes release; its staging modules (k8s.io/api, ...) are published as v0.<minor>.<patch>.
KUBE_VERSION="${KUBE_VERSION:-v1.34.1}"
# etcd 3.5 server (go.etcd.io/etcd/server/v3), built in its own helper module.
ETCD_VERSION="${ETCD_VERSION:-v3.5.21}"
# sigs.k8s.io/kwok release providing kwok (the fake kubelet) and kwokctl (the cluster runner).
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"

KARPENTER_TS_CACHE="${KARPENTER_TS_CACHE:-$HOME/.cache/karpenter-ts}"
CONTROL_PLANE_KEY="kube-${KUBE_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
CONTROL_PLANE_BIN="${KARPENTER_TS_CACHE}/bin/${CONTROL_PLANE_KEY}"
CONTROL_PLANE_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl"
