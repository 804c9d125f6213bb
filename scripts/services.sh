#!/usr/bin/env bash
# Makes sure PostgreSQL (5432), Redis (6379) and NATS with JetStream (4222) run on 127.0.0.1 for
# the integration tests and the local cluster: starts them, installing from Debian when missing.
set -euo pipefail
log() { printf '[services] %s\n' "$*" >&2; }
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
port_open() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
}
wait_port() {
  for _ in $(seq 1 50); do port_open "$1" && return 0; sleep 0.2; done
  log "port $1 did not open"; return 1
}

if ! port_open 5432; then
  apt_install postgresql
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  log "starting PostgreSQL $version"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port 5432
  # Trust auth on loopback and a `test` database, as on CI machines.
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  $SUDO -u postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 || $SUDO -u postgres createdb test
fi

if ! port_open 6379; then
  apt_install redis-server
  log "starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/cascade.log
  wait_port 6379
fi

if ! port_open 4222; then
  apt_install nats-server
  log "starting NATS (JetStream)"
  $SUDO mkdir -p /var/lib/nats-server
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222
fi
log "PostgreSQL, Redis and NATS are up"
