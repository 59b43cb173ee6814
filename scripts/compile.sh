#!/usr/bin/env bash
# `deno task compile`: builds dist/dpo, one executable that needs neither Deno nor this folder.
#
#   scripts/compile.sh [output]            default output: dist/dpo
#
# `deno compile` appends the app to a runtime binary, denort, which it downloads on first use
# (into DENO_DIR). Where that download is impossible, set DENORT_BIN to a denort binary of the
# same Deno version (deno compile reads the variable itself), e.g.
#   DENORT_BIN=/opt/denort-2.9.6 deno task compile
#
# What goes in, and why:
#   --allow-read --allow-write   model files anywhere; the embedded store's folder
#   --allow-env                  DPO_DATABASE_URL, PGPASSWORD and friends
#   --allow-net                  a PostgreSQL server anywhere
#   --include migrations         read at run time from new URL("../../migrations/", import.meta.url)
#   --include src                the hashing worker and the modules imported by computed URLs
#                                (src/lazy_import.ts) are not part of main.ts's static graph
# (migrations/ holds PostgreSQL's files and, in migrations/sqlite/, the embedded store's.)
# The embedded store is node:sqlite, built into the runtime: nothing else to embed.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
output=${1:-dist/dpo}

if [[ -n "${DENORT_BIN:-}" ]]; then
  [[ -f "$DENORT_BIN" && -x "$DENORT_BIN" ]] ||
    {
      echo "compile: DENORT_BIN='$DENORT_BIN' is not an executable file" >&2
      exit 1
    }
  echo "compile: using the runtime DENORT_BIN=$DENORT_BIN" >&2
fi

mkdir -p "$(dirname "$output")"
deno compile --frozen \
  --allow-read --allow-write --allow-env --allow-net \
  --include migrations \
  --include src \
  --output "$output" \
  main.ts

# A full `deno` binary given as DENORT_BIN still "compiles", into a copy of the Deno CLI that
# ignores the embedded app. Catch that here rather than in the first pipeline that uses it.
expected_version=$(sed -nE 's/^export const VERSION = "([^"]+)";.*/\1/p' src/version.ts)
actual_version=$(timeout 60 "$output" --version </dev/null 2>&1 | head -n 1) || true
if [[ "$actual_version" != "$expected_version" ]]; then
  rm -f "$output"
  echo "compile: $output --version printed '$actual_version', not '$expected_version': the base" \
    "binary is not a denort runtime (DENORT_BIN must name denort, not deno); removed $output" >&2
  exit 1
fi
echo "compile: $output ($(du -h "$output" | cut -f1)), dpo $actual_version" >&2
