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

# mediasoup's own postinstall would try to download or build the worker (GitHub, PyPI: both
# unreachable); naming the binary makes it skip that. We build it ourselves below.
WORKER_BIN="${CASCADE_CACHE_DIR:-$HOME/.cache/cascade}/mediasoup-worker/3.12.16/mediasoup-worker"
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f node_modules/.cascade-lock-hash || "$(cat node_modules/.cascade-lock-hash)" != "$lock_hash" ]]; then
  log "installing npm dependencies"
  # npm 11 leaves other platforms' optional packages (jest's unrs-resolver bindings) out of the
  # lock file and then refuses `npm ci` as "out of sync"; `npm install` honours the same lock.
  MEDIASOUP_WORKER_BIN="$WORKER_BIN" npm_config_nodedir=/usr npm ci --no-fund --no-audit 2>/dev/null ||
    MEDIASOUP_WORKER_BIN="$WORKER_BIN" npm_config_nodedir=/usr npm install --no-fund --no-audit
  echo "$lock_hash" > node_modules/.cascade-lock-hash
fi

WORKER_BIN="$(bash scripts/build-mediasoup-worker.sh | tail -n1)"
log "mediasoup-worker: $WORKER_BIN"

log "building TypeScript and the browser client"
npm run --silent build
log "done. Start with: npm start   (then open http://localhost:7880/)"
