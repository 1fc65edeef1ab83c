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

# The PACS tests run a real PACS (Orthanc with its DICOMweb plugin) and dcmtk's storescu/dsrdump.
# Each test starts its own Orthanc on random ports; the Debian package's own service must not start
# (and hold 8042/4242), so a policy-rc.d refuses service starts while apt installs it.
pacs_missing=()
command -v Orthanc >/dev/null 2>&1 || [ -x /usr/sbin/Orthanc ] || pacs_missing+=(orthanc)
[ -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || pacs_missing+=(orthanc-dicomweb)
command -v storescu >/dev/null 2>&1 && command -v dsrdump >/dev/null 2>&1 || pacs_missing+=(dcmtk)
if [ ${#pacs_missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    added_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
      $SUDO chmod +x /usr/sbin/policy-rc.d
      added_policy=1
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pacs_missing[@]}"
    [ -n "$added_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d
    # Where a service manager runs, keep the packaged Orthanc service off as well.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
      $SUDO systemctl disable --now orthanc >/dev/null 2>&1 || true
    fi
  else
    echo "install.sh: ${pacs_missing[*]} missing and no apt-get; the PACS tests will be skipped with a printed reason" >&2
  fi
fi

# The DICOM conformance suite re-encodes the samples with dcmtk and GDCM and compares our decoding
# with theirs (dcmcjpeg/dcmcrle/dcmcjpls/dcmdjpeg/dcm2pnm/dcmj2pnm; gdcmconv/gdcmimg; opj_decompress).
# bench:model and its parameter-count test compare with a PyTorch peer (bench/torchPeer.py) on
# Debian's python3-torch 1.13 (OpenBLAS). It is large: about 600 MB installed with its 168
# dependencies (libtorch alone 130 MB), but CI needs the peer. Debian's python3 is the one that
# sees it (a pyenv python3 earlier on PATH does not). Without them, each skips with a printed reason.
tools_missing=()
command -v dcmcjpls >/dev/null 2>&1 && command -v dcmj2pnm >/dev/null 2>&1 || tools_missing+=(dcmtk)
command -v gdcmconv >/dev/null 2>&1 && command -v gdcmimg >/dev/null 2>&1 || tools_missing+=(libgdcm-tools)
command -v opj_decompress >/dev/null 2>&1 || tools_missing+=(libopenjp2-tools)
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || tools_missing+=(python3-torch)
# clang 16 and lld 16 (wasm-ld) rebuild resources/wasm/cxr-simd*.wasm in a test that checks the
# committed binaries are their source's build (scripts/build-wasm.sh; clang 16 for relaxed SIMD's
# standard opcodes); the app itself loads the committed binaries.
command -v clang-16 >/dev/null 2>&1 && command -v wasm-ld-16 >/dev/null 2>&1 || tools_missing+=(clang-16 lld-16)
if [ ${#tools_missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${tools_missing[@]}"
  else
    echo "install.sh: ${tools_missing[*]} missing and no apt-get; the DICOM conformance suite / bench:model's PyTorch peer skip with a printed reason" >&2
  fi
fi

export ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}"
npm ci --no-audit --no-fund
