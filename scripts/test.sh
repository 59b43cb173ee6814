#!/usr/bin/env bash
# dpo's test command: ./scripts/test.sh [extra `deno test` args, e.g. --filter NAME]
#
# Installs the pinned deno if needed, starts a throwaway PostgreSQL cluster on a free loopback
# port and a PgBouncer in transaction mode in front of it, runs `deno test` with their
# DPO_TEST_PG_* and DPO_TEST_PGBOUNCER_* variables exported, then stops both and deletes them
# whatever happened. Exits with deno test's exit code.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

# Sourced rather than run, so a PATH fix for npm's global bin folder reaches this shell.
# shellcheck source=scripts/ensure_deno.sh
source "$repo_root/scripts/ensure_deno.sh"

# Fetch the npm packages deno.json names, exactly as deno.lock pins them (--frozen fails on a
# stale lock instead of rewriting it). Skipped while the project has no deno.json yet.
if [[ -f deno.json || -f deno.jsonc ]]; then
  deno install --frozen
fi

cluster_dir=$(mktemp -d /tmp/dpo-test.XXXXXX)
# mktemp makes the folder 0700; the postgres user that runs the server must reach it
# (pg_cluster.sh also hands it over to that user when running as root).
chmod 755 "$cluster_dir"

# shellcheck disable=SC2317 # reached only through the EXIT trap
cleanup() {
  "$repo_root/scripts/pgbouncer.sh" stop "$cluster_dir/pgbouncer" >&2 || true
  "$repo_root/scripts/pg_cluster.sh" stop "$cluster_dir" >&2 || true
  rm -rf "$cluster_dir"
}
trap cleanup EXIT
# Turn Ctrl-C and `timeout`'s TERM into a normal exit so the EXIT trap still stops the server.
trap 'exit 130' INT
trap 'exit 143' TERM

# The env file goes to stderr: useful in a log, but not part of the test output.
"$repo_root/scripts/pg_cluster.sh" start "$cluster_dir" >&2
"$repo_root/scripts/pgbouncer.sh" start "$cluster_dir/pgbouncer" 127.0.0.1 \
  "$(sed -n 's/^DPO_TEST_PG_PORT=//p' "$cluster_dir/env")" >&2

# KEY=value lines, exported one by one rather than sourced, so a path is never run as code.
while IFS='=' read -r key value; do
  if [[ -n "$key" ]]; then export "$key=$value"; fi
done < <(cat "$cluster_dir/env" "$cluster_dir/pgbouncer/env")

status=0
deno test -A --frozen tests/ "$@" || status=$?
exit "$status"
