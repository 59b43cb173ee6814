#!/usr/bin/env bash
# ./scripts/ui_bench.sh: starts a throwaway PostgreSQL on a free loopback port, runs
# scripts/ui_bench.ts against it and the embedded store, stops the server. Arguments go to ui_bench.ts.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/ensure_deno.sh
source "$repo_root/scripts/ensure_deno.sh"
cluster_dir=$(mktemp -d /tmp/dpo-ui-bench-pg.XXXXXX)
chmod 755 "$cluster_dir"
trap '"$repo_root/scripts/pg_cluster.sh" stop "$cluster_dir" >&2 || true; rm -rf "$cluster_dir"' EXIT
"$repo_root/scripts/pg_cluster.sh" start "$cluster_dir" >&2
port=$(sed -n 's/^DPO_TEST_PG_PORT=//p' "$cluster_dir/env")
export DPO_BENCH_PG_URL="postgresql://postgres:dpo-test-secret@127.0.0.1:$port/postgres"
deno run -A scripts/ui_bench.ts "$@"
