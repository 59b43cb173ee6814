#!/usr/bin/env bash
# `deno task load`: starts a throwaway PostgreSQL with max_connections = 20 and a PgBouncer in
# transaction mode with a pool of 4 server connections in front of it, runs scripts/load.ts
# against both, then stops and deletes them whatever happened. Arguments go to load.ts.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/ensure_deno.sh
source "$repo_root/scripts/ensure_deno.sh"

work_dir=$(mktemp -d /tmp/dpo-load.XXXXXX)
chmod 755 "$work_dir"
# shellcheck disable=SC2317 # reached only through the EXIT trap
cleanup() {
  "$repo_root/scripts/pgbouncer.sh" stop "$work_dir/pgbouncer" >&2 || true
  "$repo_root/scripts/pg_cluster.sh" stop "$work_dir" >&2 || true
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

DPO_PG_MAX_CONNECTIONS=20 "$repo_root/scripts/pg_cluster.sh" start "$work_dir" >&2
"$repo_root/scripts/pgbouncer.sh" start "$work_dir/pgbouncer" 127.0.0.1 \
  "$(sed -n 's/^DPO_TEST_PG_PORT=//p' "$work_dir/env")" 4 >&2
while IFS='=' read -r key value; do
  if [[ -n "$key" ]]; then export "$key=$value"; fi
done < <(cat "$work_dir/env" "$work_dir/pgbouncer/env")

deno run -A scripts/load.ts "$@"
