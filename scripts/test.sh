#!/usr/bin/env bash
# dpo's test command: ./scripts/test.sh [test files] [extra `deno test` args, e.g. --filter NAME]
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

# shellcheck source=scripts/lib/server_setup.sh
source "$repo_root/scripts/lib/server_setup.sh"
# shellcheck source=scripts/lib/ensure_chromium.sh
source "$repo_root/scripts/lib/ensure_chromium.sh"
ensure_chromium
cluster_dir=$(mktemp -d /tmp/dpo-test.XXXXXX)
# shellcheck disable=SC2317 # reached only through the EXIT trap
cleanup() { stop_test_servers "$cluster_dir"; }
trap cleanup EXIT
# Turn Ctrl-C and `timeout`'s TERM into a normal exit so the EXIT trap still stops the server.
trap 'exit 130' INT
trap 'exit 143' TERM
start_test_servers "$cluster_dir"

# Test files or folders given: only those; otherwise the whole suite under tests/.
targets=(tests/)
for arg in "$@"; do
  if [[ "$arg" != -* && -e "$arg" ]]; then
    targets=()
    break
  fi
done
status=0
deno test -A --frozen "${targets[@]}" "$@" || status=$?
exit "$status"
