#!/usr/bin/env bash
# Build mediasoup-worker OFFLINE on Debian 12 and cache it outside the checkout.
#
# Why this exists: `npm install mediasoup` cannot produce a worker on our machines (the prebuilt
# download and the fallback build both need GitHub / PyPI). The recipes are the verified ones
# from /work/shared/mediasoup-worker.md, one per mediasoup series:
#   3.12.x  scripts/lib/mediasoup-worker-3.12.sh  (Debian bookworm system packages)
#   3.32.x  scripts/lib/mediasoup-worker-3.32.sh  (bookworm + trixie sources, meson from
#           bookworm-backports, worker patches in scripts/mediasoup-patches/3.32.*/)
# Both link libsrtp 2.5.0 built from Debian's source with the OpenSSL crypto backend, statically
# (Debian's libsrtp2-1 uses NSS, which costs roughly 2x CPU per SRTP packet).
#
# Usage:   scripts/build-mediasoup-worker.sh [VERSION]      (progress on stderr)
#          export MEDIASOUP_WORKER_BIN="$(scripts/build-mediasoup-worker.sh)"
#          scripts/build-mediasoup-worker.sh 3.32.2          (e.g. a second worker for benchmarks)
# VERSION defaults to the mediasoup in node_modules, else $DEFAULT_MEDIASOUP_VERSION.
# The absolute path of the binary is the only thing written to stdout (last line).
# If a good binary is already cached, this is a no-op that returns in well under a second.
#
# Cache layout (${CASCADE_CACHE_DIR:-~/.cache/cascade}/mediasoup-worker/):
#   <version>/mediasoup-worker, <version>/build-info.txt   the result
#   deps/<name>-<version>/                                  private libraries and tools, reused
#   apt/                                                    private apt config + index (downloads
#                                                           only; /etc/apt is never touched)
#
# Environment:
#   CASCADE_CACHE_DIR   cache root (default: ~/.cache/cascade)
#   CASCADE_BUILD_JOBS  ninja parallelism (default: 2; ~500 MB peak memory with 2)
#   CASCADE_KEEP_BUILD  set to 1 to keep the scratch build dir after a successful build
set -euo pipefail

DEFAULT_MEDIASOUP_VERSION=3.12.16

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${CASCADE_BUILD_JOBS:-2}"
CACHE_ROOT="${CASCADE_CACHE_DIR:-$HOME/.cache/cascade}/mediasoup-worker"

LIB_DIR="$ROOT_DIR/scripts/lib"
if [[ ! -f "$LIB_DIR/mediasoup-worker-common.sh" ]]; then
  echo "[build-mediasoup-worker] ERROR: $LIB_DIR/mediasoup-worker-*.sh missing: this script" \
    "needs scripts/lib/ and scripts/mediasoup-patches/ beside it" >&2
  exit 1
fi
# shellcheck source=lib/mediasoup-worker-common.sh
source "$LIB_DIR/mediasoup-worker-common.sh"

# ---------------------------------------------------------------------------------------------
# Version and cache location
# ---------------------------------------------------------------------------------------------
case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
esac
(($# <= 1)) || die "usage: $0 [MEDIASOUP_VERSION]"
if [[ -n "${1:-}" ]]; then
  MS_VERSION="$1"
elif [[ -f "$ROOT_DIR/node_modules/mediasoup/package.json" ]]; then
  # The cache is keyed by the mediasoup version actually installed, so bumping mediasoup
  # triggers exactly one rebuild; before `npm install` we fall back to the pinned version.
  MS_VERSION="$(read_pkg_version "$ROOT_DIR/node_modules/mediasoup/package.json")"
  [[ -n "$MS_VERSION" ]] || die "cannot read version from node_modules/mediasoup/package.json"
else
  MS_VERSION="$DEFAULT_MEDIASOUP_VERSION"
fi
[[ "$MS_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "not a mediasoup version: $MS_VERSION"
case "$MS_VERSION" in
  3.12.*) RECIPE=3.12 ;;
  3.32.*) RECIPE=3.32 ;;
  *) die "no recipe for mediasoup $MS_VERSION (known: 3.12.x, 3.32.x; see $LIB_DIR)" ;;
esac

DEST_DIR="$CACHE_ROOT/$MS_VERSION"
DEST_BIN="$DEST_DIR/mediasoup-worker"

if binary_ok "$DEST_BIN"; then
  log "no-op: cached worker for mediasoup $MS_VERSION is up to date"
  echo "$DEST_BIN"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Lock: concurrent runs (e.g. two terminals, CI steps) wait for each other instead of building
# twice into the same place; the second one then finds the cached binary. One lock for all
# versions: they share deps/ and apt/.
# ---------------------------------------------------------------------------------------------
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
  log "another build is running; waiting for $CACHE_ROOT/.build.lock ..."
  flock 9
fi
if binary_ok "$DEST_BIN"; then
  log "no-op: worker was built by a concurrent run"
  echo "$DEST_BIN"
  exit 0
fi

# Scratch dirs left by failed runs are not in use (we hold the lock): remove them.
rm -rf "$CACHE_ROOT"/.build-*
SCRATCH="$(mktemp -d "$CACHE_ROOT/.build-$MS_VERSION.XXXXXX")"
BUILD_OK=0
cleanup() {
  if [[ "$BUILD_OK" == 1 && "${CASCADE_KEEP_BUILD:-0}" != 1 ]]; then
    rm -rf "$SCRATCH"
  else
    log "scratch build dir kept: $SCRATCH"
  fi
}
trap cleanup EXIT

START_TS=$SECONDS
log "building mediasoup-worker $MS_VERSION (recipe $RECIPE) in $SCRATCH (this takes a few minutes)"

# shellcheck source=/dev/null
source "$LIB_DIR/mediasoup-worker-$RECIPE.sh"
"recipe_${RECIPE//./_}"          # sets BUILT (the binary in the build tree) and BUILD_INFO

install_worker "$BUILT"
binary_ok "$DEST_BIN" || die "installed binary failed the final check: $DEST_BIN"

BUILD_OK=1
log "done in $((SECONDS - START_TS)) s: $DEST_BIN"
echo "$DEST_BIN"
