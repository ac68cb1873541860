#!/usr/bin/env bash
# Installs Debian's Chromium (/usr/bin/chromium) for the tests that look at the HTML reports in a headless browser,
# once per machine (≈ 20 s). Playwright's own browser download does not work on a closed network; Debian's package
# does. Without root or apt the tests that need it skip and say why, so this never fails the caller.
set -uo pipefail
CHROMIUM=/usr/bin/chromium
if [[ -x $CHROMIUM ]]; then
  echo "[browser] present: $($CHROMIUM --version 2>/dev/null || echo $CHROMIUM)"
  exit 0
fi
SUDO=()
[[ $(id -u) == 0 ]] || SUDO=(sudo -n)
install() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }
if install >/tmp/karpenter-ts-chromium.log 2>&1 ||
  { "${SUDO[@]}" apt-get update >>/tmp/karpenter-ts-chromium.log 2>&1 && install >>/tmp/karpenter-ts-chromium.log 2>&1; }; then
  echo "[browser] installed: $($CHROMIUM --version 2>/dev/null)"
else
  echo "[browser] could not install Debian's chromium (see /tmp/karpenter-ts-chromium.log); the browser tests skip"
fi
exit 0
