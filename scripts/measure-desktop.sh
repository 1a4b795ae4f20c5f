#!/usr/bin/env bash
# Measures the release app on a demo org with BENCH_CALLS live calls (default 1,000) in a real window:
# launch and sign-in times, and the memory of all app processes (with the emulator in-process: for the
# app alone, see scripts/measure-desktop-external.sh). Needs what ./scripts/test.sh installs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_apt_packages
ensure_rust
ensure_node
ensure_ui_deps
ensure_tauri_driver
build_ui
in_keyring_session "cargo bench --locked -p bridgekeeper --features bridgekeeper/custom-protocol --bench desktop_load"
