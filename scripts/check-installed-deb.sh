#!/usr/bin/env bash
# The .deb as a supervisor's machine gets it (a step of scripts/test.sh; runs on its own as well):
# bundle the debug app the test build already made into a .deb (`tauri bundle --debug`, no rebuild),
# install it with apt, check its desktop entry (desktop-file-validate) and icons, launch the INSTALLED
# binary under Xvfb to the sign-in screen and sign in to the demo org (src-tauri/tests/installed.rs,
# screenshot in artifacts/installed-sign-in.png), then purge it and check that none of its files is
# left. Safe to run twice: a package left installed by an earlier run is purged first, and a trap
# purges it whatever happens after the install. Needs root or sudo (apt).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

START=$SECONDS
ensure_apt_packages
ensure_rust
ensure_node
ensure_ui_deps
ensure_tauri_driver
for tool in desktop-file-validate dpkg-deb dpkg-query apt-get; do
  command -v "$tool" >/dev/null || die "missing '$tool' (apt-get install desktop-file-utils dpkg apt)"
done

# The debug app with the embedded UI, built exactly as the test steps build it (a no-op after them).
[ -f ui/dist/index.html ] || build_ui
log "debug build (reused from the test build when it is there)"
cargo test "${CARGO_FEATURES[@]}" --no-run
BIN="$CARGO_TARGET_DIR/debug/bridgekeeper"
[ -x "$BIN" ] || die "no debug app at $BIN after the build"

# `tauri bundle` packs the binary cargo already built (no second build), but it writes the binary in
# place (bundle-type patching, then a restore), which fails while that binary runs (a window test) and
# would change the cached build under other users. So it bundles a private copy in a target folder
# of its own, named to it through CARGO_TARGET_DIR. CI=true turns the CLI's prompts off.
STAGE="$CARGO_TARGET_DIR/installed-deb"
BUNDLE_DIR="$STAGE/debug/bundle/deb"
rm -rf "$STAGE"
mkdir -p "$STAGE/debug"
cp "$BIN" "$STAGE/debug/"
log "tauri bundle --debug --bundles deb"
t0=$SECONDS
CARGO_TARGET_DIR="$STAGE" CI=true npx --prefix ui tauri bundle --debug --bundles deb >&2
shopt -s nullglob
debs=("$BUNDLE_DIR"/*.deb)
shopt -u nullglob
[ "${#debs[@]}" = 1 ] || die "expected one .deb under $BUNDLE_DIR, found ${#debs[@]}"
DEB="${debs[0]}"
PKG="$(dpkg-deb -f "$DEB" Package)"
printf 'bundled %s (package %s, %s bytes) in %ss\n' "$DEB" "$PKG" "$(stat -c %s "$DEB")" "$((SECONDS - t0))"

installed() { dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'install ok installed'; }
purge() {
  DEBIAN_FRONTEND=noninteractive as_root apt-get purge -y -qq "$PKG" >/dev/null
}
# Also runs on failure and on Ctrl-C: never leave the test package on the machine.
cleanup() {
  if installed; then
    printf 'cleaning up: purging %s\n' "$PKG" >&2
    purge || printf 'warning: could not purge %s; remove it with: apt-get purge %s\n' "$PKG" "$PKG" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if installed; then
  log "$PKG is installed (an earlier run?): purging it first"
  purge
fi

log "apt-get install $DEB"
t0=$SECONDS
# apt needs a path, not a bare name, to install a local file.
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$(realpath "$DEB")" >/dev/null
installed || die "$PKG is not installed after apt-get install"
printf 'installed in %ss\n' "$((SECONDS - t0))"

# Every path the package put down, files and links only (folders such as /usr/bin are shared).
FILES=()
while read -r p; do
  if [ -L "$p" ] || [ ! -d "$p" ]; then FILES+=("$p"); fi
done < <(dpkg -L "$PKG")
[ "${#FILES[@]}" -gt 0 ] || die "dpkg -L $PKG lists no files"
printf '%s\n' "${FILES[@]}"

APP="/usr/bin/$(basename "$BIN")"
printf '%s\n' "${FILES[@]}" | grep -qx "$APP" || die "the package does not install $APP"
[ -x "$APP" ] || die "$APP is not executable after the install"

mapfile -t DESKTOP < <(printf '%s\n' "${FILES[@]}" | grep -E '^/usr/share/applications/[^/]+\.desktop$')
[ "${#DESKTOP[@]}" = 1 ] || die "expected one desktop entry in /usr/share/applications, found ${#DESKTOP[@]}"
log "desktop-file-validate ${DESKTOP[0]}"
desktop-file-validate "${DESKTOP[0]}"
entry() { sed -n "s/^$1=//p" "${DESKTOP[0]}" | head -1; }
exec_line="$(entry Exec)"; icon="$(entry Icon)"
[ "${exec_line%% *}" = "$(basename "$APP")" ] || [ "${exec_line%% *}" = "$APP" ] ||
  die "the desktop entry runs '$exec_line', not $APP"
[ -n "$icon" ] || die "the desktop entry names no Icon"
# The sizes tauri.conf.json ships (32, 64, 128, 128@2x as 256x256@2, icon.png as 512); each in hicolor.
for size in 32x32 64x64 128x128 256x256@2 512x512; do
  f="/usr/share/icons/hicolor/$size/apps/$icon.png"
  [ -s "$f" ] || die "icon $f is missing (Icon=$icon)"
  printf 'icon %s: %s\n' "$size" "$(file -b "$f" | cut -d, -f1-2)"
done

log "the installed $APP under Xvfb: sign-in screen, then the demo org"
t0=$SECONDS
in_keyring_session "BRIDGEKEEPER_APP_BINARY=$APP cargo test ${CARGO_FEATURES[*]} --test installed -- --include-ignored --exact app_binary_reaches_sign_in_and_signs_in_to_the_demo_org --color never"
printf 'installed app signed in (test %ss)\n' "$((SECONDS - t0))"
[ -s "$ROOT/artifacts/installed-sign-in.png" ] || die "no screenshot at artifacts/installed-sign-in.png"

log "apt-get purge $PKG"
purge
# Purged, not merely removed: dpkg keeps no config files of it either.
status="$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null || true)"
case "$status" in ""|*not-installed) ;; *) die "dpkg still has $PKG after the purge: $status";; esac
left=()
for f in "${FILES[@]}"; do
  if [ -e "$f" ] || [ -L "$f" ]; then left+=("$f"); fi
done
[ "${#left[@]}" = 0 ] || die "left behind after the purge: ${left[*]}"
[ ! -e "$APP" ] || die "$APP is still there after the purge"
printf 'purged: none of the %s files of %s is left\n' "${#FILES[@]}" "$PKG"
printf 'installed-deb: passed in %ss\n' "$((SECONDS - START))"
