#!/usr/bin/env bash
# Builds the real Pulumi engine the `engine` jest project runs, once per machine, into
#   ${KARPENTER_TS_CACHE:-$HOME/.cache/karpenter-ts}/bin/<versions>/
# - pulumi: the CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) through a helper module, because pkg's go.mod
#   replaces its sdk with a relative path and `go install` refuses such a module;
# - pulumi-language-nodejs: the Node.js language host from the vendored source beside the repo
#   (../shared/vendor/pulumi-language-nodejs-<version>, unmodified; the proxy refuses that module). It is copied
#   into the build work directory, never into the repo;
# - pulumi-resource-kubernetes: the proxy's v4.25.0 pseudo-version, after making the embedded schema files its
#   release build generates; then installed into <bin>/pulumi-home under the version @pulumi/kubernetes asks for.
# Release binaries cannot be downloaded here, Go modules can. Versions: versions.sh beside this script.
#
# A second run is a no-op: every binary present and the stamp naming the versions. Steps that already produced
# their binaries in the partial directory are not repeated after a failure.
#
# Usage: scripts/pulumi-engine/build.sh [--print-bin-dir]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$here/versions.sh"

stamp_file="$PULUMI_ENGINE_BIN/.stamp"
stamp="$PULUMI_ENGINE_KEY"

log() { printf '[pulumi-engine %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

is_built() {
  [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]] || return 1
  local b
  for b in $PULUMI_ENGINE_BINARIES; do [[ -x "$PULUMI_ENGINE_BIN/$b" ]] || return 1; done
  [[ -d "$PULUMI_ENGINE_HOME/plugins/resource-kubernetes-v${PULUMI_KUBERNETES_SDK_VERSION}" ]]
}

done_() {
  [[ "${1:-}" == "--print-bin-dir" ]] && echo "$PULUMI_ENGINE_BIN"
  exit 0
}

if is_built; then
  log "up to date: $PULUMI_ENGINE_BIN"
  done_ "${1:-}"
fi

[[ -n "$PULUMI_KUBERNETES_SDK_VERSION" && "$PULUMI_KUBERNETES_SDK_VERSION" != null ]] || {
  echo "package-lock.json has no node_modules/@pulumi/kubernetes version" >&2
  exit 1
}
[[ -f "$PULUMI_LANGUAGE_NODEJS_SRC/main.go" ]] || {
  echo "the Node.js language host source is not at $PULUMI_LANGUAGE_NODEJS_SRC; set PULUMI_LANGUAGE_NODEJS_SRC" \
    "to the vendored pulumi-language-nodejs-${PULUMI_VERSION} directory (../shared/vendor/ beside the repo)" >&2
  exit 1
}

mkdir -p "$KARPENTER_TS_CACHE/bin"
# One build at a time per machine (npm test and .ci/run may race); the loser waits, then finds it built. Its own
# lock: the control plane may build at the same time.
exec 9>"$KARPENTER_TS_CACHE/bin/.pulumi-engine.build.lock"
flock 9
if is_built; then
  log "built by a concurrent run: $PULUMI_ENGINE_BIN"
  done_ "${1:-}"
fi

partial="$PULUMI_ENGINE_BIN.partial"
work="$KARPENTER_TS_CACHE/src/$PULUMI_ENGINE_KEY"
mkdir -p "$partial" "$work"

export CGO_ENABLED=0
# Never fetch a newer Go toolchain: dependencies may name one in their go.mod.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
# The machine is shared: build at low priority. /usr/bin/time (when present) logs each build's time and the peak
# resident memory of its largest process.
go_() { nice -n "${BUILD_NICE:-10}" go "$@"; }
timed() {
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f "[pulumi-engine] $current_step: %e s, peak RSS of the largest process %M KiB" "$@"
  else
    "$@"
  fi
}

current_step=""
trap 'rc=$?; [[ $rc -ne 0 ]] && log "FAILED at step: $current_step (exit $rc); partial output kept in $partial"' EXIT

started=$(date +%s)
step() {
  current_step="$1"
  log "step: $1"
}

version_ldflag="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_VERSION}"

# --- the CLI -----------------------------------------------------------------------------------------------
if [[ ! -x "$partial/pulumi" ]]; then
  step "pulumi CLI $PULUMI_VERSION (helper module $work/cli)"
  t=$(date +%s)
  mkdir -p "$work/cli"
  (
    cd "$work/cli"
    pkg_dir="$(go_ mod download -json "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" | jq -r .Dir)"
    # pkg's own requirements and checksums, minus the replace of its sdk by ../sdk (the sdk of the same release
    # comes from the proxy), as a module that requires pkg.
    cp "$pkg_dir/go.mod" "$pkg_dir/go.sum" .
    chmod u+w go.mod go.sum
    go_ mod edit -module=karpenter-ts.local/pulumi-engine/cli -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
      "-require=github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"
    timed nice -n "${BUILD_NICE:-10}" go build -mod=mod -trimpath -ldflags "-s -w $version_ldflag" \
      -o "$partial/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  log "pulumi built in $(($(date +%s) - t))s"
fi

# --- the Node.js language host -----------------------------------------------------------------------------
if [[ ! -x "$partial/pulumi-language-nodejs" || ! -x "$partial/pulumi-resource-pulumi-nodejs" ]]; then
  step "pulumi-language-nodejs $PULUMI_VERSION from $PULUMI_LANGUAGE_NODEJS_SRC"
  t=$(date +%s)
  rm -rf "$work/language-nodejs"
  mkdir -p "$work/language-nodejs"
  cp "$PULUMI_LANGUAGE_NODEJS_SRC"/*.go "$PULUMI_LANGUAGE_NODEJS_SRC"/go.mod "$PULUMI_LANGUAGE_NODEJS_SRC"/go.sum \
    "$work/language-nodejs/"
  chmod -R u+w "$work/language-nodejs"
  (
    cd "$work/language-nodejs"
    # Its go.mod points pkg and sdk into the pulumi repository (../../..); take the same release from the proxy.
    go_ mod edit -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
      "-require=github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "-require=github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
    timed nice -n "${BUILD_NICE:-10}" go build -mod=mod -trimpath -ldflags "-s -w $version_ldflag" \
      -o "$partial/pulumi-language-nodejs" .
  )
  # The shim the engine runs for Node.js dynamic providers.
  install -m 0755 "$PULUMI_LANGUAGE_NODEJS_SRC/pulumi-resource-pulumi-nodejs" "$partial/"
  log "pulumi-language-nodejs built in $(($(date +%s) - t))s"
fi

# --- pulumi-resource-kubernetes ----------------------------------------------------------------------------
if [[ ! -x "$partial/pulumi-resource-kubernetes" ]]; then
  step "pulumi-resource-kubernetes $PULUMI_KUBERNETES_PROVIDER_VERSION ($PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION, in $work/kubernetes)"
  t=$(date +%s)
  mod="github.com/pulumi/pulumi-kubernetes/provider/v4"
  mod_dir="$(go_ mod download -json "$mod@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION" | jq -r .Dir)"
  rm -rf "$work/kubernetes"
  cp -r "$mod_dir" "$work/kubernetes"
  chmod -R u+w "$work/kubernetes"
  (
    cd "$work/kubernetes"
    # Its sdk is replaced by ../sdk (a path in its repository); take the required release from the proxy.
    go_ mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4
    # What the release build's `go generate` (generate.go) makes: the schema stamped with the version, and both
    # files compacted, embedded by main.go.
    cd cmd/pulumi-resource-kubernetes
    jq -c --arg v "$PULUMI_KUBERNETES_PROVIDER_VERSION" '.version = $v' schema.json >schema-embed.json
    jq -c . terraform-mapping.json >terraform-mapping-embed.json
    cd ../..
    timed nice -n "${BUILD_NICE:-10}" go build -mod=mod -trimpath \
      -ldflags "-s -w -X $mod/pkg/version.Version=$PULUMI_KUBERNETES_PROVIDER_VERSION" \
      -o "$partial/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
  )
  log "pulumi-resource-kubernetes built in $(($(date +%s) - t))s"
fi

# --- the plugin cache the tests use ------------------------------------------------------------------------
step "install the kubernetes plugin as v$PULUMI_KUBERNETES_SDK_VERSION into $partial/pulumi-home"
rm -rf "$partial/pulumi-home"
PULUMI_HOME="$partial/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true \
  "$partial/pulumi" plugin install resource kubernetes "$PULUMI_KUBERNETES_SDK_VERSION" \
  --file "$partial/pulumi-resource-kubernetes" --non-interactive >&2

step "verify versions"
"$partial/pulumi" version | grep -qx "$PULUMI_VERSION" || {
  echo "pulumi version does not print $PULUMI_VERSION" >&2
  exit 1
}
PULUMI_HOME="$partial/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true "$partial/pulumi" plugin ls --json |
  jq -e --arg v "$PULUMI_KUBERNETES_SDK_VERSION" 'any(.[]; .name == "kubernetes" and .version == $v)' >/dev/null || {
  echo "the kubernetes plugin is not installed as $PULUMI_KUBERNETES_SDK_VERSION" >&2
  exit 1
}

rm -rf "$PULUMI_ENGINE_BIN"
mv "$partial" "$PULUMI_ENGINE_BIN"
echo "$stamp" >"$stamp_file"
current_step=""
log "built $PULUMI_ENGINE_BIN in $(($(date +%s) - started))s"
done_ "${1:-}"
