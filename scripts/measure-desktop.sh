#!/usr/bin/env bash
# Measures the release app on a demo org with BENCH_CALLS live calls (default 1,000) in a real window:
# launch and sign-in times, and the memory of all app processes. Needs what ./scripts/test.sh installs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_apt_packages
ensure_rust
ensure_node
ensure_ui_deps
ensure_tauri_driver
build_ui
scratch="$(mktemp -d "${TMPDIR:-/tmp}/bridgekeeper-measure.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/data" "$scratch/run"; chmod 700 "$scratch/run"
XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" dbus-run-session -- bash -c '
  printf throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  stop_keyring() {
    for pid in $(pgrep -x gnome-keyring-d); do
      tr "\0" "\n" < "/proc/$pid/environ" 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" && kill "$pid"
    done
    return 0
  }
  trap stop_keyring EXIT
  WEBKIT_DISABLE_COMPOSITING_MODE=1 cargo bench --locked -p bridgekeeper --features bridgekeeper/custom-protocol --bench desktop_load'
