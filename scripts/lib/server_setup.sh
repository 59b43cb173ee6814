#!/usr/bin/env bash
# Sourced by the scripts that set up throwaway servers (pg_cluster.sh, pgbouncer.sh), by bench.sh,
# and by test.sh and load.sh. Defines functions only; changes nothing when sourced.

# apt_install_quietly PACKAGE...: apt-get update + install, quietly. apt's -qq does not quiet
# dpkg, so the chatter goes to a log that is shown only on failure. Returns apt-get's status.
apt_install_quietly() {
  local apt_log status=0
  apt_log=$(mktemp /tmp/dpo-apt.XXXXXX)
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >"$apt_log" 2>&1 || status=$?
  if ((status != 0)); then cat "$apt_log" >&2; fi
  rm -f "$apt_log"
  return "$status"
}

# free_port: prints a free TCP port on 127.0.0.1, asking the kernel by binding port 0. Another
# process may take it before the server binds it, so callers retry a failed start with a fresh one.
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  elif command -v node >/dev/null; then
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
  else
    echo "free_port: need python3 or node to pick a free port" >&2
    return 1
  fi
}

# start_test_servers DIR [POOL_SIZE]: a throwaway PostgreSQL cluster in DIR (DPO_PG_MAX_CONNECTIONS
# applies) and a PgBouncer in transaction mode in DIR/pgbouncer in front of it, on free loopback
# ports, then exports their DPO_TEST_PG_* and DPO_TEST_PGBOUNCER_* variables. Their env files go
# to stderr: useful in a log, not part of a command's output. stop_test_servers DIR undoes it.
start_test_servers() {
  local dir=$1 scripts key value
  scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  # mktemp makes folders 0700; the postgres user that runs the server must reach it
  # (pg_cluster.sh also hands it over to that user when running as root).
  chmod 755 "$dir"
  "$scripts/pg_cluster.sh" start "$dir" >&2
  "$scripts/pgbouncer.sh" start "$dir/pgbouncer" 127.0.0.1 \
    "$(sed -n 's/^DPO_TEST_PG_PORT=//p' "$dir/env")" ${2:+"$2"} >&2
  # KEY=value lines, exported one by one rather than sourced, so a path is never run as code.
  while IFS='=' read -r key value; do
    if [[ -n "$key" ]]; then export "$key=$value"; fi
  done < <(cat "$dir/env" "$dir/pgbouncer/env")
}

stop_test_servers() {
  local dir=$1 scripts
  scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  "$scripts/pgbouncer.sh" stop "$dir/pgbouncer" >&2 || true
  "$scripts/pg_cluster.sh" stop "$dir" >&2 || true
  rm -rf "$dir"
}
