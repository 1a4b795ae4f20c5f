#!/usr/bin/env bash
# Fuzzes the notification decoder and the roster merge (fuzz/): builds every cargo-fuzz target once,
# then runs each (or only the TARGETs named) for SECONDS (default 60). Installs cargo-fuzz if missing. cargo-fuzz needs nightly
# flags, which RUSTC_BOOTSTRAP=1 unlocks on the stable toolchain.
#   scripts/fuzz.sh [SECONDS [TARGET...]]     targets: notification_decode, roster_apply
# Environment: CARGO_TARGET_DIR (default ~/.cache/bridgekeeper/fuzz-target); FUZZ_WORK, where the
# corpus grows (default ~/.cache/bridgekeeper/fuzz-corpus; the committed seeds in fuzz/corpus are only
# read); FUZZ_BUILD_LOCK, a file to flock(1) around the build (e.g. on a shared machine).
# A crash is written to fuzz/artifacts/<target>/; the script then exits non-zero, and
# crates/fuzz-checks/tests/ replays it on every `cargo test` until it is fixed.
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in '' | *[!0-9]*) printf 'usage: %s [SECONDS [TARGET...]]\n' "$0" >&2; exit 2 ;; esac
shift $(( $# > 0 ? 1 : 0 ))

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bridgekeeper/fuzz-target}"
WORK="${FUZZ_WORK:-$HOME/.cache/bridgekeeper/fuzz-corpus}"

log() { printf '==> %s\n' "$*" >&2; }
locked() { if [ -n "${FUZZ_BUILD_LOCK:-}" ]; then flock "$FUZZ_BUILD_LOCK" "$@"; else "$@"; fi; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  locked cargo install cargo-fuzz --locked
fi

cd "$ROOT/fuzz"
log "building the fuzz targets (release, AddressSanitizer, debug assertions)"
locked cargo fuzz build
host="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="$CARGO_TARGET_DIR/$host/release"

targets="$(cargo fuzz list)"
for wanted in "$@"; do
  grep -qx -- "$wanted" <<<"$targets" || { printf 'unknown target %s (have: %s)\n' "$wanted" "$(echo $targets)" >&2; exit 2; }
done
[ $# -eq 0 ] || targets="$*"

status=0
for target in $targets; do
  mkdir -p "$WORK/$target" "artifacts/$target"
  log "fuzzing $target for ${seconds}s (corpus $WORK/$target, seeds fuzz/corpus/$target)"
  # The first directory receives new inputs; the seeds are read only.
  "$bin_dir/$target" "$WORK/$target" "corpus/$target" \
    -artifact_prefix="artifacts/$target/" -max_total_time="$seconds" -timeout=10 \
    -print_final_stats=1 || status=$?
done
exit "$status"
