#!/usr/bin/env bash
# Smoke test of the real app window on a machine without a display: start Xvfb, launch the debug app
# binary with --demo in a private D-Bus session, wait for its window, save a screenshot to
# artifacts/window.png, and end every process it started (also on failure or Ctrl-C).
#
# Needs: the debug app built with the embedded UI
#   (cd ui && npm run build) && cargo build -p bridgekeeper --features custom-protocol
# and the packages xvfb, xauth, dbus, xdotool, imagemagick.
#
# Environment: APP (binary path; default $CARGO_TARGET_DIR/debug/bridgekeeper), OUT (screenshot path;
# default artifacts/window.png), WINDOW_TIMEOUT (seconds to wait for the window; default 60),
# SETTLE (seconds to let the UI paint after the window maps; default 3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bridgekeeper/target}"
APP="${APP:-$CARGO_TARGET_DIR/debug/bridgekeeper}"
OUT="${OUT:-$ROOT/artifacts/window.png}"
WINDOW_TIMEOUT="${WINDOW_TIMEOUT:-60}"
SETTLE="${SETTLE:-3}"

die() { printf 'smoke-window: %s\n' "$*" >&2; exit 1; }

[ -x "$APP" ] || die "no app binary at $APP (build it: cargo build -p bridgekeeper --features custom-protocol)"
for tool in Xvfb xdotool import dbus-run-session timeout; do
  command -v "$tool" >/dev/null || die "missing '$tool' (apt-get install xvfb xdotool imagemagick dbus coreutils)"
done

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/bridgekeeper-smoke.XXXXXX")"
XVFB_PID=""
SESSION_PID=""

# Every descendant of a process id, deepest first (the app, WebKit's helpers, the session's dbus-daemon).
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    descendants "$child"
    echo "$child"
  done
}

# Ends what this script started, by process id: the D-Bus session with the app in it, then Xvfb.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$SESSION_PID" ] && kill -0 "$SESSION_PID" 2>/dev/null; then
    local pids; pids="$(descendants "$SESSION_PID") $SESSION_PID"
    # shellcheck disable=SC2086 # a list of process ids
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SESSION_PID" 2>/dev/null || break; sleep 0.1; done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  if [ -n "$XVFB_PID" ] && kill -0 "$XVFB_PID" 2>/dev/null; then
    kill -TERM "$XVFB_PID" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$XVFB_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$XVFB_PID" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ] && [ -f "$SCRATCH/app.log" ]; then
    printf -- '--- app log (last 40 lines) ---\n' >&2
    tail -n 40 "$SCRATCH/app.log" >&2 || true
  fi
  rm -rf "$SCRATCH"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Xvfb picks a free display itself and writes its number to the descriptor given to -displayfd.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$SCRATCH/display" >"$SCRATCH/xvfb.log" 2>&1 &
XVFB_PID=$!
DISPLAY_NUM=""
for _ in $(seq 150); do
  DISPLAY_NUM="$(tr -dc '0-9' <"$SCRATCH/display")"
  [ -n "$DISPLAY_NUM" ] && break
  kill -0 "$XVFB_PID" 2>/dev/null || { cat "$SCRATCH/xvfb.log" >&2; die "Xvfb exited"; }
  sleep 0.1
done
[ -n "$DISPLAY_NUM" ] || { cat "$SCRATCH/xvfb.log" >&2; die "Xvfb reported no display within 15 s"; }
export DISPLAY=":$DISPLAY_NUM"
printf 'smoke-window: Xvfb on %s (pid %s)\n' "$DISPLAY" "$XVFB_PID" >&2

# A private session bus and fresh XDG folders: nothing touches the user's own keyring or app data.
mkdir -p "$SCRATCH"/{data,config,cache,run} && chmod 700 "$SCRATCH/run"
XDG_DATA_HOME="$SCRATCH/data" XDG_CONFIG_HOME="$SCRATCH/config" XDG_CACHE_HOME="$SCRATCH/cache" \
XDG_RUNTIME_DIR="$SCRATCH/run" WEBKIT_DISABLE_COMPOSITING_MODE=1 \
  dbus-run-session -- "$APP" --demo >"$SCRATCH/app.log" 2>&1 &
SESSION_PID=$!
printf 'smoke-window: launched %s --demo (session pid %s)\n' "$APP" "$SESSION_PID" >&2

# Bounded wait for the window: xdotool --sync waits forever on its own, so it runs under timeout.
WINDOW_ID="$(timeout "$WINDOW_TIMEOUT" xdotool search --sync --onlyvisible --name '^Bridgekeeper$' 2>/dev/null | head -n 1)" || true
if [ -z "$WINDOW_ID" ]; then
  kill -0 "$SESSION_PID" 2>/dev/null || die "the app exited before showing a window"
  die "no 'Bridgekeeper' window within ${WINDOW_TIMEOUT}s"
fi
printf 'smoke-window: window %s is mapped\n' "$WINDOW_ID" >&2

# The window maps before the web view paints; give the UI a moment to load and call app_info.
sleep "$SETTLE"
kill -0 "$SESSION_PID" 2>/dev/null || die "the app exited after showing its window"

mkdir -p "$(dirname "$OUT")"
timeout 30 import -window "$WINDOW_ID" "$OUT" || die "screenshot failed"
# A blank (unpainted) web view is one or two colours; the rendered first screen has many (text, badges).
COLOURS="$(identify -format '%k' "$OUT")"
[ "$COLOURS" -ge 16 ] || die "the screenshot looks blank ($COLOURS colours): the UI did not render"
printf 'smoke-window: screenshot saved to %s\n' "$OUT" >&2
