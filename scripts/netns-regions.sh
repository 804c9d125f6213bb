#!/usr/bin/env bash
# Emulates three regions on one machine (root only): each region gets a network namespace, all
# joined through a routing namespace that adds the latency between regions IN USER SPACE (this
# kernel has no netem; see scripts/netns-delay.py and docs/operations-regions.md).
#
#   scripts/netns-regions.sh up        create namespaces, links, delay, service forwarders
#   scripts/netns-regions.sh down      stop everything inside them and delete them
#   scripts/netns-regions.sh status    what exists and runs
#   scripts/netns-regions.sh ping      RTT between every pair of regions (should match the table)
#
# Layout (nothing is addressed outside these namespaces; no namespace has a default route):
#
#   cascade-eu  veth-eu 10.200.1.2/30 ──┐
#   cascade-us  veth-us 10.200.2.2/30 ──┼── cascade-rt: rt-eu 10.200.1.1, rt-us 10.200.2.1,
#   cascade-ap  veth-ap 10.200.3.2/30 ──┘               rt-ap 10.200.3.1, TUN dly0
#
# In cascade-rt, policy routing sends every packet arriving from a region link into the TUN
# device dly0; netns-delay.py holds it for half the pair's RTT and writes it back, and the kernel
# forwards it on (packets coming out of dly0 use the main table). RTTs: eu-us 40 ms, us-ap 80 ms,
# eu-ap 120 ms (override with RTT_EU_US, RTT_US_AP, RTT_EU_AP).
#
# Each region namespace also gets 127.0.0.1:4222 (NATS), :6379 (Redis) and :5432 (PostgreSQL),
# forwarded through Unix sockets under $STATE_DIR to the same services on the host's loopback,
# so a node inside uses the same URLs as on the host. CONTROL_DELAY_MS (default 0) adds a one-way
# delay to that control traffic, to model a NATS/Redis cluster that is far away.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/scripts/netns-delay.py"
PYTHON="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"
STATE_DIR="${CASCADE_NETNS_STATE:-/run/cascade-netns}"
REGIONS=(eu us ap)
RT=cascade-rt
RTT_EU_US="${RTT_EU_US:-40}"
RTT_US_AP="${RTT_US_AP:-80}"
RTT_EU_AP="${RTT_EU_AP:-120}"
CONTROL_DELAY_MS="${CONTROL_DELAY_MS:-0}"
SERVICES=(nats:4222 redis:6379 postgres:5432)
TABLE=100

log() { printf '[netns-regions] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Region index (1-based) -> subnet 10.200.<i>.0/30, region side .2, router side .1.
region_index() { local i; for i in "${!REGIONS[@]}"; do [[ ${REGIONS[$i]} == "$1" ]] && { echo $((i + 1)); return; }; done; return 1; }
ns_of() { echo "cascade-$1"; }
node_ip() { echo "10.200.$(region_index "$1").2"; }

require_root() { [[ $(id -u) -eq 0 ]] || die "needs root (ip netns, /dev/net/tun)"; }
ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

# A pid file's process, if it is alive and still our helper (never signal a reused pid).
helper_pid() {
  local file="$1" pid
  [[ -f $file ]] || return 1
  pid="$(cat "$file")"
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "netns-delay.py" || return 1
  echo "$pid"
}

start_helper() {
  local name="$1" ns="$2"; shift 2
  local pid_file="$STATE_DIR/$name.pid" log_file="$STATE_DIR/$name.log"
  rm -f "$pid_file"
  if [[ -n $ns ]]; then
    nohup ip netns exec "$ns" "$PYTHON" "$HELPER" "$@" --pid-file "$pid_file" >"$log_file" 2>&1 &
  else
    nohup "$PYTHON" "$HELPER" "$@" --pid-file "$pid_file" >"$log_file" 2>&1 &
  fi
  for _ in $(seq 1 50); do helper_pid "$pid_file" >/dev/null && return 0; sleep 0.1; done
  die "$name did not start; see $log_file"
}

stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

up() {
  require_root
  [[ -x $PYTHON ]] || die "python3 not found"
  [[ -c /dev/net/tun ]] || die "/dev/net/tun missing (modprobe tun)"
  for ns in "$RT" $(for r in "${REGIONS[@]}"; do ns_of "$r"; done); do
    ns_exists "$ns" && die "namespace $ns exists already: run '$0 down' first"
  done
  mkdir -p "$STATE_DIR"
  # Any failure below (set -e, die) leaves nothing half-built behind.
  trap '[[ ${UP_DONE:-0} == 1 ]] || { log "setup failed: removing what was created"; down; }' EXIT

  log "routing namespace $RT"
  ip netns add "$RT"
  in_ns "$RT" ip link set lo up
  # Forwarding inside this namespace only (the host's sysctls are untouched). Packets re-enter
  # from dly0 with a source that routes back via a veth: reverse-path filtering must be off.
  in_ns "$RT" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0

  local rtt_args=(--rtt "eu:us=$RTT_EU_US" --rtt "us:ap=$RTT_US_AP" --rtt "eu:ap=$RTT_EU_AP")
  local region_args=()
  for region in "${REGIONS[@]}"; do
    local i ns
    i="$(region_index "$region")"
    ns="$(ns_of "$region")"
    log "region $region: namespace $ns, 10.200.$i.2/30"
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    # Create the pair inside the routing namespace, then move one end: nothing ever appears in
    # the host's namespace.
    in_ns "$RT" ip link add "rt-$region" type veth peer name "veth-$region"
    in_ns "$RT" ip link set "veth-$region" netns "$ns"
    in_ns "$RT" ip addr add "10.200.$i.1/30" dev "rt-$region"
    in_ns "$RT" ip link set "rt-$region" up
    in_ns "$ns" ip addr add "10.200.$i.2/30" dev "veth-$region"
    in_ns "$ns" ip link set "veth-$region" up
    # The other regions only; deliberately no default route.
    in_ns "$ns" ip route add 10.200.0.0/16 via "10.200.$i.1"
    region_args+=(--region "$region=10.200.$i.0/30")
  done

  log "delay (RTT eu-us ${RTT_EU_US} ms, us-ap ${RTT_US_AP} ms, eu-ap ${RTT_EU_AP} ms)"
  start_helper tun "$RT" tun --dev dly0 "${region_args[@]}" "${rtt_args[@]}"
  # It stands in for a network: it must not be starved by the nodes it carries (a descheduled
  # helper shows up as jitter), and a burst must queue rather than drop (default queue: 500).
  renice -n -10 -p "$(helper_pid "$STATE_DIR/tun.pid")" >/dev/null || true
  in_ns "$RT" ip link set dly0 txqueuelen 10000 up
  in_ns "$RT" sysctl -qw net.ipv4.conf.dly0.rp_filter=0
  in_ns "$RT" ip route add 10.200.0.0/16 dev dly0 table "$TABLE"
  for region in "${REGIONS[@]}"; do
    in_ns "$RT" ip rule add iif "rt-$region" lookup "$TABLE" priority 100
  done

  log "service forwarders (NATS, Redis, PostgreSQL) via $STATE_DIR/*.sock"
  local host_maps=() ns_maps=()
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" port="${entry##*:}"
    host_maps+=(--map "unix:$STATE_DIR/$name.sock=tcp:127.0.0.1:$port")
    ns_maps+=(--map "tcp:127.0.0.1:$port=unix:$STATE_DIR/$name.sock")
  done
  start_helper services-host "" forward "${host_maps[@]}"
  for region in "${REGIONS[@]}"; do
    start_helper "services-$region" "$(ns_of "$region")" forward "${ns_maps[@]}" --delay-ms "$CONTROL_DELAY_MS"
  done
  UP_DONE=1
  log "up. Run a command in a region: ip netns exec cascade-eu <cmd>; nodes: scripts/cluster-local.sh start --netns"
}

down() {
  require_root
  # Cascade nodes first (they were started by cluster-local.sh with pid files).
  if [[ -d "$ROOT/.cascade/cluster" ]] && ls "$ROOT"/.cascade/cluster/*.pid >/dev/null 2>&1; then
    bash "$ROOT/scripts/cluster-local.sh" stop || true
  fi
  for file in "$STATE_DIR"/*.pid; do
    [[ -e $file ]] || continue
    local pid
    pid="$(helper_pid "$file")" && stop_pid "$pid"
    rm -f "$file"
  done
  # `ip netns del` does not kill what runs inside: anything still there was started inside the
  # namespaces this script created; stop it by pid before deleting them.
  for ns in $(for r in "${REGIONS[@]}"; do ns_of "$r"; done) "$RT"; do
    ns_exists "$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      log "stopping pid $pid still running in $ns: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80)"
      stop_pid "$pid"
    done
    ip netns del "$ns"
    log "deleted $ns"
  done
  rm -f "$STATE_DIR"/*.sock
  rmdir "$STATE_DIR" 2>/dev/null || true
}

status() {
  local ok=0
  for ns in "$RT" $(for r in "${REGIONS[@]}"; do ns_of "$r"; done); do
    if ns_exists "$ns"; then
      printf '%-11s %s\n' "$ns" "$(in_ns "$ns" ip -br -4 addr show | awk '$1 != "lo" {printf "%s=%s ", $1, $3}')"
    else
      printf '%-11s absent\n' "$ns"
      ok=1
    fi
  done
  for file in "$STATE_DIR"/*.pid; do
    [[ -e $file ]] || continue
    local name pid
    name="$(basename "$file" .pid)"
    if pid="$(helper_pid "$file")"; then printf 'helper %-14s pid %s\n' "$name" "$pid"; else printf 'helper %-14s DEAD (see %s)\n' "$name" "${file%.pid}.log"; ok=1; fi
  done
  return $ok
}

ping_all() {
  require_root
  command -v ping >/dev/null || die "ping missing (apt-get install iputils-ping)"
  local a b
  for a in "${REGIONS[@]}"; do
    for b in "${REGIONS[@]}"; do
      [[ $a < $b ]] || continue
      printf '%s -> %s: ' "$a" "$b"
      in_ns "$(ns_of "$a")" ping -c 5 -i 0.2 -q "$(node_ip "$b")" | awk -F'[/ ]+' '/^rtt|^round-trip/ {print "rtt min/avg/max " $7 "/" $8 "/" $9 " ms"}'
    done
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  ping) ping_all ;;
  *) echo "usage: $0 up|down|status|ping" >&2; exit 2 ;;
esac
