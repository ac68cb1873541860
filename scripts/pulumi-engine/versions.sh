# Versions of the real Pulumi engine the `engine` jest project runs (scripts/pulumi-engine/build.sh builds them).
# Sourced by build.sh and by tests/engine/support. Changing one changes the cache key: the next build starts a fresh
# directory.

_pulumi_engine_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Pulumi CLI (github.com/pulumi/pulumi/pkg/v3) and Node.js language host, one release. The language host's source is
# vendored beside the repo (the Go module proxy refuses its module); its directory name carries this version.
PULUMI_VERSION="${PULUMI_VERSION:-v3.248.0}"
PULUMI_LANGUAGE_NODEJS_SRC="${PULUMI_LANGUAGE_NODEJS_SRC:-$_pulumi_engine_repo/../shared/vendor/pulumi-language-nodejs-${PULUMI_VERSION}}"

# pulumi-resource-kubernetes: the proxy serves only this pseudo-version of github.com/pulumi/pulumi-kubernetes/
# provider/v4 (the commit tagged v4.25.0). The binary reports PULUMI_KUBERNETES_PROVIDER_VERSION.
PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION="${PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION:-v4.0.0-20260115033456-f47bc2d6f199}"
PULUMI_KUBERNETES_PROVIDER_VERSION="${PULUMI_KUBERNETES_PROVIDER_VERSION:-4.25.0}"

# The plugin is installed under the version the @pulumi/kubernetes SDK asks for: read from the lockfile, the one
# place that pins it.
PULUMI_KUBERNETES_SDK_VERSION="$(jq -r '.packages["node_modules/@pulumi/kubernetes"].version' "$_pulumi_engine_repo/package-lock.json")"

KARPENTER_TS_CACHE="${KARPENTER_TS_CACHE:-$HOME/.cache/karpenter-ts}"
PULUMI_ENGINE_KEY="pulumi-${PULUMI_VERSION}_kubernetes-${PULUMI_KUBERNETES_PROVIDER_VERSION}-as-${PULUMI_KUBERNETES_SDK_VERSION}"
PULUMI_ENGINE_BIN="${KARPENTER_TS_CACHE}/bin/${PULUMI_ENGINE_KEY}"
# PULUMI_HOME of the engine tests: the plugin cache holding the kubernetes plugin under the SDK's version.
PULUMI_ENGINE_HOME="${PULUMI_ENGINE_BIN}/pulumi-home"
PULUMI_ENGINE_BINARIES="pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-pulumi-nodejs"
