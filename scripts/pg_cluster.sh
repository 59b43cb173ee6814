#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for dpo's tests, in a folder of the caller's choosing.
#
#   scripts/pg_cluster.sh start <dir>        init + start; prints <dir>/env (KEY=value lines)
#   scripts/pg_cluster.sh stop <dir>         fast shutdown; quiet no-op when it is not running
#   scripts/pg_cluster.sh psql <dir> [args]  psql as the superuser over TCP
#
# The cluster listens on 127.0.0.1 only, on a free port picked at start, and on a Unix socket in
# <dir>. It never touches Debian's own `main` cluster (port 5432), which a fresh
# `apt-get install postgresql` may create and start.
#
# DPO_PG_MAX_CONNECTIONS sets max_connections when the cluster is created (default 200).
#
# TLS is off unless DPO_PG_SSL_DIR names a folder holding server.crt and server.key (and, for
# client certificates, ca.crt) when the cluster is created: then the server runs with ssl = on.
set -euo pipefail
# shellcheck source=scripts/lib/server_setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/server_setup.sh"

readonly superuser=postgres
readonly password=dpo-test-secret
readonly host=127.0.0.1
readonly start_attempts=3

usage() {
  echo "usage: $0 start <dir> | stop <dir> | psql <dir> [psql args...]" >&2
  exit 2
}

die() {
  echo "pg_cluster: $*" >&2
  exit 1
}

# Newest installed server's bin dir, e.g. /usr/lib/postgresql/15/bin; empty when none is installed.
find_bin_dir() {
  local initdb
  initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  [[ -x "$initdb" ]] && dirname "$initdb"
  return 0
}

install_postgresql() {
  echo "pg_cluster: installing PostgreSQL with apt-get" >&2
  apt_install_quietly postgresql || die "apt-get install postgresql failed"
  # Debian's package creates a `main` cluster and, where policy-rc.d allows it, starts it on 5432.
  # We never use it: stop whatever the install started so no stray server outlives the tests.
  if command -v pg_lsclusters >/dev/null; then
    local version name port status _
    while read -r version name port status _; do
      if [[ "$status" == online* ]]; then
        echo "pg_cluster: stopping Debian's cluster $version/$name on port $port" >&2
        pg_ctlcluster "$version" "$name" stop >&2 || true
      fi
    done < <(pg_lsclusters --no-header 2>/dev/null)
  fi
}

# Runs a server binary as the cluster's owner. initdb and postgres refuse to run as root, so root
# hands the work to Debian's `postgres` system user. The cd keeps the child out of a cwd that
# user may not be allowed to read (e.g. a clone under /root).
as_owner() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$cluster_dir" && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Reads one KEY=value from <dir>/env.
env_value() {
  local key=$1 line
  [[ -f "$cluster_dir/env" ]] || die "no $cluster_dir/env: run '$0 start $cluster_dir' first"
  while IFS= read -r line; do
    if [[ "$line" == "$key="* ]]; then
      printf '%s\n' "${line#*=}"
      return 0
    fi
  done <"$cluster_dir/env"
  die "$key missing from $cluster_dir/env"
}

is_running() {
  [[ -f "$data_dir/PG_VERSION" ]] && as_owner "$bin_dir/pg_ctl" -D "$data_dir" status >/dev/null 2>&1
}

init_cluster() {
  if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' system user to own the cluster"
    chown postgres: "$cluster_dir"
    # Every parent folder must be searchable by postgres too, or initdb fails obscurely later.
    runuser -u postgres -- test -w "$cluster_dir" ||
      die "user postgres cannot write to $cluster_dir: choose a folder outside a private home (e.g. under /tmp)"
  fi
  # A password file keeps the secret off the command line (and out of `ps`).
  local pwfile="$cluster_dir/pwfile"
  (umask 077 && printf '%s\n' "$password" >"$pwfile")
  if [[ $EUID -eq 0 ]]; then chown postgres: "$pwfile"; fi
  # --no-sync: the cluster is thrown away, so durability of the initial files does not matter.
  if ! as_owner "$bin_dir/initdb" -D "$data_dir" -U "$superuser" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust --locale=C.UTF-8 --encoding=UTF8 \
    --no-sync --no-instructions >"$cluster_dir/initdb.log" 2>&1; then
    rm -f "$pwfile"
    cat "$cluster_dir/initdb.log" >&2
    die "initdb failed"
  fi
  rm -f "$pwfile"
  # Settings go in the config file rather than on pg_ctl's -o line, which passes through a shell
  # and would mangle a socket path with spaces or quotes. The port alone is given at start.
  local socket_dir_sql=${cluster_dir//\'/\'\'}
  cat >>"$data_dir/postgresql.conf" <<CONF

# --- dpo throwaway test cluster (scripts/pg_cluster.sh) ---
listen_addresses = '$host'
unix_socket_directories = '$socket_dir_sql'
ssl = off
max_connections = ${DPO_PG_MAX_CONNECTIONS:-200}
# Durability is pointless for a cluster deleted after the run; fsync=off makes tests faster.
fsync = off
CONF
  if [[ -n "${DPO_PG_SSL_DIR:-}" ]]; then configure_ssl "$DPO_PG_SSL_DIR"; fi
}

# Copies the certificate files into the data folder, owned by the server's user with the key at
# mode 0600 (the server refuses a key that others can read), and turns TLS on.
configure_ssl() {
  local ssl_dir=$1 file
  for file in server.crt server.key; do
    [[ -r "$ssl_dir/$file" ]] || die "DPO_PG_SSL_DIR=$ssl_dir holds no readable $file"
  done
  local files=(server.crt server.key)
  if [[ -f "$ssl_dir/ca.crt" ]]; then files+=(ca.crt); fi
  for file in "${files[@]}"; do
    (umask 077 && cp "$ssl_dir/$file" "$data_dir/$file")
    if [[ $EUID -eq 0 ]]; then chown postgres: "$data_dir/$file"; fi
  done
  {
    echo "ssl = on"
    echo "ssl_cert_file = 'server.crt'"
    echo "ssl_key_file = 'server.key'"
    if [[ -f "$data_dir/ca.crt" ]]; then echo "ssl_ca_file = 'ca.crt'"; fi
  } >>"$data_dir/postgresql.conf"
}

start_cluster() {
  if is_running; then
    [[ -f "$cluster_dir/env" ]] || die "a server already runs on $data_dir but $cluster_dir/env is missing"
    echo "pg_cluster: already running" >&2
    cat "$cluster_dir/env"
    return 0
  fi
  [[ -f "$data_dir/PG_VERSION" ]] || init_cluster

  local attempt port="" started=false
  for ((attempt = 1; attempt <= start_attempts; attempt++)); do
    port=$(free_port)
    if as_owner "$bin_dir/pg_ctl" -D "$data_dir" -l "$cluster_dir/server.log" -o "-p $port" \
      -w -t 60 start >/dev/null 2>&1; then
      started=true
      break
    fi
    echo "pg_cluster: start on port $port failed (attempt $attempt of $start_attempts)" >&2
  done
  if [[ $started != true ]]; then
    tail -n 20 "$cluster_dir/server.log" >&2 || true
    die "could not start the server; see $cluster_dir/server.log"
  fi

  # pg_ctl -w already waited; pg_isready confirms the TCP listener the tests will use.
  local waited
  for ((waited = 0; waited < 30; waited++)); do
    "$bin_dir/pg_isready" -q -h "$host" -p "$port" -U "$superuser" && break
    sleep 1
  done
  "$bin_dir/pg_isready" -q -h "$host" -p "$port" -U "$superuser" ||
    die "server started but is not accepting connections on $host:$port"

  cat >"$cluster_dir/env" <<ENV
PGPORT=$port
DPO_TEST_PG_HOST=$host
DPO_TEST_PG_PORT=$port
DPO_TEST_PG_SUPERUSER=$superuser
DPO_TEST_PG_PASSWORD=$password
DPO_TEST_PG_BIN=$bin_dir
DPO_TEST_PG_SOCKET_DIR=$cluster_dir
ENV
  cat "$cluster_dir/env"
}

stop_cluster() {
  [[ -n "$bin_dir" ]] || return 0
  if is_running; then
    as_owner "$bin_dir/pg_ctl" -D "$data_dir" -m fast -w -t 60 stop >/dev/null
  fi
}

run_psql() {
  local port
  port=$(env_value DPO_TEST_PG_PORT)
  bin_dir=$(env_value DPO_TEST_PG_BIN)
  # -X: ignore any ~/.psqlrc so output is the same for every caller.
  PGPASSWORD=$password exec "$bin_dir/psql" -X -h "$host" -p "$port" -U "$superuser" -d postgres "$@"
}

[[ $# -ge 2 ]] || usage
command=$1
cluster_dir=$2
shift 2
[[ "$cluster_dir" == /* ]] || cluster_dir="$PWD/$cluster_dir"
data_dir="$cluster_dir/data"

case "$command" in
start)
  [[ $# -eq 0 ]] || usage
  bin_dir=$(find_bin_dir)
  if [[ -z "$bin_dir" ]]; then
    install_postgresql
    bin_dir=$(find_bin_dir)
    [[ -n "$bin_dir" ]] || die "no initdb under /usr/lib/postgresql after installing postgresql"
  fi
  mkdir -p "$cluster_dir"
  start_cluster
  ;;
stop)
  [[ $# -eq 0 ]] || usage
  # Prefer the binaries that started it; without an env file (a start that died half-way), the
  # newest installed ones still know how to stop it.
  if [[ -f "$cluster_dir/env" ]]; then bin_dir=$(env_value DPO_TEST_PG_BIN); else bin_dir=$(find_bin_dir); fi
  stop_cluster
  ;;
psql)
  run_psql "$@"
  ;;
*)
  usage
  ;;
esac
