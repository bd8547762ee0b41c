#!/usr/bin/env bash
# A small replicated PostgreSQL cluster for the tests that need more than the machine's server:
# a primary with WAL archiving on (127.0.0.1:55432) and a streaming standby (127.0.0.1:55433).
# The database checks of `reliability.availability.db-replication` and `reliability.backup.automated`
# are tested against it: they can only pass on a server that really replicates and archives.
# The primary allows logical decoding (`wal_level = logical`, so a test can show that a logical
# slot is not a replica) and serves TLS with a certificate for 127.0.0.1 and localhost signed by
# its own CA ($DIR/tls/ca.crt), so `sslmode=verify-full` can be tested.
#
#   scripts/pg-cluster.sh start   # idempotent: starts what is stopped, builds what is missing
#   scripts/pg-cluster.sh stop
#
# Uses the PostgreSQL server binaries of Debian's package (scripts/ensure-postgres.sh installs it).
# Runs the servers as the `postgres` user when started by root (initdb refuses root).
set -euo pipefail

DIR=${READINESS_PG_CLUSTER_DIR:-/tmp/readiness-pg-cluster}
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
# The servers run as `postgres`, which may not be allowed into the caller's directory (a
# checkout under /root): PostgreSQL's tools fail there, so work from /.
cd /
PRIMARY_PORT=55432
STANDBY_PORT=55433
# Bumped whenever build_primary changes: a cluster built by an older version is rebuilt.
FORMAT=2

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg-cluster: no PostgreSQL server binaries under /usr/lib/postgresql" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$1"; }

start_server() { # data-dir
  # fd 9 holds the start lock: the server must not inherit it.
  as_owner "$bin/pg_ctl" -D "$1" -l "$1/server.log" -w -t 30 start >/dev/null 9>&-
}

# Removes a postmaster.pid left by a server that is no longer running (a crash, a reboot).
clear_stale_pid() { # data-dir
  local pid
  pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null) || return 0
  kill -0 "$pid" 2>/dev/null || rm -f "$1/postmaster.pid"
}

stop() {
  for node in standby primary; do
    [ -f "$DIR/$node/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$DIR/$node" -m fast -w stop >/dev/null || true
  done
}

# A CA and a server certificate for 127.0.0.1 and localhost signed by it, in $DIR/tls.
build_tls() {
  local tls="$DIR/tls"
  rm -rf "$tls"
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=readiness test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 3650 \
    -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
  chmod 644 "$tls/ca.crt" "$tls/server.crt"
  chmod 600 "$tls/server.key" "$tls/ca.key"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$tls"
  return 0
}

build_primary() {
  build_tls
  as_owner "$bin/initdb" -D "$DIR/primary" -U postgres --auth=trust -N >/dev/null
  cat >>"$DIR/primary/postgresql.conf" <<CONF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
fsync = off
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
archive_mode = on
archive_command = 'test ! -f $DIR/archive/%f && cp %p $DIR/archive/%f'
ssl = on
ssl_cert_file = '$DIR/tls/server.crt'
ssl_key_file = '$DIR/tls/server.key'
CONF
  echo "host replication all 127.0.0.1/32 trust" >>"$DIR/primary/pg_hba.conf"
  as_owner sh -c "echo $FORMAT >'$DIR/primary/readiness-format'"
}

build_standby() {
  as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR/standby" -R -X stream -c fast
  echo "port = $STANDBY_PORT" >>"$DIR/standby/postgresql.auto.conf"
}

start() {
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
  as_owner mkdir -p "$DIR/archive"
  # One start at a time: test binaries may call this concurrently.
  exec 9>"$DIR/.lock"
  flock 9
  if [ -f "$DIR/primary/PG_VERSION" ] && [ "$(cat "$DIR/primary/readiness-format" 2>/dev/null)" != "$FORMAT" ]; then
    echo "pg-cluster: rebuilding a cluster made by an older version of this script" >&2
    stop
    rm -rf "$DIR/primary" "$DIR/standby"
  fi
  if ! ready "$PRIMARY_PORT"; then
    if [ ! -f "$DIR/primary/PG_VERSION" ]; then
      # A new primary numbers its WAL from the start again: old archives would collide.
      rm -rf "$DIR/primary" "$DIR/standby" "$DIR/archive"
      as_owner mkdir -p "$DIR/archive"
      build_primary
    fi
    clear_stale_pid "$DIR/primary"
    start_server "$DIR/primary"
  fi
  if ! ready "$STANDBY_PORT"; then
    if [ ! -f "$DIR/standby/PG_VERSION" ]; then
      rm -rf "$DIR/standby"
      build_standby
    fi
    clear_stale_pid "$DIR/standby"
    start_server "$DIR/standby"
  fi
  # Wait until the standby streams, so tests see a settled cluster.
  for _ in $(seq 1 50); do
    streaming=$(as_owner "$bin/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -Atqc \
      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND replay_lsn IS NOT NULL" postgres 2>/dev/null || echo 0)
    if [ "$streaming" -ge 1 ]; then
      # A test cut short may have left replay paused on the standby.
      as_owner "$bin/psql" -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -Atqc "SELECT pg_wal_replay_resume()" postgres >/dev/null
      echo "pg-cluster: primary 127.0.0.1:$PRIMARY_PORT, standby 127.0.0.1:$STANDBY_PORT"
      exit 0
    fi
    sleep 0.2
  done
  echo "pg-cluster: the standby did not start streaming (see $DIR/*/server.log)" >&2
  exit 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
