#!/usr/bin/env bash
# `deno task load`: starts a throwaway PostgreSQL with max_connections = 20 and a PgBouncer in
# transaction mode with a pool of 4 server connections in front of it, runs scripts/load.ts
# against both, then stops and deletes them whatever happened. Arguments go to load.ts.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/ensure_deno.sh
source "$repo_root/scripts/ensure_deno.sh"

# shellcheck source=scripts/lib/server_setup.sh
source "$repo_root/scripts/lib/server_setup.sh"
work_dir=$(mktemp -d /tmp/dpo-load.XXXXXX)
# shellcheck disable=SC2317 # reached only through the EXIT trap
cleanup() { stop_test_servers "$work_dir"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
DPO_PG_MAX_CONNECTIONS=20 start_test_servers "$work_dir" 4

deno run -A scripts/load.ts "$@"
