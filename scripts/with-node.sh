#!/usr/bin/env bash
# Runs a command on Cascade's Node runtime (scripts/node-runtime.sh):  scripts/with-node.sh node …
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-runtime.sh"
exec "$@"
