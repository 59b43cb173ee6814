#!/usr/bin/env bash
# The README's first command: installs the pinned Deno if missing, fetches the locked
# dependencies, then runs the sample pipeline (two executions) on the embedded default store.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/ensure_deno.sh
source "$repo_root/scripts/ensure_deno.sh"
deno install --frozen >&2
exec deno run --quiet --allow-read --allow-write --allow-env --allow-run \
  scripts/sample_pipeline.ts "$@"
