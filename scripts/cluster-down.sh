#!/usr/bin/env bash
# Stops and deletes the local control plane started by scripts/cluster-up.sh (its etcd data included).
# Env: KARPENTER_TS_CLUSTER (default karpenter-ts), KARPENTER_TS_CACHE.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=control-plane/versions.sh
source "$here/control-plane/versions.sh"

name="${KARPENTER_TS_CLUSTER:-karpenter-ts}"
export KWOK_WORKDIR="$KARPENTER_TS_CACHE/kwok"
kwokctl="$CONTROL_PLANE_BIN/kwokctl"

if [[ -x "$kwokctl" ]] && "$kwokctl" get clusters 2>/dev/null | grep -qx "$name"; then
  "$kwokctl" delete cluster --name "$name" >&2
fi
rm -rf "$KARPENTER_TS_CACHE/clusters/$name"
echo "cluster $name deleted" >&2
