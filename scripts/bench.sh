#!/usr/bin/env bash
# `deno task bench`: starts a throwaway PostgreSQL on a free loopback port, runs
# scripts/bench.ts against it and the embedded store, stops the server. Arguments go to bench.ts.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/ensure_deno.sh
source "$repo_root/scripts/ensure_deno.sh"
# /usr/bin/time reports each command's peak RSS.
if [[ ! -x /usr/bin/time ]]; then
  # shellcheck source=scripts/lib/server_setup.sh
  source "$repo_root/scripts/lib/server_setup.sh"
  apt_install_quietly time
fi
cluster_dir=$(mktemp -d /tmp/dpo-bench-pg.XXXXXX)
chmod 755 "$cluster_dir"
trap '"$repo_root/scripts/pg_cluster.sh" stop "$cluster_dir" >&2 || true; rm -rf "$cluster_dir"' EXIT
"$repo_root/scripts/pg_cluster.sh" start "$cluster_dir" >&2
port=$(sed -n 's/^DPO_TEST_PG_PORT=//p' "$cluster_dir/env")
export DPO_BENCH_PG_URL="postgresql://postgres:dpo-test-secret@127.0.0.1:$port/postgres"
# DPO_BENCH_SCRIPT picks another benchmark beside bench.ts (deno task bench-prune).
deno run -A "${DPO_BENCH_SCRIPT:-scripts/bench.ts}" "$@"
