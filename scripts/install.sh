#!/usr/bin/env bash
# Sets up a fresh machine: Debian's Chromium for the browser tests (when missing and apt is
# usable), then the npm packages exactly as locked. Electron's binary and libtensorflow come from
# hosts outside the npm registry, so they are skipped here; the app falls back to tfjs wasm.
set -euo pipefail
cd "$(dirname "$0")/.."

have_browser() {
  for b in "${CHROME_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
    [ -n "$b" ] && [ -x "$b" ] && return 0
  done
  return 1
}

if ! have_browser; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core
  else
    echo "install.sh: no Chromium/Chrome found and no apt-get; install Chromium and set CHROME_PATH" >&2
    exit 1
  fi
fi

export ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}"
npm ci --no-audit --no-fund
