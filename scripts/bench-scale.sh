#!/usr/bin/env bash
# The board at contact-center scale against the emulator's truth (300 requests/minute, 3 s
# analytics lag, churn on): cold starts at 1,000 and 5,000 live calls, drops during a cold start,
# steady-state requests, and a 10-minute soak with the socket killed every 30 s at 1,000 calls.
# A benchmark, not a test: run it on a quiet machine and read the figures (about 30 minutes; the
# full-detail fill-in at 1,000 calls alone is paced to about 11 minutes).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_rust
SOAK_MINUTES="${SOAK_MINUTES:-10}"
cargo build --release --locked -p bridgekeeper-tests --example scale_bench
BENCH="$CARGO_TARGET_DIR/release/examples/scale_bench"
log "1,000 calls, ${SOAK_MINUTES}-minute soak"
"$BENCH" --calls 1000 --soak-minutes "$SOAK_MINUTES" --kill-every 30 --full-detail
log "5,000 calls"
"$BENCH" --calls 5000
if [ "${WITH_10K:-0}" = 1 ]; then
  log "10,000 calls"
  "$BENCH" --calls 10000
fi
