#!/usr/bin/env bash
# Conformance suite: the official Genesys Python SDK (purecloudplatformclientv2) as the client of our emulator.
# Creates or reuses tests/conformance/.venv (reinstalled only when requirements.txt or the Python changed),
# finds or builds the emulator binary, runs pytest -q and exits with pytest's status. Safe to run again.
#   EMULATOR_BIN=/path/to/genesys-emulator tests/conformance/run.sh [pytest args...]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

command -v "$PYTHON" >/dev/null || die "$PYTHON not found (Debian: apt-get install python3 python3-venv)"

want="$( { sha256sum "$HERE/requirements.txt" | cut -d' ' -f1; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
  log "creating the virtualenv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$HERE/requirements.txt" \
    || die "pip install -r tests/conformance/requirements.txt failed"
  printf '%s\n' "$want" >"$STAMP"
fi

if [ -z "${EMULATOR_BIN:-}" ]; then
  target="${CARGO_TARGET_DIR:-target}"
  case "$target" in /*) ;; *) target="$ROOT/$target" ;; esac
  EMULATOR_BIN="$target/debug/genesys-emulator"
  if [ ! -x "$EMULATOR_BIN" ]; then
    log "building the emulator (cargo build -p genesys-emulator --locked)"
    (cd "$ROOT" && cargo build -p genesys-emulator --locked) || die "could not build genesys-emulator"
  fi
fi
[ -x "$EMULATOR_BIN" ] || die "emulator binary not found or not executable: $EMULATOR_BIN"
export EMULATOR_BIN

cd "$HERE"
rc=0
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" || rc=$?
exit "$rc"
