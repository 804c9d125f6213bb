#!/usr/bin/env bash
# A 3-node Cascade cluster on this machine, over the real NATS (127.0.0.1:4222) and Redis
# (127.0.0.1:6379), from the built CLI (node dist/cli/cascade.js server).
#
#   scripts/cluster-local.sh start [--netns] [--dev] [node...]   start all nodes (or the named)
#   scripts/cluster-local.sh stop [node...]                      SIGTERM, then SIGKILL after 15 s
#   scripts/cluster-local.sh kill node2                          SIGKILL (failure tests)
#   scripts/cluster-local.sh status                              pid, URL, reachable or not
#   scripts/cluster-local.sh env node2                           the environment a node gets
#
#   node   region  http   WebRtcServer (UDP+TCP)   pipe/plain ports
#   node1  eu      7881   44400..                  40000-40999
#   node2  us      7882   44410..                  41000-41999
#   node3  ap      7883   44420..                  42000-42999
#
# Logs, pid files and a per-node state file live in .cascade/cluster/. --netns runs each node
# inside its region's namespace from scripts/netns-regions.sh (run `up` first, as root): node
# addresses 10.200.{1,2,3}.2, latency between them, NATS/Redis/PostgreSQL at the same 127.0.0.1
# URLs through forwarders. --dev: open auth (no token). Any CASCADE_* variable exported by the
# caller reaches every node (e.g. CASCADE_LOG_LEVEL=debug); the per-node ones below win.
#
# Environment: CLUSTER_WORKERS (mediasoup workers per node, default 1), CLUSTER_NATS_URL,
# CLUSTER_REDIS_URL, CLUSTER_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
# CLUSTER_DATABASE_SCHEMA (default cascade_cluster), CLUSTER_DIR (default .cascade/cluster),
# CLUSTER_HTTP_BASE / CLUSTER_RTC_BASE / CLUSTER_PIPE_BASE (port bases, see below).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DIR="${CLUSTER_DIR:-$ROOT/.cascade/cluster}"
CLI="$ROOT/dist/cli/cascade.js"
WORKERS="${CLUSTER_WORKERS:-1}"
NATS_URL="${CLUSTER_NATS_URL:-nats://127.0.0.1:4222}"
REDIS_URL="${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379}"
DATABASE_URL="${CLUSTER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
DATABASE_SCHEMA="${CLUSTER_DATABASE_SCHEMA:-cascade_cluster}"
# Port bases (a second cluster, or a test picking free ranges): node i gets HTTP_BASE+i,
# RTC_BASE+10(i-1) and PIPE_BASE+1000(i-1) .. +999.
HTTP_BASE="${CLUSTER_HTTP_BASE:-7880}"
RTC_BASE="${CLUSTER_RTC_BASE:-44400}"
PIPE_BASE="${CLUSTER_PIPE_BASE:-40000}"
# Round-trip ms, the same numbers netns-regions.sh emulates.
DISTANCES='{"eu":{"us":40,"ap":120},"us":{"ap":80}}'
NODES=(node1 node2 node3)

log() { printf '[cluster-local] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# node -> index 1..3, region, ports
index_of() { case "$1" in node1) echo 1 ;; node2) echo 2 ;; node3) echo 3 ;; *) die "unknown node '$1' (node1, node2, node3)" ;; esac; }
region_of() { local r=(eu us ap); echo "${r[$(($(index_of "$1") - 1))]}"; }
http_port() { echo $((HTTP_BASE + $(index_of "$1"))); }
rtc_port() { echo $((RTC_BASE + 10 * ($(index_of "$1") - 1))); }
min_port() { echo $((PIPE_BASE + 1000 * ($(index_of "$1") - 1))); }
max_port() { echo $(($(min_port "$1") + 999)); }

# Mode of a running node (what `start` recorded): "netns" or "loopback".
mode_of() { cat "$DIR/$1.mode" 2>/dev/null || echo loopback; }
ip_of() { if [[ $1 == netns ]]; then echo "10.200.$(index_of "$2").2"; else echo 127.0.0.1; fi; }

node_env() {
  local node="$1" mode="$2" ip
  ip="$(ip_of "$mode" "$node")"
  # Inside a namespace the node binds every address it has there (its veth and 127.0.0.1 for
  # local clients); on loopback only 127.0.0.1: nothing here is reachable from outside.
  local host=127.0.0.1
  [[ $mode == netns ]] && host=0.0.0.0
  cat <<EOF
CASCADE_NODE_ID=$node
CASCADE_NODE_REGION=$(region_of "$node")
CASCADE_NODE_ROLES=gateway,media,egress
CASCADE_HTTP_HOST=$host
CASCADE_HTTP_PORT=$(http_port "$node")
CASCADE_RTC_LISTEN_IP=$ip
CASCADE_RTC_ANNOUNCED_IP=$ip
CASCADE_RTC_PORT=$(rtc_port "$node")
CASCADE_RTC_MIN_PORT=$(min_port "$node")
CASCADE_RTC_MAX_PORT=$(max_port "$node")
CASCADE_MEDIASOUP_WORKERS=$WORKERS
CASCADE_CLUSTER_TRANSPORTER=$NATS_URL
CASCADE_CLUSTER_REDIS_URL=$REDIS_URL
CASCADE_CLUSTER_REGION_DISTANCES=$DISTANCES
CASCADE_DATABASE_URL=$DATABASE_URL
CASCADE_DATABASE_SCHEMA=$DATABASE_SCHEMA
CASCADE_EGRESS_DIRECTORY=$DIR/recordings/$node
EOF
}

pid_of() {
  local file="$DIR/$1.pid" pid
  [[ -f $file ]] || return 1
  pid="$(cat "$file")"
  # Only our node: a recycled pid running something else is not ours to signal.
  [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "cascade.js server" || return 1
  echo "$pid"
}

reachable() {
  local node="$1" mode ip
  mode="$(mode_of "$node")"
  ip="$(ip_of "$mode" "$node")"
  if [[ $mode == netns ]]; then
    ip netns exec "cascade-$(region_of "$node")" bash -c "exec 3<>/dev/tcp/$ip/$(http_port "$node")" 2>/dev/null
  else
    bash -c "exec 3<>/dev/tcp/$ip/$(http_port "$node")" 2>/dev/null
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_node() {
  local node="$1" mode="$2" dev="$3"
  if pid="$(pid_of "$node")"; then log "$node already runs (pid $pid)"; return 0; fi
  mkdir -p "$DIR/recordings/$node"
  local env_args=()
  while IFS= read -r line; do env_args+=("$line"); done < <(node_env "$node" "$mode")
  local cmd=(env "${env_args[@]}" node "$CLI" server)
  [[ $dev == 1 ]] && cmd+=(--dev)
  if [[ $mode == netns ]]; then
    local ns="cascade-$(region_of "$node")"
    ip netns list | awk '{print $1}' | grep -qx "$ns" || die "namespace $ns missing: run 'sudo scripts/netns-regions.sh up' first"
    cmd=(ip netns exec "$ns" "${cmd[@]}")
  fi
  echo "$mode" >"$DIR/$node.mode"
  printf '\n===== %s start %s (%s) =====\n' "$(date -Is)" "$node" "$mode" >>"$DIR/$node.log"
  # exec chain (nohup -> ip netns exec -> env -> node) keeps one pid: $! is the node itself.
  nohup "${cmd[@]}" >>"$DIR/$node.log" 2>&1 &
  echo $! >"$DIR/$node.pid"
  log "$node ($(region_of "$node")) pid $! -> http://$(ip_of "$mode" "$node"):$(http_port "$node")  log: $DIR/$node.log"
}

wait_ready() {
  local node="$1" deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    pid_of "$node" >/dev/null || { tail -n 20 "$DIR/$node.log" >&2; die "$node exited during start (log above)"; }
    reachable "$node" && return 0
    sleep 0.25
  done
  die "$node did not open its HTTP port within 60 s (see $DIR/$node.log)"
}

stop_node() {
  local node="$1" signal="${2:-TERM}" pid
  if ! pid="$(pid_of "$node")"; then rm -f "$DIR/$node.pid"; return 0; fi
  kill "-$signal" "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then log "$node (pid $pid) ignored SIG$signal: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  rm -f "$DIR/$node.pid"
  log "$node stopped (SIG$signal)"
}

cmd="${1:-}"
shift || true
mode=loopback
dev=0
selected=()
for arg in "$@"; do
  case "$arg" in
    --netns) mode=netns ;;
    --dev) dev=1 ;;
    node[123]) selected+=("$arg") ;;
    *) die "unknown argument '$arg'" ;;
  esac
done
((${#selected[@]})) || selected=("${NODES[@]}")
mkdir -p "$DIR"

case "$cmd" in
  start)
    [[ $mode == netns && $(id -u) -ne 0 ]] && die "--netns needs root (ip netns exec)"
    [[ -f $CLI ]] || { log "no $CLI: building (npm run build)"; npm run --silent build; }
    port_open 4222 || die "NATS is not listening on 127.0.0.1:4222 (scripts/services.sh starts it)"
    port_open 6379 || die "Redis is not listening on 127.0.0.1:6379 (scripts/services.sh starts it)"
    for node in "${selected[@]}"; do start_node "$node" "$mode" "$dev"; done
    for node in "${selected[@]}"; do wait_ready "$node"; done
    log "ready: ${selected[*]}"
    ;;
  stop)
    for node in "${selected[@]}"; do stop_node "$node" TERM; done
    ;;
  kill)
    (($# > 0)) || die "kill which node? (node1, node2, node3)"
    for node in "${selected[@]}"; do stop_node "$node" KILL; done
    ;;
  status)
    status=0
    for node in "${NODES[@]}"; do
      mode="$(mode_of "$node")"
      url="http://$(ip_of "$mode" "$node"):$(http_port "$node")"
      if pid="$(pid_of "$node")"; then
        if reachable "$node"; then state=up; else state="starting (HTTP not open yet)"; status=1; fi
        printf '%-6s %-3s pid %-7s %-26s %s (%s)\n' "$node" "$(region_of "$node")" "$pid" "$url" "$state" "$mode"
      else
        printf '%-6s %-3s %-11s %-26s down\n' "$node" "$(region_of "$node")" "" "$url"
        status=1
      fi
    done
    exit $status
    ;;
  env)
    for node in "${selected[@]}"; do node_env "$node" "$mode"; done
    ;;
  *)
    echo "usage: $0 start [--netns] [--dev] [node...] | stop [node...] | kill node... | status | env [--netns] node" >&2
    exit 2
    ;;
esac
