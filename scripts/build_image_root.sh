#!/usr/bin/env bash
# Builds the root file tree of dpo's `FROM scratch` image into a folder. The Dockerfile's build
# stage and scripts/image_check.sh both call it, so the image and its check cannot drift apart.
#
#   scripts/build_image_root.sh <out-dir> [<binary>]
#
# With <binary> (dist/dpo from `deno task compile`) the root holds:
#   /usr/local/bin/dpo                      the compiled binary (entrypoint, no arguments)
# Without it (machines where `deno compile` cannot fetch its runtime) the root holds instead:
#   /usr/local/bin/deno                     the Deno runtime installed from npm
#   /app/{main.ts,src/,migrations/,deno.json,deno.lock}
#   /app/deno-dir                           DENO_DIR with the app's npm packages
#   /app/warm_caches.ts                     fills DENO_DIR's caches at build time (WARMUP below)
# and in both cases:
#   the dynamic loader and every library the program links (read from `ldd`, symlinks resolved)
#   /tmp (empty, mode 1777), /work (empty, the working folder, owned by dpo)
#   /etc/ssl/certs/ca-certificates.crt, /etc/passwd and /etc/group with user dpo (65532)
# Nothing else: no shell, no coreutils.
#
# <out-dir> must be missing or empty. Stdout describes the result in KEY=value lines, which the
# Dockerfile's final stages repeat word for word (scripts/image_check.sh compares them):
#   VARIANT=runtime|compiled      the Dockerfile stage of that name
#   ENTRYPOINT=[...]              its ENTRYPOINT, a JSON array
#   ENV=NAME=value                one per ENV line
#   WARMUP=[...]                  runtime variant only: its exec-form RUN, which fills Deno's
#                                 caches at the paths the image runs from (run as root, in the root)
# Everything else goes to stderr.
set -euo pipefail

readonly user_name=dpo
readonly user_id=65532
readonly ca_file=/etc/ssl/certs/ca-certificates.crt
readonly deno_version=2.9.6
# The runtime variant's command line. The Dockerfile's ENTRYPOINT, ENV and RUN repeat these
# word for word; scripts/image_check.sh fails when they differ.
readonly runtime_entrypoint=(/usr/local/bin/deno run --quiet --no-prompt --cached-only --frozen
  --config /app/deno.json --allow-read --allow-write --allow-env --allow-net
  /app/main.ts)
# Runs the entrypoint on each code path once (see scripts/warm_image_caches.ts).
readonly runtime_warmup=(/usr/local/bin/deno run --quiet --no-prompt --cached-only --frozen
  --config /app/deno.json --allow-run=/usr/local/bin/deno --allow-read=/tmp --allow-write=/tmp
  /app/warm_caches.ts "${runtime_entrypoint[@]}")
# DENO_TLS_CA_STORE=system: TLS trusts /etc/ssl/certs/ca-certificates.crt (Deno's default is its
# own built-in list, which would leave the file unused). DENO_NO_UPDATE_CHECK: no call home.
readonly runtime_env=(DENO_DIR=/app/deno-dir DENO_NO_UPDATE_CHECK=1 DENO_TLS_CA_STORE=system)
readonly compiled_entrypoint=(/usr/local/bin/dpo)
# A compiled binary writes caches of its own (a V8 code cache in the temp folder; analysis caches
# under DENO_DIR, by default $HOME/.cache/deno, and HOME is /work): keep them all in /tmp, out of
# the mounted working folder.
readonly compiled_env=(DENO_DIR=/tmp/deno-dir DENO_TLS_CA_STORE=system)

die() {
  echo "build_image_root: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 <out-dir> [<binary>]" >&2
  exit 2
}

# The native deno executable. `deno` on PATH may be npm's node wrapper (bin.cjs), so ask the
# runtime itself where it lives.
native_deno() {
  local path
  path=$(deno eval 'console.log(Deno.execPath())') || die "cannot run deno"
  [[ -x "$path" ]] || die "deno reports its executable as '$path', which is not executable"
  local version
  version=$("$path" --version | head -n 1)
  [[ "$version" == "deno $deno_version "* ]] ||
    die "need deno $deno_version, found '$version' ($path): run scripts/ensure_deno.sh"
  printf '%s\n' "$path"
}

# Copies one file into the root at the same absolute path, following symlinks, so the root has
# real files where the host has links (e.g. /lib64/ld-linux-x86-64.so.2 and /lib → usr/lib).
copy_to_root() {
  local source=$1
  [[ -f "$source" ]] || die "missing file '$source'"
  mkdir -p "$root$(dirname "$source")"
  cp --dereference --preserve=mode "$source" "$root$source"
}

# Every library `ldd` resolves for the program, plus its program interpreter (the loader).
# Fails when ldd cannot find one, instead of building a root that would not start.
copy_linked_libraries() {
  local program=$1 ldd_output line path
  ldd_output=$(ldd "$program") || die "ldd $program failed (is it a dynamic glibc executable?)"
  if grep -q 'not found' <<<"$ldd_output"; then
    die "ldd cannot resolve every library of $program:"$'\n'"$ldd_output"
  fi
  while IFS= read -r line; do
    # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", or the loader as
    # "/lib64/ld-linux-x86-64.so.2 (0x…)"; linux-vdso.so.1 has no file.
    if [[ "$line" =~ =\>\ (/[^ ]+) ]]; then
      path=${BASH_REMATCH[1]}
    elif [[ "$line" =~ ^[[:space:]]*(/[^ ]+)\ \( ]]; then
      path=${BASH_REMATCH[1]}
    else
      continue
    fi
    copy_to_root "$path"
    echo "  $path" >&2
  done <<<"$ldd_output"
}

# Cross-checks the copy against the program headers: the interpreter, and a file for every
# DT_NEEDED soname of the program and of each copied library. Uses readelf where it is installed
# (binutils; not in debian:slim), and ldd's own answer otherwise.
verify_linked_libraries() {
  local program=$1
  command -v readelf >/dev/null || {
    echo "build_image_root: readelf not installed; relying on ldd's list" >&2
    return 0
  }
  local interpreter
  interpreter=$(readelf --program-headers "$program" |
    sed -nE 's/.*Requesting program interpreter: ([^]]+)].*/\1/p')
  [[ -n "$interpreter" ]] || die "$program has no program interpreter: not a dynamic executable"
  [[ -f "$root$interpreter" ]] || die "the loader $interpreter is missing from the root"
  local object soname
  local -A present=()
  while IFS= read -r object; do present[$(basename "$object")]=1; done < <(
    find "$root/lib" "$root/lib64" "$root/usr/lib" -type f 2>/dev/null
  )
  for object in "$program" $(find "$root/lib" "$root/lib64" "$root/usr/lib" -type f 2>/dev/null); do
    while IFS= read -r soname; do
      [[ -n "${present[$soname]:-}" ]] ||
        die "$(basename "$object") needs $soname, which is missing from the root"
    done < <(readelf --dynamic "$object" | sed -nE 's/.*\(NEEDED\).*\[([^]]+)\].*/\1/p')
  done
}

write_accounts() {
  mkdir -p "$root/etc"
  printf '%s:x:%d:%d:dpo:/work:/nonexistent\n' "$user_name" "$user_id" "$user_id" \
    >"$root/etc/passwd"
  printf '%s:x:%d:\n' "$user_name" "$user_id" >"$root/etc/group"
  chmod 644 "$root/etc/passwd" "$root/etc/group"
}

# The app's sources and its module graph, cached in DENO_DIR inside the root.
add_runtime_variant() {
  local deno_path app="$root/app"
  deno_path=$(native_deno)
  echo "build_image_root: runtime variant: $deno_path with the app's module graph" >&2
  copy_to_root_as "$deno_path" /usr/local/bin/deno
  mkdir -p "$app"
  cp -R "$repo_root/main.ts" "$repo_root/src" "$repo_root/migrations" "$repo_root/deno.json" \
    "$repo_root/deno.lock" "$app/"
  cp "$repo_root/scripts/warm_image_caches.ts" "$app/warm_caches.ts"
  # The worker, and the PostgreSQL store with its npm driver, are loaded by computed URLs,
  # outside main.ts's static graph (src/lazy_import.ts): cache them explicitly.
  (cd "$app" && DENO_DIR="$app/deno-dir" DENO_NO_UPDATE_CHECK=1 "$deno_path" install --quiet \
    --frozen --entrypoint main.ts src/files/hash_worker.ts src/store/postgres_store.ts >&2) ||
    die "deno install --frozen failed: the module graph could not be cached"
  # Keep only the npm packages: the other caches are keyed by this folder's path, which the
  # image does not have. The WARMUP command refills them at /app.
  find "$app/deno-dir" -mindepth 1 -maxdepth 1 ! -name npm -exec rm -rf {} +
  echo "build_image_root: linked files:" >&2
  copy_linked_libraries "$deno_path"
  verify_linked_libraries "$deno_path"
}

copy_to_root_as() {
  local source=$1 target=$2
  mkdir -p "$root$(dirname "$target")"
  cp --dereference "$source" "$root$target"
  chmod 755 "$root$target"
}

add_compiled_variant() {
  local binary=$1
  [[ -f "$binary" && -x "$binary" ]] || die "'$binary' is not an executable file"
  echo "build_image_root: compiled variant: $binary" >&2
  copy_to_root_as "$binary" /usr/local/bin/dpo
  echo "build_image_root: linked files:" >&2
  copy_linked_libraries "$binary"
  verify_linked_libraries "$binary"
}

json_array() {
  local first=true item
  printf '['
  for item in "$@"; do
    if [[ $first == true ]]; then first=false; else printf ', '; fi
    printf '"%s"' "$item"
  done
  printf ']\n'
}

[[ $# -ge 1 && $# -le 2 ]] || usage
[[ $EUID -eq 0 ]] || die "run as root: the root's files must belong to root and /work to $user_id"
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$1
binary=${2:-}
if [[ -n "$binary" && "$binary" != /* ]]; then binary="$PWD/$binary"; fi
mkdir -p "$root"
[[ -z "$(ls -A "$root")" ]] || die "'$root' is not empty"
root=$(cd "$root" && pwd)

if [[ -n "$binary" ]]; then
  add_compiled_variant "$binary"
  variant=compiled
  entrypoint=("${compiled_entrypoint[@]}")
  environment=("${compiled_env[@]}")
  warmup=()
else
  add_runtime_variant
  variant=runtime
  entrypoint=("${runtime_entrypoint[@]}")
  environment=("${runtime_env[@]}")
  warmup=("${runtime_warmup[@]}")
fi

[[ -f "$ca_file" ]] || die "no $ca_file on this machine: install the ca-certificates package"
copy_to_root "$ca_file"
write_accounts
mkdir -p "$root/tmp" "$root/work"
chmod 1777 "$root/tmp"
chown "$user_id:$user_id" "$root/work"
# Everything else belongs to root and is read-only for dpo: the image needs no writable file
# but /tmp and the working folder.
find "$root" -path "$root/tmp" -prune -o -path "$root/work" -prune -o -exec chown root:root {} +
for dir in "$root"/*; do
  case "$dir" in "$root/tmp" | "$root/work") ;; *) chmod -R a+rX,go-w "$dir" ;; esac
done

echo "VARIANT=$variant"
echo "ENTRYPOINT=$(json_array "${entrypoint[@]}")"
for item in "${environment[@]}"; do echo "ENV=$item"; done
if ((${#warmup[@]} > 0)); then echo "WARMUP=$(json_array "${warmup[@]}")"; fi
