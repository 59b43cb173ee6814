#!/usr/bin/env bash
# Sourced by the scripts that install Debian packages on first use (pg_cluster.sh, pgbouncer.sh,
# bench.sh). Defines apt_install_quietly; changes nothing when sourced.

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
