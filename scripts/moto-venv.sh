#!/usr/bin/env bash
# Creates (once per machine) the Python virtualenv with moto's server that the AWS integration tests run against,
# and prints its directory: ${KARPENTER_TS_CACHE:-$HOME/.cache/karpenter-ts}/moto-venv.
# Run the server as "$VENV/bin/python -m moto.server" (the venv is built elsewhere and moved in place, which
# breaks console-script shebangs but not the interpreter).
set -euo pipefail
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
CACHE="${KARPENTER_TS_CACHE:-$HOME/.cache/karpenter-ts}"
VENV="$CACHE/moto-venv"
STAMP=".moto-$MOTO_VERSION"
PYTHON="${PYTHON:-python3}"
mkdir -p "$CACHE"
ready() { [[ -f "$VENV/$STAMP" && -x "$VENV/bin/python" ]]; }
if ready; then echo "$VENV"; exit 0; fi
# One builder at a time: test files (ours and the SQS interruption tests) may start in parallel jest workers.
exec 9>"$CACHE/moto-venv.lock"
flock 9
if ready; then echo "$VENV"; exit 0; fi
TMP="$(mktemp -d "$CACHE/moto-venv.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
"$PYTHON" -m venv "$TMP" >&2
"$TMP/bin/python" -m pip install --quiet "moto[server]==$MOTO_VERSION" >&2
"$TMP/bin/python" -c "import moto.server" >&2
touch "$TMP/$STAMP"
rm -rf "$VENV"
mv "$TMP" "$VENV"
trap - EXIT
echo "$VENV"
