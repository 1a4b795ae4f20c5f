# shellcheck shell=bash
# Shared setup for the two README commands (scripts/demo.sh and scripts/test.sh).
# Every step checks before it installs, so running either command twice is safe and quick.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bridgekeeper/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install sudo or run as root)"; fi
}

# System packages for building the Tauri app (WebKitGTK), running it under Xvfb, the keyring tests
# (gnome-keyring in a private D-Bus session) and the real-window tests, whose accessibility tree is
# read over AT-SPI with Debian's python3 and its GObject bindings. Never dbus-x11: with a
# display it autolaunches session buses that outlive the tests (see the contributing notes).
# desktop-file-utils checks the installed package's desktop entry (scripts/check-installed-deb.sh).
APT_PACKAGES=(
  build-essential pkg-config file curl ca-certificates
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb xauth dbus gnome-keyring libsecret-tools webkit2gtk-driver xdotool imagemagick
  python3 python3-venv desktop-file-utils
  at-spi2-core python3-gi gir1.2-atspi-2.0
)

ensure_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get: install them by hand"
    log "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then export PATH="$HOME/.cargo/bin:$PATH"; fi
  if ! command -v cargo >/dev/null; then
    log "installing the Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy \
      || die "could not install Rust; install it with rustup and run this again"
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  local v; v="$(rustc --version | awk '{print $2}')"
  case "$v" in 1.8[5-9]*|1.9*|1.[1-9][0-9][0-9]*) ;; *) die "Rust $v is too old: 1.85 or newer is needed (rustup update)";; esac
}

# Node 20.19+ is needed by Vite 8. Distribution Node is often older: then a private Node from the
# npm registry's `node` package is used, kept under ~/.cache so it is installed once.
ensure_node() {
  local ok=0
  if command -v node >/dev/null; then
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)' && ok=1
  fi
  if [ "$ok" = 0 ]; then
    local private="$HOME/.cache/bridgekeeper/node"
    if [ ! -x "$private/node_modules/.bin/node" ]; then
      command -v npm >/dev/null || { ensure_apt_packages_extra nodejs npm; }
      log "installing a private Node 20 under $private"
      npm install --silent --prefix "$private" node@20 >/dev/null || die "could not install Node 20"
    fi
    export PATH="$private/node_modules/.bin:$PATH"
  fi
}

ensure_apt_packages_extra() {
  log "installing system packages: $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# npm ci only when the lock file changed since the last install.
ensure_ui_deps() {
  local stamp="$ROOT/ui/node_modules/.bridgekeeper-lock.sha"
  local want; want="$(sha256sum "$ROOT/ui/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing UI packages (npm ci)"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}

# tauri-driver (the WebDriver server the real-window test drives the app through), pinned to Tauri 2.
TAURI_DRIVER_VERSION="2.1.0"
ensure_tauri_driver() {
  # tauri-driver has no --version; cargo's install list says which one is there.
  if ! cargo install --list 2>/dev/null | grep -qx "tauri-driver v$TAURI_DRIVER_VERSION:"; then
    log "installing tauri-driver $TAURI_DRIVER_VERSION"
    cargo install tauri-driver --version "=$TAURI_DRIVER_VERSION" --locked --quiet
  fi
}

# Removes a keyring session's scratch folder. The session bus starts xdg-document-portal on demand
# (WebKit asks for it), which FUSE-mounts "$XDG_RUNTIME_DIR/doc" and can outlive the session or die
# leaving a dead mount; rm cannot remove a mount point, so unmount what is mounted under the folder
# first. Only the folder is at stake here: a folder that still cannot go is reported, not an error.
remove_scratch() {
  local scratch="$1" mnt pid
  for pid in $(pgrep -x xdg-document-po); do
    { tr "\0" "\n" < "/proc/$pid/environ"; } 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$scratch/run" && kill "$pid"
  done
  while read -r mnt; do
    fusermount3 -uz "$mnt" 2>/dev/null || fusermount -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v s="$scratch/" 'index($2, s) == 1 { print $2 }' /proc/self/mounts)
  local _
  for _ in 1 2 3 4 5 6 7 8 9 10; do rm -rf "$scratch" 2>/dev/null && return 0; sleep 0.2; done
  printf 'warning: could not remove %s (left for the temp cleaner)\n' "$scratch" >&2
  return 0
}

# Runs a command string inside a private D-Bus session with a freshly unlocked, throwaway gnome-keyring
# (and throwaway XDG folders), so the real Secret Service is used without touching the user's keyring.
# Ends only that session's keyring daemon (its environment names our runtime dir). Its exit status is
# the command's: cleaning up the folder never turns a pass into a failure or a failure into a pass.
in_keyring_session() {
  local rc=0 scratch; scratch="$(mktemp -d "${TMPDIR:-/tmp}/bridgekeeper-keyring.XXXXXX")"
  mkdir -p "$scratch/data" "$scratch/run" "$scratch/config"; chmod 700 "$scratch/run"
  XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" XDG_CONFIG_HOME="$scratch/config" \
    dbus-run-session -- bash -c '
      printf throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      stop_keyring() {
        for pid in $(pgrep -x gnome-keyring-d); do
          tr "\0" "\n" < "/proc/$pid/environ" 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" && kill "$pid"
        done
        return 0
      }
      trap stop_keyring EXIT
      '"$1" || rc=$?
  remove_scratch "$scratch"
  return "$rc"
}

build_ui() {
  log "building the UI"
  (cd "$ROOT/ui" && npm run --silent build)
}

# The one cargo feature shape used for every debug build and test, so nothing rebuilds between steps.
CARGO_FEATURES=(--workspace --locked --features bridgekeeper/custom-protocol)
