#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a runnable Cascade: system packages, npm
# dependencies, mediasoup-worker (built offline, cached outside the checkout), the TypeScript
# build and the browser bundle. Every step is skipped when already done, so a second run takes
# seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[setup] %s\n' "$*" >&2; }

# Runtime packages (the worker's build dependencies are installed by build-mediasoup-worker.sh).
APT_PACKAGES=(ffmpeg chromium nginx libnginx-mod-rtmp iproute2 ca-certificates)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Node 24 (from the npm registry, cached outside the checkout) when the system Node is older;
# everything below, npm included, runs on it.
source scripts/node-runtime.sh
log "node $(node --version) from $CASCADE_NODE_DIR"

# mediasoup's own postinstall would try to download or build the worker (GitHub, PyPI: both
# unreachable); naming the binary makes it skip that. We build it ourselves below.
MEDIASOUP_VERSION="$(node -p 'require("./package-lock.json").packages["node_modules/mediasoup"].version')"
WORKER_BIN="${CASCADE_CACHE_DIR:-$HOME/.cache/cascade}/mediasoup-worker/$MEDIASOUP_VERSION/mediasoup-worker"
# The runtime is part of the key: native addons are built for one Node ABI.
lock_hash="$(cat package-lock.json <(node --version) | sha256sum | cut -d' ' -f1)"
if [[ ! -f node_modules/.cascade-lock-hash || "$(cat node_modules/.cascade-lock-hash)" != "$lock_hash" ]]; then
  log "installing npm dependencies"
  # npm 11 leaves other platforms' optional packages (jest's unrs-resolver bindings) out of the
  # lock file and then refuses `npm ci` as "out of sync"; `npm install` honours the same lock.
  MEDIASOUP_WORKER_BIN="$WORKER_BIN" npm ci --no-fund --no-audit 2>/dev/null ||
    MEDIASOUP_WORKER_BIN="$WORKER_BIN" npm install --no-fund --no-audit
  echo "$lock_hash" > node_modules/.cascade-lock-hash
fi
# dist/cli/cascade.js re-runs itself on this runtime when started by an older system Node.
echo "$CASCADE_NODE_DIR/bin/node" > node_modules/.cascade-node

WORKER_BIN="$(bash scripts/build-mediasoup-worker.sh | tail -n1)"
log "mediasoup-worker: $WORKER_BIN"

log "building TypeScript and the browser client"
npm run --silent build
log "done. Start with: npm start   (then open http://localhost:7880/)"
