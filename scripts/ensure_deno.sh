#!/usr/bin/env bash
# Makes sure `deno` on PATH is the version dpo is pinned to, installing it from the npm registry
# (the only registry CI reaches) when it is missing or different.
#
#   scripts/ensure_deno.sh             check/install; exit status tells whether deno is usable
#   source scripts/ensure_deno.sh      the same, and also fixes PATH in the calling shell when
#                                      npm's global bin folder was not on it
#
# Silent on success; npm's own output goes to stderr. When sourced it leaves the caller's shell
# options alone, so every check below reports failure through its return status instead of set -e.

dpo_deno_version=2.9.6

# Prints the installed deno's version ("2.9.6"), or nothing when deno is not on PATH.
dpo_deno_installed_version() {
  local version_text
  command -v deno >/dev/null 2>&1 || return 0
  version_text=$(deno --version 2>/dev/null) || return 0
  # First line reads "deno 2.9.6 (stable, release, x86_64-unknown-linux-gnu)".
  version_text=${version_text%%$'\n'*}
  version_text=${version_text#deno }
  printf '%s\n' "${version_text%% *}"
}

dpo_ensure_deno() {
  [[ "$(dpo_deno_installed_version)" == "$dpo_deno_version" ]] && return 0

  command -v npm >/dev/null 2>&1 || {
    echo "ensure_deno: deno $dpo_deno_version is needed and npm is not available to install it" >&2
    return 1
  }
  # The npm package fetches no binary at install time: the platform binary comes as an optional
  # dependency from the registry itself. npm may still print warnings about install scripts.
  npm install -g --allow-scripts=deno "deno@$dpo_deno_version" >&2 || {
    echo "ensure_deno: npm install -g deno@$dpo_deno_version failed" >&2
    return 1
  }

  # npm links global binaries into "$(npm prefix -g)/bin", which is not always on PATH.
  local npm_bin
  npm_bin="$(npm prefix -g 2>/dev/null)/bin"
  if [[ "$(dpo_deno_installed_version)" != "$dpo_deno_version" && -x "$npm_bin/deno" ]]; then
    PATH="$npm_bin:$PATH"
    export PATH
    hash -r
  fi

  local installed
  installed=$(dpo_deno_installed_version)
  if [[ "$installed" != "$dpo_deno_version" ]]; then
    echo "ensure_deno: expected deno $dpo_deno_version after installing, found '${installed:-none}' ($(command -v deno || echo 'not on PATH'))" >&2
    return 1
  fi
}

# Strict mode only when run as a script: a sourcing shell keeps its own options.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
fi
dpo_ensure_deno
