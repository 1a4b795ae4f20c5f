#!/usr/bin/env bash
# Builds the Linux installers (.deb and .rpm) with `tauri build` (release, offline) and prints the
# paths of the files it wrote as its last lines. Windows, macOS and AppImage installers are built by
# .github/workflows/release.yml (see docs/RELEASING.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_apt_packages
ensure_rust
ensure_node
ensure_ui_deps

BUNDLE_DIR="$CARGO_TARGET_DIR/release/bundle"
rm -rf "$BUNDLE_DIR/deb" "$BUNDLE_DIR/rpm"
log "tauri build --bundles deb,rpm"
# The CLI runs beforeBuildCommand (the UI build) itself; CI=true turns its prompts off.
# The root package is not a default member of the workspace: name it for cargo.
CI=true npx --prefix ui tauri build --bundles deb,rpm -- -p bridgekeeper >&2

shopt -s nullglob
written=("$BUNDLE_DIR"/deb/*.deb "$BUNDLE_DIR"/rpm/*.rpm)
[ "${#written[@]}" -ge 2 ] || die "tauri build wrote no .deb and .rpm under $BUNDLE_DIR"
printf '%s\n' "${written[@]}"
