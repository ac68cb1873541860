#!/usr/bin/env bash
# Starts the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok) with
# kwokctl's binary runtime on 127.0.0.1, building the binaries first if this machine has none (see
# scripts/control-plane/build.sh). Prints the path of the kubeconfig the controller and tests use:
#   ${KARPENTER_TS_CACHE:-$HOME/.cache/karpenter-ts}/clusters/<name>/kubeconfig
# An already running, healthy cluster of the same name is reused.
#
# Env: KARPENTER_TS_CLUSTER (default karpenter-ts), KARPENTER_TS_CACHE.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=control-plane/versions.sh
source "$here/control-plane/versions.sh"

name="${KARPENTER_TS_CLUSTER:-karpenter-ts}"
cluster_dir="$KARPENTER_TS_CACHE/clusters/$name"
kubeconfig="$cluster_dir/kubeconfig"
# kwokctl keeps each cluster's pki, logs, pids and etcd data under $KWOK_WORKDIR/clusters/<name>.
export KWOK_WORKDIR="$KARPENTER_TS_CACHE/kwok"

log() { printf '[cluster-up %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

"$here/control-plane/build.sh" >&2
bin="$CONTROL_PLANE_BIN"
kwokctl="$bin/kwokctl"

healthy() {
  [[ -f "$kubeconfig" ]] &&
    "$bin/kubectl" --kubeconfig "$kubeconfig" --cache-dir "$cluster_dir/.kubectl-cache" get --raw /readyz >/dev/null 2>&1
}

if healthy; then
  log "cluster $name already running"
  echo "$kubeconfig"
  exit 0
fi

mkdir -p "$cluster_dir"
if "$kwokctl" get clusters 2>/dev/null | grep -qx "$name"; then
  # Left over from a crash or a reboot: start what is stopped; if that fails, start over.
  log "cluster $name exists but is not healthy: starting its stopped components"
  if ! "$kwokctl" start cluster --name "$name" --wait 2m >&2; then
    log "restart failed: recreating cluster $name"
    "$kwokctl" delete cluster --name "$name" >&2 || true
  fi
fi

if ! "$kwokctl" get clusters 2>/dev/null | grep -qx "$name"; then
  config="$cluster_dir/kwokctl.yaml"
  sed -e "s#@BIN@#$bin#g" -e "s#@WORKDIR@#$KWOK_WORKDIR#g" -e "s#@KUBE_VERSION@#$KUBE_VERSION#g" \
    -e "s#@ETCD_VERSION@#$ETCD_VERSION#g" -e "s#@KWOK_VERSION@#$KWOK_VERSION#g" \
    "$here/control-plane/kwokctl.yaml.tmpl" >"$config"
  log "creating cluster $name (kwokctl binary runtime, binaries from $bin)"
  started=$(date +%s)
  # --kubeconfig "": leave ~/.kube/config alone; we publish our own copy below.
  "$kwokctl" --config "$config" create cluster --name "$name" --kubeconfig "" --wait 3m --timeout 5m >&2
  log "cluster $name created in $(($(date +%s) - started))s"
fi

cp "$KWOK_WORKDIR/clusters/$name/kubeconfig.yaml" "$kubeconfig"
for _ in $(seq 1 60); do
  healthy && break
  sleep 1
done
healthy || {
  log "cluster $name did not become ready; logs in $KWOK_WORKDIR/clusters/$name/logs"
  exit 1
}
echo "$kubeconfig"
