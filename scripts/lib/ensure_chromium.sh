# ensure_chromium: installs Debian's chromium for the browser test (tests/e2e/ui_browser_test.ts)
# when it is missing and apt-get can install it; otherwise says why, and that test is skipped
# with the same reason. Never fails the caller. Needs apt_install_quietly (server_setup.sh).
ensure_chromium() {
  if command -v chromium >/dev/null; then return 0; fi
  if ! command -v apt-get >/dev/null || ((EUID != 0)); then
    echo "chromium is missing and apt-get cannot install it here: the browser test is skipped" >&2
    return 0
  fi
  echo "Installing chromium for the browser test…" >&2
  apt_install_quietly chromium ||
    echo "chromium could not be installed: the browser test is skipped" >&2
}
