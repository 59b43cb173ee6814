#!/usr/bin/env bash
# Sourced by the scripts that set up throwaway servers (pg_cluster.sh, pgbouncer.sh) and by
# bench.sh. Defines functions only; changes nothing when sourced.

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
