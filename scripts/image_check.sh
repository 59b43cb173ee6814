#!/usr/bin/env bash
# `deno task image-check`: proves the scratch image's root file tree on this machine, without a
# container engine. Runs as root (it mounts and enters the root); needs util-linux and openssl.
#
#  1. Builds the root with scripts/build_image_root.sh into a temporary folder: from dist/dpo when
#     it exists (`deno task compile`), else from the npm Deno runtime plus the cached module graph.
#     Says which.
#  2. Checks that the Dockerfile's final stage for that variant has the ENTRYPOINT, ENV and RUN
#     lines the script printed, so the image and this check run the same thing.
#  3. Removes each linked library and the loader in turn from a copy of the root and checks that
#     dpo then fails to start: the check notices a missing file, and nothing listed is spare.
#  4. Runs the Dockerfile's warm-up RUN inside the root as root, as `docker build` would.
#  5. Runs the whole two-execution pipeline inside the root as uid 65532, with nothing else in it:
#     (a) on a local PostgreSQL over loopback (scripts/pg_cluster.sh); (b) on the default embedded
#     store, .dpo in the working folder /work, onto which a host folder is bind-mounted (as a
#     volume would be).
#  6. Prints the root's size and the start-up times of commands inside the root.
#  7. Proves TLS inside the root: sslmode=verify-full trusts the CAs in
#     /etc/ssl/certs/ca-certificates.crt, and only those.
#
# A command runs inside the root as a container runtime would run the image:
#   env -i <image ENV> unshare --pid --mount-proc --root=<root> --wd=/work \
#     --setuid=65532 --setgid=65532 <ENTRYPOINT> <args>
# rather than `chroot --userspec=65532:65532 <root> <ENTRYPOINT>`, which starts in / while the
# image's WORKDIR is /work (the default store's place), and cannot mount the /proc that Deno needs
# (glibc reads /proc/self/maps for the main thread's stack) and every runtime provides. /dev is a
# tmpfs with the usual devices, as in a container.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
readonly uid=65532
readonly warm_runs=5

say() { echo "image-check: $*"; }
die() {
  echo "image-check: FAILED: $*" >&2
  exit 1
}

[[ $EUID -eq 0 ]] || die "run as root: the check mounts a work folder and enters the root"
for tool in unshare mount umount mountpoint mknod ldd openssl; do
  command -v "$tool" >/dev/null || die "needs '$tool' (util-linux, coreutils, libc-bin, openssl)"
done
# shellcheck source=scripts/ensure_deno.sh
source "$repo_root/scripts/ensure_deno.sh"

scratch=$(mktemp -d /tmp/dpo-image-check.XXXXXX)
chmod 755 "$scratch" # the postgres user must reach its cluster folder below
root="$scratch/root"
work="$scratch/work"
cluster="$scratch/pg"

# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  local mounted
  for mounted in "$root/etc/ssl/certs/ca-certificates.crt" "$root/work" "$root/dev"; do
    if mountpoint -q "$mounted" 2>/dev/null; then umount "$mounted" || umount -l "$mounted"; fi
  done
  if [[ -f "$cluster/env" ]]; then
    "$repo_root/scripts/pg_cluster.sh" stop "$cluster" >&2 || true
  fi
  # --one-file-system: never follow a mount that failed to come off into what is behind it.
  rm -rf --one-file-system "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# --- 1. the root --------------------------------------------------------------------------------
if [[ -x dist/dpo ]]; then
  say "variant: compiled (dist/dpo from 'deno task compile')"
  build_args=("$root" dist/dpo)
else
  say "variant: runtime (no dist/dpo: 'deno compile' needs denort, see README.md, "Running anywhere");" \
    "the root carries the npm Deno runtime and the app's module graph in DENO_DIR"
  build_args=("$root")
fi
spec="$scratch/spec"
if ! scripts/build_image_root.sh "${build_args[@]}" >"$spec" 2>"$scratch/build.log"; then
  cat "$scratch/build.log" >&2
  die "build_image_root.sh failed"
fi

spec_value() { sed -n "s/^$1=//p" "$spec"; }
variant=$(spec_value VARIANT)
entrypoint_json=$(spec_value ENTRYPOINT)
warmup_json=$(spec_value WARMUP)
mapfile -t image_env < <(spec_value ENV)
# The JSON arrays hold plain words: no quotes, commas or spaces inside an item.
json_words() { tr -d '[]",' <<<"$1"; }
read -r -a entrypoint <<<"$(json_words "$entrypoint_json")"
read -r -a warmup <<<"$(json_words "$warmup_json")"

# --- 2. the Dockerfile says the same ------------------------------------------------------------
stage_lines=$(awk -v stage="$variant" '
  /^FROM / { inside = ($0 == "FROM scratch AS " stage) }
  inside' Dockerfile)
[[ -n "$stage_lines" ]] || die "the Dockerfile has no 'FROM scratch AS $variant' stage"
expect_line() {
  grep -qxF -- "$1" <<<"$stage_lines" ||
    die "the Dockerfile's '$variant' stage lacks this line, which build_image_root.sh prints: $1"
}
expect_line "ENTRYPOINT $entrypoint_json"
for item in "${image_env[@]}"; do expect_line "ENV $item"; done
if ((${#warmup[@]} > 0)); then expect_line "RUN $warmup_json"; fi
expect_line "USER $uid:$uid"
expect_line "WORKDIR /work"
say "the Dockerfile's '$variant' stage matches: ENTRYPOINT $entrypoint_json"

in_tmp_and_work() { find "$root/tmp" "$root/work" -mindepth 1 | sort; }
[[ -z "$(in_tmp_and_work)" ]] || die "/tmp or /work is not empty in the root: $(in_tmp_and_work)"
# A container runtime mounts /proc and /dev on these; the image itself does not carry them.
mkdir "$root/proc" "$root/dev"

# enter_root DIR: sets `entered` to the command line that runs the entrypoint inside DIR as the
# image runs it: only the image's ENV (HOME from /etc/passwd, as Docker sets it), uid 65532, /work.
enter_root() {
  entered=(env -i "${image_env[@]}" HOME=/work unshare --mount --propagation private --pid --fork
    --kill-child --mount-proc=/proc --root="$1" --wd=/work --setuid="$uid" --setgid="$uid" --
    "${entrypoint[@]}")
}
# in_root [--root DIR] ARGS...: the entrypoint with ARGS inside the root (or DIR).
in_root() {
  local dir=$root entered
  if [[ "${1:-}" == --root ]]; then
    dir=$2
    shift 2
  fi
  enter_root "$dir"
  "${entered[@]}" "$@"
}

# --- 3. every linked file is needed (before anything is mounted in the root) --------------------
version_expected=$(sed -nE 's/^export const VERSION = "([^"]+)";.*/\1/p' src/version.ts)
started=$(date +%s%N)
version=$(in_root --version 2>&1) || die "dpo --version failed inside the root: $version"
cold_version_ms=$(ms_since "$started")
[[ "$version" == "$version_expected" ]] || die "dpo --version printed '$version'"
mapfile -t linked < <(cd "$root" && find lib lib64 usr/lib -type f 2>/dev/null | sort)
((${#linked[@]} > 0)) || die "no linked library in the root"
crippled="$scratch/crippled"
for file in "${linked[@]}"; do
  cp -al "$root" "$crippled"
  rm "$crippled/$file"
  if output=$(in_root --root "$crippled" --version 2>&1); then
    die "dpo still starts without /$file: the check cannot see a missing file"
  fi
  grep -q "error while loading shared libraries\|No such file or directory" <<<"$output" ||
    die "without /$file dpo failed in an unexpected way: $output"
  rm -rf "$crippled"
done
say "dpo fails to start without any one of the ${#linked[@]} linked files: ${linked[*]/#//}"

# --- 4. the warm-up RUN, as `docker build` runs it ----------------------------------------------
mount -t tmpfs -o mode=755,size=64k,nosuid tmpfs "$root/dev"
mknod -m 666 "$root/dev/null" c 1 3
mknod -m 666 "$root/dev/zero" c 1 5
mknod -m 666 "$root/dev/full" c 1 7
mknod -m 666 "$root/dev/random" c 1 8
mknod -m 666 "$root/dev/urandom" c 1 9
mknod -m 666 "$root/dev/tty" c 5 0
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
before_warmup=$(in_tmp_and_work)
if ((${#warmup[@]} > 0)); then
  started=$(date +%s%N)
  env -i "${image_env[@]}" unshare --mount --propagation private --pid --fork --kill-child \
    --mount-proc=/proc --root="$root" --wd=/ -- "${warmup[@]}" >/dev/null ||
    die "the warm-up RUN failed: ${warmup[*]}"
  say "warm-up RUN, as root in the root: $(ms_since "$started") ms"
fi
[[ "$(in_tmp_and_work)" == "$before_warmup" ]] ||
  die "the warm-up RUN left files in /tmp or /work: $(in_tmp_and_work)"
# -x: the size of the image's own files, not of the mounted /dev.
root_bytes=$(du -sbx "$root" | cut -f1)
root_entries=$(find "$root" -xdev -mindepth 1 | wc -l)
say "root: $((root_bytes / 1000000)) MB in $root_entries files and folders" \
  "(du -h: $(du -shx "$root" | cut -f1))"

# --- 5. the pipeline inside the root ------------------------------------------------------------
mkdir -p "$work"
chown "$uid:$uid" "$work"
mount --bind "$work" "$root/work"

pipeline() { # pipeline NAME LABEL [dpo args naming the store...]
  local models="models-$1" label=$2 entered
  shift 2
  say "pipeline on $label, inside the root:"
  enter_root "$root"
  # The model files are written from outside (root-owned, world-readable), as a build agent's
  # checkout in a mounted volume would be.
  deno run --quiet --allow-read --allow-write --allow-run=env \
    scripts/image_pipeline.ts "$work/$models" "/work/$models" -- "${entered[@]}" "$@" ||
    die "the pipeline on $label failed inside the root"
}

if ! "$repo_root/scripts/pg_cluster.sh" start "$cluster" >/dev/null 2>"$scratch/pg.log"; then
  cat "$scratch/pg.log" >&2
  die "could not start PostgreSQL"
fi
pg_port=$(sed -n 's/^DPO_TEST_PG_PORT=//p' "$cluster/env")
"$repo_root/scripts/pg_cluster.sh" psql "$cluster" -q -c "CREATE DATABASE dpo_image_check" ||
  die "CREATE DATABASE failed"
pg_url="postgresql://postgres:dpo-test-secret@127.0.0.1:$pg_port/dpo_image_check"
upgrade=$(in_root "$pg_url" db upgrade 2>&1) ||
  die "dpo db upgrade failed inside the root: $upgrade"
pipeline postgresql PostgreSQL "$pg_url"

# No store named: the default embedded store, .dpo in the working folder /work.
pipeline embedded "the default embedded store"
[[ -d "$work/.dpo" ]] || die "the embedded store is not in the mounted work folder"
[[ "$(stat -c %u "$work/.dpo")" == "$uid" ]] || die "the embedded store is not owned by $uid"
say "the embedded store: $(du -sh "$work/.dpo" | cut -f1) in the mounted work folder, owned by $uid"

# --- 6. start-up times inside the root ----------------------------------------------------------
# Milliseconds of one command inside the root, entering it included (unshare: ~5 ms).
time_ms() {
  local started
  started=$(date +%s%N)
  in_root "$@" >/dev/null 2>&1 || die "timed command failed: $*"
  ms_since "$started"
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
warm_ms() {
  local times=() i
  for ((i = 0; i < warm_runs; i++)); do times+=("$(time_ms "$@")"); done
  median "${times[@]}"
}
store=(--db sqlite:/work/timing-store/dpo.sqlite)
say "start-up inside the root, ms (first run; median of $warm_runs warm runs):"
first_run="first run"
if ((${#warmup[@]} > 0)); then first_run="first run, before the warm-up RUN"; fi
say "  dpo --version                         $cold_version_ms ($first_run);" \
  "$(warm_ms --version) warm"
first_store_ms=$(time_ms "${store[@]}" get-last-successful-execution)
say "  get-last-successful-execution"
say "    on a new embedded store             $first_store_ms (creates it)"
say "    on that store again                 $(warm_ms "${store[@]}" get-last-successful-execution)"
say "    on PostgreSQL                       $(warm_ms "$pg_url" get-last-successful-execution)"

# --- 7. TLS inside the root -----------------------------------------------------------------
# The image's trust store is /etc/ssl/certs/ca-certificates.crt (DENO_TLS_CA_STORE=system). The
# server gets a certificate from a throwaway CA; with the shipped bundle, sslmode=verify-full
# must refuse it, and with the bundle plus that CA (bind-mounted over the file) accept it.
tls="$scratch/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=dpo image-check CA" \
  -addext basicConstraints=critical,CA:TRUE -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$tls/server.key" \
  -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$tls/server.ext"
openssl x509 -req -days 1 -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
  -CAcreateserial -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
install -o postgres -g postgres -m 600 "$tls/server.key" "$cluster/server.key"
install -o postgres -g postgres -m 644 "$tls/server.pem" "$cluster/server.pem"
"$repo_root/scripts/pg_cluster.sh" psql "$cluster" -q \
  -c "ALTER SYSTEM SET ssl_cert_file = '$cluster/server.pem'" \
  -c "ALTER SYSTEM SET ssl_key_file = '$cluster/server.key'" \
  -c "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null ||
  die "could not turn TLS on in the test cluster"
tls_url="$pg_url?sslmode=verify-full"
last_execution=$(in_root "$pg_url" get-last-successful-execution)
if refused=$(in_root "$tls_url" get-last-successful-execution 2>&1); then
  die "sslmode=verify-full accepted a certificate from a CA the image does not trust: $refused"
fi
cat "$root/etc/ssl/certs/ca-certificates.crt" "$tls/ca.pem" >"$tls/bundle.crt"
mount --bind -o ro "$tls/bundle.crt" "$root/etc/ssl/certs/ca-certificates.crt"
accepted=$(in_root "$tls_url" get-last-successful-execution 2>&1) ||
  die "sslmode=verify-full failed with the CA in /etc/ssl/certs/ca-certificates.crt: $accepted"
umount "$root/etc/ssl/certs/ca-certificates.crt"
[[ "$accepted" == "$last_execution" ]] || die "over TLS dpo printed '$accepted'"
say "TLS: sslmode=verify-full trusts the CAs in /etc/ssl/certs/ca-certificates.crt: accepted" \
  "with the test CA in it; without it, refused: $refused"

say "passed: $variant variant"
