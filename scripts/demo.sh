#!/usr/bin/env bash
# README command 1: launch Bridgekeeper on the built-in demo organisation (no Genesys account needed).
# Installs what is missing first. Extra arguments are passed to the app.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_apt_packages
ensure_rust
ensure_node
ensure_ui_deps
build_ui

log "building the app"
cargo build -p bridgekeeper -p genesys-emulator --locked --features bridgekeeper/custom-protocol

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat >&2 <<MSG

Bridgekeeper is a desktop app and this session has no display (neither DISPLAY nor WAYLAND_DISPLAY is set).
Run this command from a desktop session. To see the demo organisation's API alone, run:
  $CARGO_TARGET_DIR/debug/genesys-emulator --listen 127.0.0.1:0 --scenario demo --churn 6
MSG
  exit 1
fi

log "launching Bridgekeeper on the demo organisation"
exec "$CARGO_TARGET_DIR/debug/bridgekeeper" --demo "$@"
