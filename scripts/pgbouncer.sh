#!/usr/bin/env bash
# A throwaway PgBouncer in transaction pooling mode in front of a PostgreSQL server, for dpo's
# tests and load figures, in a folder of the caller's choosing.
#
#   scripts/pgbouncer.sh start <dir> <pg-host> <pg-port> [pool_size]   prints <dir>/env
#   scripts/pgbouncer.sh stop <dir>                                    quiet no-op when not running
#
# It listens on 127.0.0.1 only, on a free port picked at start. Every database of the server is
# reachable under its own name (`* =`), each (database, user) pair with `pool_size` server
# connections (default 4). Clients log in with SCRAM-SHA-256 as the server's superuser
# (DPO_TEST_PG_SUPERUSER / DPO_TEST_PG_PASSWORD, default scripts/pg_cluster.sh's); pgbouncer
# holds that user's SCRAM secret, read from the server, never the password itself.
set -euo pipefail
# shellcheck source=scripts/lib/server_setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/server_setup.sh"

readonly host=127.0.0.1
readonly start_attempts=3
superuser=${DPO_TEST_PG_SUPERUSER:-postgres}
password=${DPO_TEST_PG_PASSWORD:-dpo-test-secret}

usage() {
  echo "usage: $0 start <dir> <pg-host> <pg-port> [pool_size] | stop <dir>" >&2
  exit 2
}

die() {
  echo "pgbouncer.sh: $*" >&2
  exit 1
}

install_pgbouncer() {
  echo "pgbouncer.sh: installing pgbouncer with apt-get" >&2
  apt_install_quietly pgbouncer || die "apt-get install pgbouncer failed"
  # Debian's package may start its own instance (port 6432) where policy-rc.d allows it; it is
  # not ours, so stop it through the package's own service script.
  if [[ -x /etc/init.d/pgbouncer ]]; then /etc/init.d/pgbouncer stop >/dev/null 2>&1 || true; fi
}

# pgbouncer refuses to run as root: root hands it to Debian's `postgres` system user, which owns
# <dir>. The cd keeps the child out of a cwd that user may not be allowed to read. Each client
# takes a file descriptor, and a default soft limit of 1,024 is below max_client_conn.
# (runuser's PAM session resets the limit, so it is raised after it, as far as the hard limit.)
as_owner() {
  # shellcheck disable=SC2016 # expanded by the inner sh, not here
  local raise_limit='ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"'
  if [[ $EUID -eq 0 ]]; then
    (cd "$dir" && runuser -u postgres -- sh -c "$raise_limit" sh "$@")
  else
    (cd "$dir" && sh -c "$raise_limit" sh "$@")
  fi
}

# The newest installed psql, to read the superuser's SCRAM secret from the server.
find_psql() {
  local psql
  psql=$(printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
  if [[ -x "$psql" ]]; then echo "$psql"; else command -v psql || die "no psql to read the SCRAM secret"; fi
}

is_running() {
  [[ -f "$dir/pgbouncer.pid" ]] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null
}

write_auth_file() {
  local secret
  secret=$(PGPASSWORD=$password "$(find_psql)" -X -At -h "$pg_host" -p "$pg_port" -U "$superuser" \
    -d postgres -v user="$superuser" <<<"SELECT rolpassword FROM pg_authid WHERE rolname = :'user'") ||
    die "cannot read the SCRAM secret of \"$superuser\" from $pg_host:$pg_port"
  [[ "$secret" == SCRAM-SHA-256\$* ]] || die "\"$superuser\" has no SCRAM-SHA-256 password on the server"
  (umask 077 && printf '"%s" "%s"\n' "$superuser" "$secret" >"$dir/userlist.txt")
}

write_config() {
  local port=$1
  cat >"$dir/pgbouncer.ini" <<CONF
; dpo throwaway PgBouncer (scripts/pgbouncer.sh)
[databases]
* = host=$pg_host port=$pg_port

[pgbouncer]
listen_addr = $host
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
admin_users = $superuser
stats_users = $superuser
pool_mode = transaction
default_pool_size = $pool_size
min_pool_size = 0
reserve_pool_size = 0
max_db_connections = $pool_size
max_client_conn = 2000
; A waiting client gives up after this long; dpo's own --statement-timeout is usually shorter.
query_wait_timeout = 120
; JDBC and some drivers send it; harmless to accept (dpo does not).
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
log_connections = 0
log_disconnections = 0
CONF
}

start_bouncer() {
  if is_running; then
    [[ -f "$dir/env" ]] || die "pgbouncer already runs for $dir but $dir/env is missing"
    echo "pgbouncer.sh: already running" >&2
    cat "$dir/env"
    return 0
  fi
  command -v pgbouncer >/dev/null || [[ -x /usr/sbin/pgbouncer ]] || install_pgbouncer
  local bin
  bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  mkdir -p "$dir"
  if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' system user to run pgbouncer"
    chown postgres: "$dir"
  fi
  write_auth_file
  touch "$dir/pgbouncer.log"
  if [[ $EUID -eq 0 ]]; then chown postgres: "$dir/userlist.txt" "$dir/pgbouncer.log"; fi

  local attempt port="" started=false waited
  for ((attempt = 1; attempt <= start_attempts; attempt++)); do
    port=$(free_port)
    write_config "$port"
    rm -f "$dir/pgbouncer.pid"
    if as_owner "$bin" -d -q "$dir/pgbouncer.ini" >>"$dir/start.log" 2>&1; then
      # -d returns once the daemon forked; wait until it listens (or died: port taken).
      for ((waited = 0; waited < 50; waited++)); do
        if (: </dev/tcp/$host/"$port") 2>/dev/null; then
          started=true
          break
        fi
        is_running || [[ $waited -lt 10 ]] || break
        sleep 0.1
      done
    fi
    [[ $started == true ]] && break
    if is_running; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; fi
    echo "pgbouncer.sh: start on port $port failed (attempt $attempt of $start_attempts)" >&2
  done
  if [[ $started != true ]]; then
    tail -n 20 "$dir/start.log" "$dir/pgbouncer.log" >&2 || true
    die "could not start pgbouncer; see $dir/pgbouncer.log"
  fi

  cat >"$dir/env" <<ENV
DPO_TEST_PGBOUNCER_HOST=$host
DPO_TEST_PGBOUNCER_PORT=$port
DPO_TEST_PGBOUNCER_POOL_SIZE=$pool_size
ENV
  cat "$dir/env"
}

stop_bouncer() {
  is_running || return 0
  local pid waited
  pid=$(cat "$dir/pgbouncer.pid")
  # SIGTERM: immediate shutdown (SIGINT would wait for clients to finish).
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((waited = 0; waited < 100; waited++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "pgbouncer (pid $pid) did not stop"
}

[[ $# -ge 2 ]] || usage
command=$1
dir=$2
[[ "$dir" == /* ]] || dir="$PWD/$dir"

case "$command" in
start)
  [[ $# -ge 4 && $# -le 5 ]] || usage
  pg_host=$3
  pg_port=$4
  pool_size=${5:-4}
  [[ "$pool_size" =~ ^[1-9][0-9]*$ ]] || die "pool_size must be a positive integer, not \"$pool_size\""
  start_bouncer
  ;;
stop)
  # The server's host and port may follow, as for start; they are not needed to stop.
  stop_bouncer
  ;;
*)
  usage
  ;;
esac
